/**
 * `groupByValues`: calls a batched function once per group of rows with equal values of some inputs (PyTriton's
 * `@group_by_values`), and joins the groups' outputs back in row order.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { ErrorCode, TritonError } from '../../errors.ts';
import { NDArray } from '../../tensor/ndarray.ts';
import { toOutputArrays } from './convert.ts';
import { groupIndices, keysAndOptions, mapValues, namesId, sortedKeys } from './helpers.ts';
import { batchRows, copyRow, describeFirstDimension, rowStride, takeRows } from './rows.ts';
import type { BatchedDecorator, BatchedInputs, KeysThenOptions, PadFn } from './types.ts';

/** Options of {@link groupByValues}. */
export interface GroupByValuesOptions {
  /** Pads the groups' outputs before they are joined, e.g. `ConstantPadder`. @default none */
  padFn?: PadFn;
}

/**
 * Splits a batch into groups of rows with equal values of the given inputs, calls the wrapped function per group,
 * and puts the outputs back in the original row order (PyTriton's `@group_by_values`). Use it inside
 * `batch`, for inputs such as sampling parameters that must be equal within one model call.
 *
 * Groups are called one after the other, in order of their first row (PyTriton orders them by value). A named
 * input that is absent from the batch does not split it. Each group must return the same output names, and an
 * output's datatype and trailing shape must agree across groups unless `padFn` (e.g. `ConstantPadder`)
 * makes them agree. The context passed on is the whole batch's.
 *
 * @example
 * ```ts
 * const inferFunc = batch(groupByValues('temperature')(({ prompt, temperature }) => generate(prompt!, temperature!)));
 * const padded = batch(groupByValues('length', { padFn: ConstantPadder(0) })(fn));
 * ```
 * @param args - the input names to group by, optionally followed by {@link GroupByValuesOptions}.
 * @returns a decorator of batched functions.
 * @throws {TritonError} INVALID_ARG when no input name is given; (the wrapped function) INTERNAL when the groups'
 *   outputs cannot be joined.
 */
export function groupByValues(...args: KeysThenOptions<GroupByValuesOptions>): BatchedDecorator {
  const { keys, options } = keysAndOptions('groupByValues', args);
  return (fn) => async (inputs, context) => {
    const groups = groupIndices(batchRows(inputs), (row) => rowGroupKey(inputs, keys, row));
    if (groups.length <= 1) return fn(inputs, context);
    const results: Record<string, NDArray>[] = [];
    for (const rows of groups) {
      const outputs = await fn(
        mapValues(inputs, (array) => takeRows(array, rows)),
        context,
      );
      results.push(toOutputArrays('groupByValues', outputs, context.model));
    }
    return joinGroups(groups, options.padFn ? options.padFn(results) : results, batchRows(inputs));
  };
}

/** A string equal for two rows exactly when every named input has equal values in them. */
function rowGroupKey(inputs: BatchedInputs, keys: readonly string[], row: number): string {
  return JSON.stringify(keys.map((key) => (inputs[key] ? rowElementKeys(inputs[key], row) : null)));
}

/** One key per element of a row of `array`. */
function rowElementKeys(array: NDArray, row: number): string[] {
  const stride = rowStride(array);
  const keys: string[] = [];
  for (let i = row * stride; i < (row + 1) * stride; i++) keys.push(elementKey(array.data[i]!));
  return keys;
}

/** A stored element as a string: numbers and bigints as written, bytes as base64. */
function elementKey(raw: number | bigint | Uint8Array): string {
  if (!(raw instanceof Uint8Array)) return String(raw);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
}

/** Puts each group's output rows back at the group's row positions. */
function joinGroups(
  groups: readonly number[][],
  results: readonly Readonly<Record<string, NDArray>>[],
  total: number,
): Record<string, NDArray> {
  const names = sameOutputNames(results);
  const joined: Record<string, NDArray> = {};
  for (const name of names) {
    joined[name] = scatterRows(
      name,
      groups,
      results.map((result) => result[name]!),
      total,
    );
  }
  return joined;
}

/** The output names every group returned, sorted; INTERNAL when the groups differ. */
function sameOutputNames(results: readonly Readonly<Record<string, NDArray>>[]): string[] {
  const names = sortedKeys(results[0]!);
  for (const result of results) {
    const other = sortedKeys(result);
    if (namesId(other) !== namesId(names)) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `groupByValues: groups returned different outputs ([${names.join(', ')}] and [${other.join(', ')}]);` +
          ' every group must return the same outputs',
      );
    }
  }
  return names;
}

/** One output of all groups as one array of `total` rows, each group's rows at its row positions. */
function scatterRows(name: string, groups: readonly number[][], parts: readonly NDArray[], total: number): NDArray {
  const first = parts[0]!;
  const tail = first.shape.slice(1);
  const joined = NDArray.zeros(first.dtype, [total, ...tail]);
  parts.forEach((part, g) => {
    checkJoinable(name, first, part);
    const rows = groups[g]!;
    if (part.shape.length === 0 || part.rows !== rows.length) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `groupByValues: output '${name}' of a group of ${rows.length} rows has ${describeFirstDimension(part)}`,
      );
    }
    rows.forEach((row, k) => copyRow(part, k, joined, row));
  });
  return joined;
}

/** Throws INTERNAL unless `part` has the datatype and trailing shape of `first`. */
function checkJoinable(name: string, first: NDArray, part: NDArray): void {
  const tail = first.shape.slice(1).join(',');
  if (part.dtype !== first.dtype || part.shape.slice(1).join(',') !== tail) {
    throw new TritonError(
      ErrorCode.INTERNAL,
      `groupByValues: output '${name}' is ${first.dtype} with rows of shape [${tail}] in one group but ` +
        `${part.dtype} with rows of shape [${part.shape.slice(1).join(',')}] in another; ` +
        'make them agree or pass { padFn: ConstantPadder() }',
    );
  }
}
