/**
 * Runs one batch of a decoupled (streaming) model: the infer function is a generator, and every response it
 * yields goes to its request as soon as it is produced.
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
import { nowMs, nowNs } from './clock.ts';
import type { InferenceRequest } from './inference-request.ts';
import type { DecoupledInferFunc, InferResponse } from './request.ts';
import { toResult } from './response-to-result.ts';

/** A request's stream ended normally (`undefined`) or failed. */
export type StreamOutcome = TritonError | undefined;

type Steps =
  | AsyncIterable<readonly (InferResponse | Error | undefined)[]>
  | Iterable<readonly (InferResponse | Error | undefined)[]>;

function isIterable(value: unknown): value is Steps {
  return typeof value === 'object' && value !== null && (Symbol.asyncIterator in value || Symbol.iterator in value);
}

/**
 * Iterates the infer function's steps, sending each response to its request's `onResponse`. Never rejects:
 * returns, per request, undefined when its stream ended or the error that ended it.
 */
export async function executeDecoupledBatch(
  model: ExecutableModel,
  fn: DecoupledInferFunc,
  batch: readonly InferenceRequest[],
  abandoned?: AbortSignal,
): Promise<Execution<StreamOutcome>> {
  const { traced, start, requests, inputEnd } = prepareBatch(model, batch);
  const outcomes: StreamOutcome[] = batch.map(() => undefined);
  // Which traced requests' cancellation was reported to their trace.
  const cancelled = traced ? batch.map(() => false) : undefined;
  if (traced) for (const request of batch) request.trace?.streaming?.();
  let failure: TritonError | undefined;
  try {
    const steps = fn(requests);
    if (!isIterable(steps)) throw notAGenerator(model);
    for await (const step of steps) deliver(model, batch, step, outcomes, cancelled);
  } catch (error) {
    failure = executionError(model, error);
  }
  if (cancelled) batch.forEach((request, i) => reportCancelled(request, i, cancelled));
  const end = nowMs();
  if (abandoned?.aborted) {
    // The scheduler answered these requests with its execution timeout already: report nothing more.
    const error = TritonError.from(abandoned.reason);
    return { outcomes: batch.map(() => error), failed: true, timing: { start, inputEnd, outputStart: end, end } };
  }
  if (traced) {
    endCallables(batch, failure?.cause ?? failure, outcomes);
    reportActivity(batch, 'COMPUTE_OUTPUT_START', 'COMPUTE_END');
  }
  return {
    outcomes: failure ? batch.map(() => failure) : outcomes,
    failed: failure !== undefined,
    timing: { start, inputEnd, outputStart: end, end },
  };
}

/**
 * Sends one step's responses; an `Error` in a request's place, or a response that cannot be converted, ends only
 * that request's stream.
 */
function deliver(
  model: ExecutableModel,
  batch: readonly InferenceRequest[],
  step: readonly (InferResponse | Error | undefined)[],
  outcomes: StreamOutcome[],
  cancelled: boolean[] | undefined,
): void {
  if (!Array.isArray(step) || step.length !== batch.length) {
    throw new TritonError(
      ErrorCode.INTERNAL,
      `infer function of decoupled model '${model.name}' yielded ${Array.isArray(step) ? `${step.length} responses` : `a ${typeof step}`} for ${batch.length} requests; each value it yields must hold one entry (or undefined) per request`,
    );
  }
  step.forEach((response, i) => {
    const request = batch[i]!;
    if (request.signal?.aborted) {
      if (cancelled && !outcomes[i]) reportCancelled(request, i, cancelled);
      return;
    }
    if (response === undefined || response === null || outcomes[i]) return;
    if (response instanceof Error) {
      outcomes[i] = executionError(model, response);
      return;
    }
    try {
      request.onResponse?.(toResult(model, request, response));
      request.trace?.response?.(nowNs());
    } catch (error) {
      outcomes[i] = TritonError.from(error);
    }
  });
}

/** Tells a traced request's trace, once, that its stream was cancelled (its signal aborted). */
function reportCancelled(request: InferenceRequest, i: number, cancelled: boolean[]): void {
  if (cancelled[i] || !request.signal?.aborted) return;
  cancelled[i] = true;
  request.trace?.cancelled?.(request.signal.reason, nowNs());
}

function notAGenerator(model: ExecutableModel): TritonError {
  return new TritonError(
    ErrorCode.INTERNAL,
    `infer function of decoupled model '${model.name}' must be a generator (yielding one entry per request per step)`,
  );
}
