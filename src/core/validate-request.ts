/**
 * Checks a request's inputs and requested outputs against a model's declaration, with Triton's messages.
 *
 * @module
 */

import { invalidArg, type TritonError } from '../errors.ts';
import type { InferenceRequest } from './inference-request.ts';
import type { ModelInfo } from './request.ts';
import type { Tensor } from './tensor-spec.ts';

/** Triton's prefix of request validation errors. */
function prefix(id: string): string {
  return `[request id: ${id === '' ? '<id_unknown>' : id}] `;
}

function requestError(request: InferenceRequest, message: string): TritonError {
  return invalidArg(prefix(request.id) + message);
}

const quoted = (names: readonly string[]): string => `[${names.map((n) => `'${n}'`).join(',')}]`;
const dims = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/**
 * Validates a request for `model` and returns its batch size (1 when the model does not batch).
 * @throws {TritonError} INVALID_ARG with Triton's message for the first problem found.
 */
export function validateRequest(model: ModelInfo, request: InferenceRequest): number {
  const given = Object.keys(request.inputs);
  const specs: Tensor[] = [];
  for (const name of given) {
    const spec = model.inputs.find((t) => t.name === name);
    if (!spec) throw requestError(request, `unexpected inference input '${name}' for model '${model.name}'`);
    specs.push(spec);
  }
  if (specs.length < model.inputs.length) checkRequiredInputs(model, request, given);
  const batchSize = checkBatchDimension(model, request, given);
  for (const spec of specs) checkInput(model, request, spec);
  for (const name of request.requestedOutputs ?? []) {
    if (!model.outputs.some((t) => t.name === name)) {
      throw requestError(request, `unexpected inference output '${name}' for model '${model.name}'`);
    }
  }
  return batchSize;
}

function checkRequiredInputs(model: ModelInfo, request: InferenceRequest, given: readonly string[]): void {
  const missing = model.inputs.filter((t) => !t.optional && !(t.name in request.inputs)).map((t) => t.name);
  if (missing.length === 0) return;
  const required = model.inputs.filter((t) => !t.optional).length;
  const expected =
    required === model.inputs.length
      ? `expected ${required} inputs`
      : `expected number of inputs between ${required} and ${model.inputs.length}`;
  throw requestError(
    request,
    `${expected} but got ${given.length} inputs for model '${model.name}'. Got input(s) ${quoted(given)}, ` +
      `but missing required input(s) ${quoted(missing)}. Please provide all required input(s).`,
  );
}

function checkBatchDimension(model: ModelInfo, request: InferenceRequest, given: readonly string[]): number {
  const max = model.config.maxBatchSize;
  if (max === 0) return 1;
  let batch = -1;
  for (const name of given) {
    const shape = request.inputs[name]!.shape;
    if (shape.length === 0) {
      throw requestError(
        request,
        `input '${name}' has no shape but model requires batch dimension for '${model.name}'`,
      );
    }
    if (batch === -1) batch = shape[0]!;
    else if (shape[0] !== batch) {
      throw requestError(request, `input '${name}' batch size does not match other inputs for '${model.name}'`);
    }
  }
  if (batch > max) throw requestError(request, `inference request batch-size must be <= ${max} for '${model.name}'`);
  return Math.max(batch, 1);
}

function checkInput(model: ModelInfo, request: InferenceRequest, spec: Tensor): void {
  const array = request.inputs[spec.name]!;
  if (array.dtype !== spec.dtype) {
    throw requestError(
      request,
      `inference input '${spec.name}' data-type is '${array.dtype}', but model '${model.name}' expects '${spec.dtype}'`,
    );
  }
  const batching = model.config.maxBatchSize > 0;
  if (!shapeMatches(array.shape, batching ? 1 : 0, spec.shape)) {
    const expected = batching ? [-1, ...spec.shape] : spec.shape;
    const note = batching
      ? ' NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape. If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero. See the model configuration docs for more info on max_batch_size.'
      : '';
    throw requestError(
      request,
      `unexpected shape for input '${spec.name}' for model '${model.name}'. Expected ${dims(expected)}, got ${dims(array.shape)}.${note}`,
    );
  }
}

/** Whether `shape` from index `skip` on matches the declared dims (-1 matches any size). */
function shapeMatches(shape: readonly number[], skip: number, dims: readonly number[]): boolean {
  if (shape.length - skip !== dims.length) return false;
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    if (d !== -1 && d !== shape[i + skip]) return false;
  }
  return true;
}
