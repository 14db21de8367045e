/**
 * Load ranges: `start[:end[:step]]`, as perf_analyzer's `--concurrency-range` and `--request-rate-range` take them.
 *
 * @module
 */

import { UsageError } from '../usage-error.ts';

/** An inclusive range of load levels. */
export interface LoadRange {
  /** The first level. */
  readonly start: number;
  /** The last level (inclusive). */
  readonly end: number;
  /** The increment between levels. */
  readonly step: number;
}

/**
 * Parses `start[:end[:step]]`; `end` defaults to `start` and `step` to 1.
 * @param text - the option's value.
 * @param flag - the option's name, for error messages.
 * @param integer - whether the levels must be whole numbers (concurrency).
 * @throws {UsageError} when the text is not a valid range.
 */
export function parseRange(text: string, flag: string, integer: boolean): LoadRange {
  const parts = text.split(':');
  if (parts.length > 3 || parts.some((p) => p.trim() === '')) {
    throw new UsageError(`${flag} takes start[:end[:step]], not '${text}'`);
  }
  const [start, end = start, step = 1] = parts.map(Number) as [number, number?, number?];
  const valid = (n: number): boolean => Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n));
  if (![start, end, step].every(valid)) {
    throw new UsageError(`${flag} needs positive ${integer ? 'whole ' : ''}numbers, not '${text}'`);
  }
  if (end < start) throw new UsageError(`${flag}: end ${end} is below start ${start}`);
  return { start, end, step };
}

/** The levels of a range, from start up to end (inclusive, with a small tolerance for fractional steps). */
export function rangeValues(range: LoadRange): number[] {
  const values: number[] = [];
  for (let i = 0; ; i++) {
    const value = range.start + i * range.step;
    if (value > range.end + 1e-9) return values;
    values.push(Number(value.toFixed(6)));
  }
}
