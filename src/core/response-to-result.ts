/**
 * Turning one response of an infer function into a result: picking the requested outputs, converting them
 * to the declared datatypes, and (strict) checking them against the declaration.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import type { ExecutableModel } from './batch-call.ts';
import { datatypesOfTypedArray } from '../tensor/dtype.ts';
import type { InferenceRequest, InferenceResult, OutputTensor } from './inference-request.ts';
import { isTypedArray, NDArray, type ArrayInput } from '../tensor/ndarray.ts';
import { type InferResponse, type ModelInfo, responseParameters } from './request.ts';
import type { Tensor } from './tensor-spec.ts';

/**
 * The result of `request` from the infer function's `response`.
 * @throws {TritonError} INTERNAL naming the output that is missing or does not match (strict).
 */
export function toResult(model: ExecutableModel, request: InferenceRequest, response: InferResponse): InferenceResult {
  if (typeof response !== 'object' || response === null) {
    throw internalError(
      `infer function of model '${model.name}' returned ${String(response)} as a response; expected an object of outputs`,
    );
  }
  if (model.strict) checkNoUndeclaredOutputs(model, response);
  else warnAboutUndeclaredOutputs(model, response);
  const wanted = request.requestedOutputs;
  const outputs: OutputTensor[] = [];
  for (const spec of model.outputs) {
    if (wanted && !wanted.includes(spec.name)) continue;
    const value = response[spec.name];
    if (value === undefined) {
      if (wanted) {
        throw internalError(
          `output '${spec.name}' was requested, but the infer function of model '${model.name}' did not return it`,
        );
      }
      if (model.strict)
        throw internalError(`output '${spec.name}' was not returned by the infer function of model '${model.name}'`);
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

/** Output names already warned about, per model: each mistake is logged once, not once per request. */
const warned = new WeakMap<ExecutableModel, Set<string>>();

function warnOnce(model: ExecutableModel, key: string, message: () => string): void {
  let seen = warned.get(model);
  if (!seen) warned.set(model, (seen = new Set()));
  if (seen.has(key)) return;
  seen.add(key);
  log.warn(`${message()} (logged once per model and output; bind with strict: true to fail such responses)`);
}

/** A non-strict model's outputs that are not declared are dropped: say so, once per model and name. */
function warnAboutUndeclaredOutputs(model: ExecutableModel, response: InferResponse): void {
  const outputs = model.outputs;
  for (const name in response) {
    let declared = false;
    for (let i = 0; i < outputs.length && !declared; i++) declared = outputs[i]!.name === name;
    if (declared) continue;
    warnOnce(model, `undeclared\u0000${name}`, () => {
      const declared = model.outputs.map((t) => t.name).join(', ');
      return `the infer function of model '${model.name}' returned output '${name}', which is not declared (outputs: ${declared}); it is not sent`;
    });
  }
}

function toOutputArray(model: ExecutableModel, spec: Tensor, value: NDArray | ArrayInput): NDArray {
  const array = value instanceof NDArray ? value : NDArray.from(value, spec.dtype);
  if (model.strict) {
    checkOutputDtype(model, spec, value, array);
    checkOutputShape(model, spec, array);
  } else if (!shapeMatches(model, spec, array)) {
    warnOnce(model, `shape\u0000${spec.name}`, () => `${shapeMismatch(model, spec, array)}; it is sent as it is`);
  }
  if (array.dtype === spec.dtype) return array;
  try {
    return array.astype(spec.dtype);
  } catch (error) {
    throw internalError(
      `output '${spec.name}' of model '${model.name}' cannot be converted to ${spec.dtype}: ${(error as Error).message}`,
    );
  }
}

function checkOutputDtype(model: ModelInfo, spec: Tensor, value: unknown, array: NDArray): void {
  const actual =
    value instanceof NDArray ? [value.dtype] : isTypedArray(value) ? datatypesOfTypedArray(value) : [array.dtype];
  if (!actual?.includes(spec.dtype)) {
    throw internalError(
      `output '${spec.name}' of model '${model.name}' has datatype ${actual?.[0] ?? 'unknown'}, but the model declares ${spec.dtype}`,
    );
  }
}

/** The shape an output must have: the declared one, after a batch dimension when the model batches. */
function expectedShape(model: ModelInfo, spec: Tensor): readonly number[] {
  return model.config.maxBatchSize > 0 ? [-1, ...spec.shape] : spec.shape;
}

/** Whether `array` has the output's shape (compared in place: this runs for every output of every response). */
function shapeMatches(model: ModelInfo, spec: Tensor, array: NDArray): boolean {
  const offset = model.config.maxBatchSize > 0 ? 1 : 0;
  const shape = array.shape;
  const declared = spec.shape;
  if (shape.length !== declared.length + offset) return false;
  for (let i = 0; i < declared.length; i++) {
    const d = declared[i]!;
    if (d !== -1 && d !== shape[i + offset]) return false;
  }
  return true;
}

function shapeMismatch(model: ModelInfo, spec: Tensor, array: NDArray): string {
  return `output '${spec.name}' of model '${model.name}' has shape [${array.shape.join(',')}], but the model declares [${expectedShape(model, spec).join(',')}]`;
}

function checkOutputShape(model: ModelInfo, spec: Tensor, array: NDArray): void {
  if (!shapeMatches(model, spec, array)) throw internalError(shapeMismatch(model, spec, array));
}

function internalError(message: string): TritonError {
  return new TritonError(ErrorCode.INTERNAL, message);
}
