/**
 * Trace timestamps: monotonic nanoseconds (what Triton writes in trace files) and their wall-clock time
 * (what OpenTelemetry spans carry).
 *
 * @module
 */

import type { HrTime, TimeInput } from '@opentelemetry/api';
import { nowNs } from '../core/clock.ts';

/** Monotonic now, in nanoseconds. */
export const monotonicNs = nowNs;

/**
 * Wall-clock nanoseconds minus monotonic nanoseconds, measured once (Triton's per-trace time offset): what turns
 * a monotonic time into nanoseconds since the epoch.
 */
export const MONOTONIC_TO_EPOCH_NS: bigint =
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n - process.hrtime.bigint();

/** The wall-clock time of a monotonic timestamp, in nanoseconds since the epoch. */
export const toEpochNs = (ns: bigint): bigint => ns + MONOTONIC_TO_EPOCH_NS;

/** Wall-clock now, in nanoseconds since the epoch (on the monotonic clock's scale). */
export const wallClockNs = (): bigint => nowNs() + MONOTONIC_TO_EPOCH_NS;

/** Nanoseconds since the epoch as OpenTelemetry's `[seconds, nanoseconds]`. */
export function epochNsToHrTime(epochNs: bigint): HrTime {
  return [Number(epochNs / 1_000_000_000n), Number(epochNs % 1_000_000_000n)];
}

/** The wall-clock time of a monotonic timestamp, as OpenTelemetry's `[seconds, nanoseconds]`. */
export function toHrTime(ns: bigint): HrTime {
  return epochNsToHrTime(ns + MONOTONIC_TO_EPOCH_NS);
}

/**
 * An OpenTelemetry API time (epoch `[seconds, nanoseconds]`, a `Date`, epoch milliseconds, or, as the SDK reads
 * a number not above `performance.now()`, milliseconds since `performance.timeOrigin`) in nanoseconds since the
 * epoch; now when undefined.
 */
export function timeInputToEpochNs(time: TimeInput | undefined): bigint {
  if (time === undefined) return wallClockNs();
  if (Array.isArray(time)) return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
  const ms = time instanceof Date ? time.getTime() : time <= performance.now() ? performance.timeOrigin + time : time;
  const wholeMs = Math.floor(ms);
  return BigInt(wholeMs) * 1_000_000n + BigInt(Math.round((ms - wholeMs) * 1_000_000));
}

/** An OpenTelemetry API time (as {@link timeInputToEpochNs} reads it) in monotonic nanoseconds; now when undefined. */
export function timeInputToMonotonicNs(time: TimeInput | undefined): bigint {
  return time === undefined ? monotonicNs() : timeInputToEpochNs(time) - MONOTONIC_TO_EPOCH_NS;
}
