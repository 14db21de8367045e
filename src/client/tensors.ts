/**
 * Named inputs → NDArrays (typed arrays take the datatype of their class, and the declared shape when one
 * fits), and the batch dimension that `inferSample` adds and strips.
 *
 * @module
 */

import { type DataType, datatypesOfTypedArray, type NumericStorage } from '../tensor/dtype.ts';
import { elementCount, isTypedArray, NDArray } from '../tensor/ndarray.ts';
import { asClientError, ClientValueError, InferenceServerError } from './errors.ts';
import type { ClientModelConfig, TensorConfig } from './model-config.ts';

/** Any typed array an input can be given as (its class decides the datatype). */
export type TypedArray = NumericStorage;

/** Named inputs: NDArrays, or typed arrays of the input's elements. */
export type InferInputs = Readonly<Record<string, NDArray | TypedArray>>;

/** Named results. */
export type InferResult = Record<string, NDArray>;

/** The datatype of a typed array: the declared one when its class can hold it, else the class's own. */
function datatypeFor(data: TypedArray, declared: DataType | undefined): DataType {
  const datatypes = datatypesOfTypedArray(data);
  if (!datatypes) throw new ClientValueError(`unsupported typed array ${data.constructor.name}`);
  return declared && datatypes.includes(declared) ? declared : datatypes[0]!;
}

/** The declared shape with one variable dimension filled in so it holds `count` elements, if it can. */
function fittingShape(declared: readonly number[] | undefined, count: number): number[] | undefined {
  if (!declared) return undefined;
  const variable = declared.filter((d) => d < 0).length;
  const fixed = elementCount(declared.filter((d) => d >= 0));
  if (variable === 0) return fixed === count ? [...declared] : undefined;
  if (variable > 1 || fixed === 0 || count % fixed !== 0) return undefined;
  return declared.map((d) => (d < 0 ? count / fixed : d));
}

/**
 * Turns named inputs into NDArrays. A typed array becomes an NDArray of the matching datatype, shaped as
 * declared when `sample` and the declared shape fits, else `[length]`.
 * @param config - the model's configuration (for declared datatypes and shapes).
 * @param sample - whether the inputs are one sample (no batch dimension).
 * @throws {ClientValueError} for an input the model does not declare or an unsupported typed array.
 */
export function toNDArrays(inputs: InferInputs, config: ClientModelConfig, sample: boolean): Record<string, NDArray> {
  const arrays: Record<string, NDArray> = {};
  for (const [name, value] of Object.entries(inputs)) {
    const declared = config.inputs.find((t) => t.name === name);
    if (!declared) {
      throw new ClientValueError(
        `model '${config.name}' has no input '${name}' (inputs: ${config.inputs.map((t) => t.name).join(', ')})`,
      );
    }
    arrays[name] = toNDArray(value, declared, sample);
  }
  return arrays;
}

function toNDArray(value: NDArray | TypedArray, declared: TensorConfig, sample: boolean): NDArray {
  if (value instanceof NDArray) return value;
  if (!isTypedArray(value))
    throw new ClientValueError(`input '${declared.name}' is neither an NDArray nor a typed array`);
  const shape = (sample ? fittingShape(declared.shape, value.length) : undefined) ?? [value.length];
  const dtype = datatypeFor(value, declared.datatype);
  try {
    return new NDArray(dtype, value as never, shape);
  } catch (error) {
    throw asClientError(error, (message) => new ClientValueError(`input '${declared.name}': ${message}`));
  }
}

/** The arrays with a batch dimension of 1 in front. */
export function addBatchDimension(arrays: Readonly<Record<string, NDArray>>): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  for (const [name, array] of Object.entries(arrays)) out[name] = array.reshape([1, ...array.shape]);
  return out;
}

/** The arrays without their first (batch) dimension. */
export function stripBatchDimension(arrays: Readonly<Record<string, NDArray>>): Record<string, NDArray> {
  const out: Record<string, NDArray> = {};
  for (const [name, array] of Object.entries(arrays)) {
    try {
      out[name] = array.reshape(array.shape.slice(1));
    } catch (error) {
      throw asClientError(
        error,
        (message) => new InferenceServerError(`output '${name}' of one sample: ${message}`, { httpStatus: 200 }),
      );
    }
  }
  return out;
}
