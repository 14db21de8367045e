/**
 * Latency statistics as perf_analyzer computes them: mean, sample standard deviation and percentiles on the
 * sorted latencies with `index = floor(p/100 × (n−1) + 0.5)`.
 *
 * @module
 */

/**
 * The index of percentile `p` in `n` sorted values (perf_analyzer's rounding).
 * @param p - the percentile, 0–100.
 * @param n - how many values there are (at least 1).
 */
export function percentileIndex(p: number, n: number): number {
  return Math.floor((p / 100) * (n - 1) + 0.5);
}

/**
 * Percentile `p` of values sorted in ascending order; NaN for no values.
 * @param sorted - the values, ascending.
 * @param p - the percentile, 0–100.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[percentileIndex(p, sorted.length)]!;
}

/** The arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** The sample standard deviation (divides by n − 1); 0 for fewer than two values. */
export function sampleStdDev(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const avg = mean(values);
  let squares = 0;
  for (const v of values) squares += (v - avg) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Ascending copy of the values. */
export function sortedAscending(values: readonly number[]): number[] {
  return Array.from(Float64Array.from(values).sort());
}
