/**
 * Conversion of user values to NDArrays: the outputs a wrapped function returns ({@link toOutputArrays},
 * {@link checkedOutputs}) and single values such as defaults ({@link asNDArray}).
 *
 * @module
 */

import { ErrorCode, TritonError } from '../../errors.ts';
import { type DataType, datatypesOfTypedArray } from '../../tensor/dtype.ts';
import { type ArrayInput, NDArray, isTypedArray } from '../../tensor/ndarray.ts';
import type { ModelInfo } from '../request.ts';
import { describeValue, mapEntries } from './helpers.ts';
import { describeFirstDimension } from './rows.ts';
import type { BatchedOutputs } from './types.ts';

/**
 * Converts what a function returned as outputs to NDArrays (see {@link asNDArray}), each to the output's declared
 * datatype when the model is known.
 * @throws {TritonError} INTERNAL when the result is not an object or an output cannot be converted.
 */
export function toOutputArrays(who: string, outputs: unknown, model: ModelInfo | undefined): Record<string, NDArray> {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    throw new TritonError(
      ErrorCode.INTERNAL,
      `${who}: the wrapped function returned ${describeValue(outputs)}; expected an object of outputs`,
    );
  }
  return mapEntries(outputs as BatchedOutputs, (name, value) => {
    try {
      return asNDArray(value, model?.outputs.find((spec) => spec.name === name)?.dtype);
    } catch (error) {
      const message = `${who}: output '${name}': ${(error as Error).message}`;
      throw new TritonError(ErrorCode.INTERNAL, message, { cause: error });
    }
  });
}

/**
 * {@link toOutputArrays}, then checks that every output has `rows` rows.
 * @throws {TritonError} INTERNAL when an output cannot be converted or its first dimension is not `rows`.
 */
export function checkedOutputs(
  who: string,
  outputs: unknown,
  model: ModelInfo | undefined,
  rows: number,
): Record<string, NDArray> {
  const arrays = toOutputArrays(who, outputs, model);
  checkOutputRows(who, arrays, rows);
  return arrays;
}

/** Throws INTERNAL naming every output whose first dimension is not `expected`. */
function checkOutputRows(who: string, outputs: Readonly<Record<string, NDArray>>, expected: number): void {
  const wrong = Object.entries(outputs).filter(([, array]) => array.shape.length === 0 || array.shape[0] !== expected);
  if (wrong.length === 0) return;
  const described = wrong.map(([name, array]) => `'${name}' has ${describeFirstDimension(array)}`).join(', ');
  throw new TritonError(
    ErrorCode.INTERNAL,
    `${who}: output ${described}, but the batch has ${expected} rows; every output needs one row per input row`,
  );
}

/**
 * The one conversion of user values to NDArrays: an NDArray is kept as it is; anything else becomes an array of
 * `declared` when given, else of the datatype its values suggest ({@link inferDtype}).
 * @throws what `NDArray.from` throws for values it cannot convert.
 */
export function asNDArray(value: NDArray | ArrayInput, declared: DataType | undefined): NDArray {
  if (value instanceof NDArray) return value;
  return NDArray.from(value, declared ?? inferDtype(value));
}

/**
 * The datatype a value suggests: a typed array's own (Float32Array → FP32, …); for (nested) plain arrays, that of
 * the first element: bigint → INT64, boolean → BOOL, string or Uint8Array → BYTES, number → FP64 (what a
 * JavaScript number is), a typed-array row → its type.
 */
function inferDtype(value: ArrayInput): DataType {
  if (isTypedArray(value)) return datatypesOfTypedArray(value)?.[0] ?? 'FP64';
  let first: unknown = (value as ArrayLike<unknown>)[0];
  while (Array.isArray(first)) first = first[0];
  if (first instanceof Uint8Array || typeof first === 'string') return 'BYTES';
  if (isTypedArray(first)) return datatypesOfTypedArray(first)?.[0] ?? 'FP64';
  if (typeof first === 'bigint') return 'INT64';
  if (typeof first === 'boolean') return 'BOOL';
  return 'FP64';
}
