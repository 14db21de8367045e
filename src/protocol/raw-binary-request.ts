/**
 * Raw binary inference requests (binary tensor data extension, `Inference-Header-Content-Length: 0`): the whole
 * body is the data of the model's only input, whose shape is deduced from the model's declaration.
 *
 * @module
 */

import { elementSize } from '../tensor/dtype.ts';
import type { InferenceRequest } from '../core/inference-request.ts';
import { NDArray } from '../tensor/ndarray.ts';
import type { ModelInfo } from '../core/request.ts';
import { invalidArg, type TritonError } from '../errors.ts';
import { decodeInputTensor } from './input-tensor.ts';
import type { InferTarget } from './json-infer.ts';

/** A raw request has no id, so its errors carry Triton's placeholder. */
const PREFIX = '[request id: <id_unknown>] ';

function rawRequestError(message: string): TritonError {
  return invalidArg(PREFIX + message);
}

/**
 * Builds the request a raw binary body stands for: the body is the only input's data (shared, not copied, when
 * aligned), a batching model sees a batch of 1, and there are no parameters.
 * @throws {TritonError} INVALID_ARG with Triton's message when the model does not have exactly one input, its
 *   shape has more than one variable dimension, a BYTES input is not of shape [1], or the body's size does not
 *   fit the shape.
 */
export function decodeRawBinaryRequest(body: Uint8Array, model: ModelInfo, target: InferTarget): InferenceRequest {
  const [input, ...others] = model.inputs;
  if (!input || others.length > 0) {
    throw rawRequestError(
      `Raw request must only have 1 input (found 1) to be deduced but got ${model.inputs.length} inputs in ` +
        `'${model.name}' model configuration`,
    );
  }
  const shape = deducedShape(input.name, elementSize(input.dtype), input.shape, body.byteLength);
  const batched = model.config.maxBatchSize > 0 ? [1, ...shape] : shape;
  const inputs: Record<string, NDArray> = Object.create(null);
  inputs[input.name] =
    input.dtype === 'BYTES'
      ? new NDArray('BYTES', [body], batched)
      : decodeInputTensor({ name: input.name, modelName: target.modelName, requestId: '' }, input.dtype, batched, body);
  return {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id: '',
    parameters: {},
    inputs,
    requestedOutputs: undefined,
  };
}

/**
 * The input's shape (without the batch dimension) for a body of `byteSize` bytes: the declared shape, with its
 * one variable dimension (if any) set to what the bytes hold. `size` is the element size, 0 for BYTES.
 */
function deducedShape(name: string, size: number, declared: readonly number[], byteSize: number): number[] {
  const variable = declared.filter((d) => d === -1).length;
  if (variable > 1) {
    throw rawRequestError(
      `The shape of the raw input '${name}' can not be deduced because there are more than one variable-sized dimension`,
    );
  }
  let fixed = 1;
  for (const d of declared) if (d !== -1) fixed *= d;
  if (size === 0) {
    if (variable > 0 || fixed !== 1) {
      throw rawRequestError(`For BYTE datatype raw input '${name}', the model must have input shape [1]`);
    }
    return [...declared];
  }
  const deduced = fixed === 0 ? 0 : Math.floor(byteSize / fixed / size);
  return declared.map((d) => (d === -1 ? deduced : d));
}
