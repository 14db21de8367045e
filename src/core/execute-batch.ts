/**
 * Runs one batch through a model instance's infer function and turns each response into a result.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import {
  endCallables,
  type ExecutableModel,
  type Execution,
  executionError,
  prepareBatch,
  reportActivity,
} from './batch-call.ts';
import { nowMs } from './clock.ts';
import type { InferenceRequest, InferenceResult } from './inference-request.ts';
import type { InferFunc, InferResponse } from './request.ts';
import { toResult } from './response-to-result.ts';

export type { ExecutableModel, Execution } from './batch-call.ts';

/** The outcome of one request of a batch: its result, or the error that failed it. */
export type Outcome = InferenceResult | TritonError;

/**
 * Calls `fn` with the batch's requests and returns one outcome per request, in order. Never rejects:
 * a throwing infer function fails every request of the batch; an `Error` returned in a request's place, or a
 * bad response, fails only that request.
 */
export async function executeBatch(
  model: ExecutableModel,
  fn: InferFunc,
  batch: readonly InferenceRequest[],
  abandoned?: AbortSignal,
): Promise<Execution<Outcome>> {
  const { traced, start, requests, inputEnd } = prepareBatch(model, batch);
  let responses: unknown;
  try {
    responses = await fn(requests);
    if (abandoned?.aborted) return abandonedExecution(batch, abandoned, start, inputEnd);
  } catch (error) {
    if (abandoned?.aborted) return abandonedExecution(batch, abandoned, start, inputEnd);
    if (traced) endCallables(batch, error);
    const failure = executionError(model, error);
    if (traced) reportActivity(batch, 'COMPUTE_END');
    const end = nowMs();
    return { outcomes: batch.map(() => failure), failed: true, timing: { start, inputEnd, outputStart: end, end } };
  }
  const outputStart = nowMs();
  if (traced) endCallables(batch, undefined, Array.isArray(responses) ? responses : undefined);
  const outcomes = toOutcomes(model, batch, responses);
  if (traced) reportActivity(batch, 'COMPUTE_END');
  return { outcomes, failed: false, timing: { start, inputEnd, outputStart, end: nowMs() } };
}

/**
 * What a call the scheduler abandoned (its execution timeout expired) comes to when it finally ends: nothing
 * more is reported for its requests, which were answered with the timeout already.
 */
function abandonedExecution(
  batch: readonly InferenceRequest[],
  abandoned: AbortSignal,
  start: number,
  inputEnd: number,
): Execution<Outcome> {
  const error = TritonError.from(abandoned.reason);
  const end = nowMs();
  return { outcomes: batch.map(() => error), failed: true, timing: { start, inputEnd, outputStart: end, end } };
}

function toOutcomes(model: ExecutableModel, batch: readonly InferenceRequest[], responses: unknown): Outcome[] {
  if (!Array.isArray(responses) || responses.length !== batch.length) {
    const got = Array.isArray(responses) ? `${responses.length} responses` : `a ${typeof responses}`;
    const error = new TritonError(
      ErrorCode.INTERNAL,
      `infer function of model '${model.name}' returned ${got} for ${batch.length} requests; it must return one response per request, in order`,
    );
    return batch.map(() => error);
  }
  return batch.map((request, i) => {
    const response: unknown = responses[i];
    if (response instanceof Error) return executionError(model, response);
    try {
      return toResult(model, request, response as InferResponse);
    } catch (error) {
      return TritonError.from(error);
    }
  });
}
