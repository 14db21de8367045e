/**
 * Row-wise operations on batches: batch sizes, and taking and copying rows (entries of the first dimension).
 *
 * @module
 */

import { NDArray, elementCount } from '../../tensor/ndarray.ts';
import type { Request } from '../request.ts';
import type { BatchedInputs } from './types.ts';

/** A request's batch size: the first dimension of its first input, or 1 when it has no inputs. */
export function requestBatchSize(request: Request): number {
  const first = Object.values(request.data)[0];
  return first ? first.rows : 1;
}

/** Rows of a batch: the first dimension of its first input, 0 when it has no inputs. */
export function batchRows(inputs: BatchedInputs): number {
  const first = Object.values(inputs)[0];
  return first ? first.rows : 0;
}

/** Elements per row (per entry of the first dimension). */
export function rowStride(array: NDArray): number {
  return elementCount(array.shape.slice(1));
}

/** A new array of the given rows of `array`, in the given order (rows may repeat). */
export function takeRows(array: NDArray, rows: readonly number[]): NDArray {
  const taken = NDArray.zeros(array.dtype, [rows.length, ...array.shape.slice(1)]);
  rows.forEach((row, k) => copyRow(array, row, taken, k));
  return taken;
}

/** Copies row `fromRow` of `from` over row `toRow` of `to`; both must have the same trailing shape and datatype. */
export function copyRow(from: NDArray, fromRow: number, to: NDArray, toRow: number): void {
  const stride = rowStride(from);
  const target = to.data as unknown as unknown[];
  for (let k = 0; k < stride; k++) target[toRow * stride + k] = from.data[fromRow * stride + k];
}

/** The first dimension of an array, for messages: `first dimension N`, or that it is a scalar. */
export function describeFirstDimension(array: NDArray): string {
  return array.shape.length === 0 ? 'no first dimension (a scalar)' : `first dimension ${array.shape[0]}`;
}
