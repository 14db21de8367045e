/**
 * Tensor: the declaration of one model input or output.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import { type DataType, DataType as DataTypes, isDataType } from '../tensor/dtype.ts';

/** A declared model input or output (PyTriton's `Tensor`). */
export interface Tensor {
  /** The tensor's name, as clients send it. */
  readonly name: string;
  /** Its datatype. */
  readonly dtype: DataType;
  /** Its shape without the batch dimension; -1 marks a dimension of any size. */
  readonly shape: readonly number[];
  /** Inputs only: the input may be left out of a request. */
  readonly optional: boolean;
}

/** What {@link Tensor} takes. */
export interface TensorOptions {
  /** The tensor's name. */
  name: string;
  /** Its datatype, e.g. `'FP32'`. */
  dtype: DataType;
  /** Its shape without the batch dimension; -1 is a dynamic dimension. */
  shape: readonly number[];
  /** Inputs only: may be left out of a request. @default false */
  optional?: boolean;
}

/**
 * Declares a model input or output.
 * @example Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] })
 * @throws {TritonError} INVALID_ARG naming the field that is wrong.
 */
export function Tensor(options: TensorOptions): Tensor {
  const { name, dtype, shape, optional = false } = options;
  if (typeof name !== 'string' || name === '') throw invalidArg(`Tensor.name must be a non-empty string`);
  if (!isDataType(dtype)) {
    throw invalidArg(
      `Tensor '${name}': dtype must be one of ${Object.keys(DataTypes).join(', ')}; got ${JSON.stringify(dtype)}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw invalidArg(`Tensor '${name}': shape must be an array of integers >= -1; got ${JSON.stringify(shape)}`);
  }
  if (typeof optional !== 'boolean') throw invalidArg(`Tensor '${name}': optional must be a boolean`);
  return Object.freeze({ name, dtype, shape: Object.freeze([...shape]), optional });
}
