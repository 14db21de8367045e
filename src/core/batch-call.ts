/**
 * What every execution of a batch shares: building the requests an infer function sees, reporting trace
 * activities, and turning an infer function's throw into the batch's error.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import { TensorError } from '../tensor/tensor-error.ts';
import { nowMs, nowNs } from './clock.ts';
import type { InferenceRequest } from './inference-request.ts';
import type { ExecutionTiming, ModelStatistics } from './model-statistics.ts';
import { customParameters } from './reserved-parameters.ts';
import { type ModelInfo, Request } from './request.ts';
import type { CoreActivity, RequestTracer } from './trace-hooks.ts';

/** A bound model as the executor needs it. */
export interface ExecutableModel extends ModelInfo {
  /** Check outputs' datatypes and shapes against the declaration. */
  readonly strict: boolean;
  /** Where executions and request outcomes are counted. */
  readonly statistics: ModelStatistics;
}

/** What executing a batch gives: one outcome per request, whether the infer function threw, and the timing. */
export interface Execution<T> {
  readonly outcomes: T[];
  /** The infer function itself failed (every outcome is that error). */
  readonly failed: boolean;
  readonly timing: ExecutionTiming;
}

/** Reports trace activities, at one timestamp, for every traced request of a batch. */
export function reportActivity(batch: readonly InferenceRequest[], ...activities: CoreActivity[]): void {
  const ns = nowNs();
  for (const activity of activities) for (const request of batch) request.trace?.activity(activity, ns);
}

/**
 * Closes the callable spans of a batch's traced requests (`error` marks them all failed; an `Error` in a
 * request's place of `responses` marks that one) and reports COMPUTE_OUTPUT_START, at one timestamp.
 */
export function endCallables(
  batch: readonly InferenceRequest[],
  error?: unknown,
  responses?: readonly unknown[],
): void {
  const ns = nowNs();
  batch.forEach((request, i) => {
    const own = responses?.[i];
    request.trace?.callableEnd(ns, own instanceof Error ? own : error);
  });
  for (const request of batch) request.trace?.activity('COMPUTE_OUTPUT_START', ns);
}

/** The requests an infer function sees, with the callable spans of traced requests opened. */
export function userRequests(model: ExecutableModel, batch: readonly InferenceRequest[], traced: boolean): Request[] {
  const allOutputs = model.outputs.map((t) => t.name);
  return batch.map((r) => toUserRequest(model, r, allOutputs, traced ? r.trace?.callableStart(nowNs()) : undefined));
}

function toUserRequest(
  model: ExecutableModel,
  request: InferenceRequest,
  allOutputs: readonly string[],
  tracer: RequestTracer | undefined,
): Request {
  return new Request({
    data: request.inputs,
    parameters: customParameters(request.parameters),
    requestedOutputNames: request.requestedOutputs ?? allOutputs,
    id: request.id,
    model,
    tracer,
    signal: request.signal,
  });
}

/**
 * The error that fails every request of a batch whose infer function threw, or the one request in whose place
 * it returned (or yielded) an `Error`. A TritonError is kept as it is (its code decides the status); the
 * tensor layer's error (data that does not fit an NDArray) is INVALID_ARG, as it would be from the request.
 */
export function executionError(model: ModelInfo, error: unknown): TritonError {
  if (error instanceof TritonError || error instanceof TensorError) return TritonError.from(error);
  const described = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  log.warn(
    `infer function of model '${model.name}' failed: ${error instanceof Error ? (error.stack ?? described) : described}`,
  );
  return new TritonError(
    ErrorCode.INTERNAL,
    `Failed to process the request(s) for model '${model.name}', message: ${described}`,
    { cause: error },
  );
}

/** The start of a batch's execution: the requests the infer function sees, and the compute-input timing. */
export interface PreparedBatch {
  /** Whether any request of the batch is traced. */
  readonly traced: boolean;
  /** `performance.now()` when compute started. */
  readonly start: number;
  readonly requests: Request[];
  /** `performance.now()` when the inputs were ready. */
  readonly inputEnd: number;
}

/** Builds the infer function's requests, reporting COMPUTE_START and COMPUTE_INPUT_END for traced ones. */
export function prepareBatch(model: ExecutableModel, batch: readonly InferenceRequest[]): PreparedBatch {
  const traced = batch.some((r) => r.trace);
  const start = nowMs();
  if (traced) reportActivity(batch, 'COMPUTE_START');
  const requests = userRequests(model, batch, traced);
  if (traced) reportActivity(batch, 'COMPUTE_INPUT_END');
  return { traced, start, requests, inputEnd: nowMs() };
}
