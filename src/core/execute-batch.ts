/**
 * Runs one batch through a model instance's infer function and turns each response into a result.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import type { InferenceRequest, InferenceResult, OutputTensor } from './inference-request.ts';
import { isTypedArray, NDArray, type ArrayInput } from './ndarray.ts';
import { customParameters } from './reserved-parameters.ts';
import { type InferFunc, type InferResponse, type ModelInfo, Request, responseParameters } from './request.ts';
import type { Tensor } from './tensor-spec.ts';
import type { CoreActivity, RequestTracer } from './trace-hooks.ts';

/** A bound model as the executor needs it. */
export interface ExecutableModel extends ModelInfo {
  /** Check outputs' datatypes and shapes against the declaration. */
  readonly strict: boolean;
}

/** The outcome of one request of a batch: its result, or the error that failed it. */
export type Outcome = InferenceResult | TritonError;

/**
 * Calls `fn` with the batch's requests and returns one outcome per request, in order. Never rejects:
 * a throwing infer function fails every request of the batch; a bad response fails only its request.
 */
export async function executeBatch(
  model: ExecutableModel,
  fn: InferFunc,
  batch: readonly InferenceRequest[],
): Promise<Outcome[]> {
  const traced = batch.some((r) => r.trace);
  if (traced) reportActivity(batch, 'COMPUTE_START');
  const requests = batch.map((r) => toUserRequest(model, r, traced ? r.trace?.callableStart(now()) : undefined));
  if (traced) reportActivity(batch, 'COMPUTE_INPUT_END');
  let responses: unknown;
  try {
    responses = await fn(requests);
  } catch (error) {
    if (traced) endCallables(batch, error);
    const failure = executionError(model, error);
    if (traced) reportActivity(batch, 'COMPUTE_OUTPUT_START', 'COMPUTE_END');
    return batch.map(() => failure);
  }
  if (traced) {
    endCallables(batch);
    reportActivity(batch, 'COMPUTE_OUTPUT_START');
  }
  const outcomes = toOutcomes(model, batch, responses);
  if (traced) reportActivity(batch, 'COMPUTE_END');
  return outcomes;
}

const now = (): bigint => process.hrtime.bigint();

function reportActivity(batch: readonly InferenceRequest[], ...activities: CoreActivity[]): void {
  const ns = now();
  for (const activity of activities) for (const request of batch) request.trace?.activity(activity, ns);
}

function endCallables(batch: readonly InferenceRequest[], error?: unknown): void {
  const ns = now();
  for (const request of batch) request.trace?.callableEnd(ns, error);
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
    try {
      return toResult(model, request, responses[i] as InferResponse);
    } catch (error) {
      return TritonError.from(error);
    }
  });
}

function toUserRequest(model: ExecutableModel, request: InferenceRequest, tracer: RequestTracer | undefined): Request {
  return new Request({
    data: request.inputs,
    parameters: customParameters(request.parameters),
    requestedOutputNames: request.requestedOutputs ?? model.outputs.map((t) => t.name),
    id: request.id,
    model,
    tracer,
  });
}

function executionError(model: ModelInfo, error: unknown): TritonError {
  if (error instanceof TritonError) return error;
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

function toResult(model: ExecutableModel, request: InferenceRequest, response: InferResponse): InferenceResult {
  if (typeof response !== 'object' || response === null) {
    throw internalError(`infer function of model '${model.name}' returned ${String(response)} as a response; expected an object of outputs`);
  }
  if (model.strict) checkNoUndeclaredOutputs(model, response);
  const wanted = request.requestedOutputs;
  const outputs: OutputTensor[] = [];
  for (const spec of model.outputs) {
    if (wanted && !wanted.includes(spec.name)) continue;
    const value = response[spec.name];
    if (value === undefined) {
      if (wanted || model.strict) throw internalError(`output '${spec.name}' was not returned by the infer function of model '${model.name}'`);
      continue;
    }
    outputs.push({ name: spec.name, array: toOutputArray(model, spec, value) });
  }
  if (request.trace?.tensors) {
    request.trace.tensors('TENSOR_BACKEND_OUTPUT', Object.fromEntries(outputs.map((o) => [o.name, o.array])));
  }
  return {
    modelName: model.name,
    modelVersion: model.version,
    id: request.id,
    outputs,
    parameters: responseParameters(response),
  };
}

function checkNoUndeclaredOutputs(model: ExecutableModel, response: InferResponse): void {
  for (const name of Object.keys(response)) {
    if (!model.outputs.some((t) => t.name === name)) {
      throw internalError(`output '${name}' returned by model '${model.name}' is not a declared output`);
    }
  }
}

function toOutputArray(model: ExecutableModel, spec: Tensor, value: NDArray | ArrayInput): NDArray {
  const array = value instanceof NDArray ? value : NDArray.from(value, spec.dtype);
  if (model.strict) {
    checkOutputDtype(model, spec, value, array);
    checkOutputShape(model, spec, array);
  }
  if (array.dtype === spec.dtype) return array;
  try {
    return array.astype(spec.dtype);
  } catch (error) {
    throw internalError(`output '${spec.name}' of model '${model.name}' cannot be converted to ${spec.dtype}: ${(error as Error).message}`);
  }
}

const NATURAL_TYPES: ReadonlyMap<unknown, readonly string[]> = new Map<unknown, readonly string[]>([
  [Uint8Array, ['BOOL', 'UINT8']],
  [Uint16Array, ['UINT16', 'FP16', 'BF16']],
  [Uint32Array, ['UINT32']],
  [BigUint64Array, ['UINT64']],
  [Int8Array, ['INT8']],
  [Int16Array, ['INT16']],
  [Int32Array, ['INT32']],
  [BigInt64Array, ['INT64']],
  [Float32Array, ['FP32']],
  [Float64Array, ['FP64']],
]);

function checkOutputDtype(model: ModelInfo, spec: Tensor, value: unknown, array: NDArray): void {
  const actual = value instanceof NDArray ? [value.dtype] : isTypedArray(value) ? NATURAL_TYPES.get(value.constructor) : [array.dtype];
  if (!actual?.includes(spec.dtype)) {
    throw internalError(
      `output '${spec.name}' of model '${model.name}' has datatype ${actual?.[0] ?? 'unknown'}, but the model declares ${spec.dtype}`,
    );
  }
}

function checkOutputShape(model: ModelInfo, spec: Tensor, array: NDArray): void {
  const batching = model.config.maxBatchSize > 0;
  const expected = batching ? [-1, ...spec.shape] : spec.shape;
  const shape = array.shape;
  const matches = shape.length === expected.length && expected.every((d, i) => d === -1 || d === shape[i]);
  if (!matches) {
    throw internalError(
      `output '${spec.name}' of model '${model.name}' has shape [${shape.join(',')}], but the model declares [${expected.join(',')}]`,
    );
  }
}

function internalError(message: string): TritonError {
  return new TritonError(ErrorCode.INTERNAL, message);
}
