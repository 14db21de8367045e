/**
 * `firstValue`: replaces inputs with their first row, for per-request settings (PyTriton's `@first_value`).
 *
 * @module
 */

import { invalidArg } from '../../errors.ts';
import type { NDArray } from '../../tensor/ndarray.ts';
import { batchingConfig, keysAndOptions } from './helpers.ts';
import { rowStride } from './rows.ts';
import type { BatchedDecorator, KeysThenOptions } from './types.ts';

/** Options of {@link firstValue}. */
export interface FirstValueOptions {
  /** Turn a value of one element into a scalar array of shape `[]`. @default true */
  squeezeSingleValues?: boolean;
  /** Fail when the rows of an input are not all equal. @default true */
  strict?: boolean;
}

/**
 * Replaces each named input with its first row, so that per-request settings (a temperature, a length) reach the
 * function as single values (PyTriton's `@first_value`). Use it inside `batch`, after `groupByValues`
 * when different requests may send different values.
 *
 * With `squeezeSingleValues` (the default) a row of one element becomes an array of shape `[]`; otherwise the row
 * keeps its shape without the batch dimension. With `strict` (the default) all rows must be equal. Inputs absent
 * from the batch are left out.
 *
 * @example
 * ```ts
 * const inferFunc = batch(
 *   firstValue('temperature')(({ prompt, temperature }) => generate(prompt!, temperature!.at(0) as number)),
 * );
 * ```
 * @param args - the input names, optionally followed by {@link FirstValueOptions}.
 * @returns a decorator of batched functions.
 * @throws {TritonError} INVALID_ARG when no input name is given; (the wrapped function) INVALID_ARG when strict and
 *   the rows of an input differ; INTERNAL when the requests' model does not batch.
 */
export function firstValue(...args: KeysThenOptions<FirstValueOptions>): BatchedDecorator {
  const { keys, options } = keysAndOptions('firstValue', args);
  const { squeezeSingleValues = true, strict = true } = options;
  return (fn) => async (inputs, context) => {
    if (context.model) batchingConfig('firstValue', context.model);
    const replaced = { ...inputs };
    for (const key of keys) {
      const array = inputs[key];
      if (array) replaced[key] = firstRow(key, array, strict, squeezeSingleValues);
    }
    return fn(replaced, context);
  };
}

/** The first row of an input, without the batch dimension (shape `[]` when squeezed to one element). */
function firstRow(name: string, array: NDArray, strict: boolean, squeeze: boolean): NDArray {
  if (array.shape.length > 0 && array.rows === 0) throw invalidArg(`firstValue: input '${name}' has no rows`);
  if (strict) checkRowsEqual(name, array);
  const row = array.sliceRows(0, 1);
  return row.reshape(squeeze && row.size === 1 ? [] : array.shape.slice(1));
}

/** Throws INVALID_ARG unless every row of the input equals row 0. */
function checkRowsEqual(name: string, array: NDArray): void {
  const stride = rowStride(array);
  for (let row = 1; row < array.rows; row++) {
    for (let k = 0; k < stride; k++) {
      if (!sameElement(array.data[k]!, array.data[row * stride + k]!)) {
        throw invalidArg(
          `firstValue: input '${name}' differs between rows (row ${row} is not equal to row 0); ` +
            'send the same value in every row, group the batch with groupByValues, or pass { strict: false }',
        );
      }
    }
  }
}

/** Whether two stored elements are equal: bytes by content, numbers by value (NaN equals NaN). */
function sameElement(a: number | bigint | Uint8Array, b: number | bigint | Uint8Array): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
