/**
 * Trace timestamps: monotonic nanoseconds (what Triton writes in trace files) and their wall-clock time
 * (what OpenTelemetry spans carry).
 *
 * @module
 */

import type { HrTime } from '@opentelemetry/api';

/** Monotonic now, in nanoseconds. */
export const monotonicNs = (): bigint => process.hrtime.bigint();

/** Wall-clock nanoseconds minus monotonic nanoseconds, measured once (Triton's per-trace time offset). */
const OFFSET_NS =
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n - process.hrtime.bigint();

/** The wall-clock time of a monotonic timestamp, as OpenTelemetry's `[seconds, nanoseconds]`. */
export function toHrTime(ns: bigint): HrTime {
  const epoch = ns + OFFSET_NS;
  return [Number(epoch / 1_000_000_000n), Number(epoch % 1_000_000_000n)];
}
