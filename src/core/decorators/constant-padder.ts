/**
 * `ConstantPadder`: a {@link PadFn} for `groupByValues` that pads outputs with a constant (PyTriton's
 * `ConstantPadder`).
 *
 * @module
 */

import { ErrorCode, TritonError } from '../../errors.ts';
import type { DataType } from '../../tensor/dtype.ts';
import { NDArray, convertStorage } from '../../tensor/ndarray.ts';
import { mapEntries } from './helpers.ts';
import type { PadFn } from './types.ts';

/**
 * A {@link PadFn} that pads every output to the largest trailing shape among the groups, filling new elements with
 * `padValue` (PyTriton's `ConstantPadder`). BYTES outputs are padded with empty byte strings.
 *
 * @example
 * ```ts
 * const inferFunc = batch(groupByValues('maxLength', { padFn: ConstantPadder(-1) })(generateTokens));
 * ```
 * @param padValue - the value of padding elements, converted to each output's datatype.
 * @returns the pad function.
 * @throws {TritonError} (the pad function) INTERNAL when an output has different datatypes or numbers of
 *   dimensions across groups.
 */
export function ConstantPadder(padValue: number = 0): PadFn {
  return (groups) => {
    const names = [...new Set(groups.flatMap((group) => Object.keys(group)))];
    const tails = new Map(names.map((name) => [name, paddedTail(name, groups)]));
    return groups.map((group) => mapEntries(group, (name, array) => padTrailing(array, tails.get(name)!, padValue)));
  };
}

/** The largest size of each trailing dimension of an output across groups. */
function paddedTail(name: string, groups: readonly Readonly<Record<string, NDArray>>[]): number[] {
  const arrays = groups.map((group) => group[name]).filter((array) => array !== undefined);
  const first = arrays[0]!;
  const tail = first.shape.slice(1);
  for (const array of arrays) {
    if (array.dtype !== first.dtype || array.shape.length !== first.shape.length) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `ConstantPadder: output '${name}' is ${first.dtype}[${first.shape.join(',')}] in one group and ` +
          `${array.dtype}[${array.shape.join(',')}] in another; only sizes of dimensions can be padded`,
      );
    }
    array.shape.slice(1).forEach((size, d) => (tail[d] = Math.max(tail[d]!, size)));
  }
  return tail;
}

/** `array` grown to trailing shape `tail`, new elements set to `padValue`; the same array when it already fits. */
function padTrailing(array: NDArray, tail: readonly number[], padValue: number): NDArray {
  const shape = [array.rows, ...tail];
  if (shape.join(',') === array.shape.join(',')) return array;
  const padded = filledArray(array.dtype, shape, padValue);
  const source = array.shape.length === 0 ? [1] : array.shape;
  const target = padded.data as unknown as unknown[];
  for (let i = 0; i < array.size; i++) target[flatIndexIn(i, source, shape)] = array.data[i];
  return padded;
}

/** Where element `flat` of an array of shape `from` lands in an array of shape `to` with the same coordinates. */
function flatIndexIn(flat: number, from: readonly number[], to: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  for (let d = from.length - 1; d >= 0; d--) {
    index += (rest % from[d]!) * stride;
    rest = Math.floor(rest / from[d]!);
    stride *= to[d]!;
  }
  return index;
}

/** A new array of `shape` with every element `value` (converted to `dtype`); BYTES stay empty byte strings. */
function filledArray(dtype: DataType, shape: readonly number[], value: number): NDArray {
  const array = NDArray.zeros(dtype, shape);
  if (dtype !== 'BYTES' && value !== 0) {
    const raw = convertStorage([value], dtype)[0];
    (array.data as unknown as { fill(v: unknown): void }).fill(raw);
  }
  return array;
}
