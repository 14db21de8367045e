/**
 * Turning one response of an infer function into a result: picking the requested outputs, converting them
 * to the declared datatypes, and (strict) checking them against the declaration.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import type { ExecutableModel } from './batch-call.ts';
import { datatypesOfTypedArray } from './dtype.ts';
import type { InferenceRequest, InferenceResult, OutputTensor } from './inference-request.ts';
import { isTypedArray, NDArray, type ArrayInput } from './ndarray.ts';
import { type InferResponse, type ModelInfo, responseParameters } from './request.ts';
import type { Tensor } from './tensor-spec.ts';

/**
 * The result of `request` from the infer function's `response`.
 * @throws {TritonError} INTERNAL naming the output that is missing or does not match (strict).
 */
export function toResult(model: ExecutableModel, request: InferenceRequest, response: InferResponse): InferenceResult {
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

function checkOutputDtype(model: ModelInfo, spec: Tensor, value: unknown, array: NDArray): void {
  const actual = value instanceof NDArray ? [value.dtype] : isTypedArray(value) ? datatypesOfTypedArray(value) : [array.dtype];
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
