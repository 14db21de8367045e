/**
 * perf_analyzer's stability rule: the last 3 windows are stable when, for both throughput and average
 * latency, `max / min ≤ 1 + stability%/100`.
 *
 * @module
 */

/** How many trailing windows must agree. */
export const STABILITY_WINDOWS = 3;

/** Whether `max / min ≤ 1 + percentage/100` over positive, finite values. */
function withinSpread(values: readonly number[], percentage: number): boolean {
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) return false;
  return Math.max(...values) / Math.min(...values) <= 1 + percentage / 100;
}

/**
 * Whether the last {@link STABILITY_WINDOWS} windows are stable.
 * @param throughputs - throughput of every window so far, in order.
 * @param latencies - average latency of every window so far, in order.
 * @param percentage - the allowed spread, percent.
 */
export function isStable(throughputs: readonly number[], latencies: readonly number[], percentage: number): boolean {
  if (throughputs.length < STABILITY_WINDOWS) return false;
  return (
    withinSpread(throughputs.slice(-STABILITY_WINDOWS), percentage) &&
    withinSpread(latencies.slice(-STABILITY_WINDOWS), percentage)
  );
}
