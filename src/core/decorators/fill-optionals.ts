/**
 * `fillOptionals`: fills inputs a request left out with defaults (PyTriton's `@fill_optionals`).
 *
 * @module
 */

import { invalidArg } from '../../errors.ts';
import type { DataType } from '../../tensor/dtype.ts';
import type { ArrayInput, NDArray } from '../../tensor/ndarray.ts';
import type { InferOutcome, ModelInfo, Request } from '../request.ts';
import type { Tensor } from '../tensor-spec.ts';
import { asNDArray } from './convert.ts';
import { mapEntries } from './helpers.ts';
import { requestBatchSize, takeRows } from './rows.ts';

/**
 * Fills inputs a request left out with defaults (PyTriton's `@fill_optionals`). Put it outermost, so that
 * `groupByKeys` and `batch` see complete requests.
 *
 * A default is one sample, without the batch dimension (a leading dimension of 1 is also accepted for a batching
 * model). For a batching model it is repeated to the request's batch size (the first dimension of any input the
 * request has; 1 when it has none). Values that are not NDArrays are converted to the input's declared datatype.
 * When the requests carry their model, each default is checked against it; without one, the model is taken to batch.
 *
 * @example
 * ```ts
 * const inferFunc = fillOptionals({ temperature: NDArray.from([0.7], 'FP32') })(batch(generate));
 * ```
 * @param defaults - input name → default value.
 * @returns a decorator of infer functions.
 * @throws {TritonError} (the wrapped function) INVALID_ARG when a default names an input the model does not declare,
 *   has another datatype, or a shape the input's declared shape does not allow.
 */
export function fillOptionals(
  defaults: Readonly<Record<string, NDArray | ArrayInput>>,
): <R extends InferOutcome>(
  inferFunc: (requests: Request[]) => R[] | Promise<R[]>,
) => (requests: Request[]) => Promise<R[]> {
  return (inferFunc) => async (requests) => {
    if (requests.length === 0) return inferFunc(requests);
    const model = requests[0]!.model;
    const samples = mapEntries(defaults, (name, value) => resolveDefault(name, value, model));
    const batching = model?.config.batching ?? true;
    return inferFunc(requests.map((request) => withDefaults(request, samples, batching)));
  };
}

/** A default as one sample (no batch dimension), checked against the model's declaration of the input. */
function resolveDefault(name: string, value: NDArray | ArrayInput, model: ModelInfo | undefined): NDArray {
  if (!model) return defaultArray(name, value, undefined);
  const spec = model.inputs.find((input) => input.name === name);
  if (!spec) {
    const declared = model.inputs.map((input) => input.name).join(', ');
    throw invalidArg(`fillOptionals: '${name}' is not an input of model '${model.name}' (inputs: ${declared})`);
  }
  const array = defaultArray(name, value, spec.dtype);
  if (array.dtype !== spec.dtype) {
    throw invalidArg(
      `fillOptionals: the default of '${name}' is ${array.dtype}, but model '${model.name}' declares it ${spec.dtype}`,
    );
  }
  return asSample(name, array, spec, model.config.batching);
}

/** The default as an NDArray; INVALID_ARG when it cannot be converted. */
function defaultArray(name: string, value: NDArray | ArrayInput, declared: DataType | undefined): NDArray {
  try {
    return asNDArray(value, declared);
  } catch (error) {
    throw invalidArg(`fillOptionals: the default of '${name}' cannot be converted: ${(error as Error).message}`);
  }
}

/** The default without a leading batch dimension of 1, checked against the declared shape (-1 matches any size). */
function asSample(name: string, array: NDArray, spec: Tensor, batching: boolean): NDArray {
  const hasBatchDimension = batching && array.shape.length === spec.shape.length + 1 && array.rows === 1;
  const sample = hasBatchDimension ? array.reshape(array.shape.slice(1)) : array;
  const fits =
    sample.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === sample.shape[i]);
  if (!fits) {
    throw invalidArg(
      `fillOptionals: the default of '${name}' has shape [${array.shape.join(',')}], but the input's declared shape` +
        ` is [${spec.shape.join(',')}] (give one sample, without the batch dimension)`,
    );
  }
  return sample;
}

/** `request` with every missing input set to its default (repeated to the batch size); the same request if none. */
function withDefaults(request: Request, samples: Readonly<Record<string, NDArray>>, batching: boolean): Request {
  const missing = Object.entries(samples).filter(([name]) => !(name in request.data));
  if (missing.length === 0) return request;
  const size = requestBatchSize(request);
  const data = { ...request.data };
  for (const [name, sample] of missing) data[name] = batching ? repeatAsRows(sample, size) : sample;
  return request.withData(data);
}

/** `sample` repeated `count` times along a new first dimension. */
function repeatAsRows(sample: NDArray, count: number): NDArray {
  return takeRows(sample.reshape([1, ...sample.shape]), new Array<number>(count).fill(0));
}
