/**
 * A model function of the benchmark that no example has: a fixed CPU cost per call (what batching amortises).
 * The passthrough model is the shipped examples/passthrough itself.
 */

/** Busy-waits `ms` milliseconds: a fixed, CPU-bound cost per call that holds the event loop. */
export function busyWait(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}
