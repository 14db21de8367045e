/**
 * The clocks: monotonic milliseconds (statistics, deadlines) and nanoseconds (traces), and the wall-clock
 * time of a monotonic timestamp (what OpenTelemetry spans carry). Imported rather than read from the
 * `performance` and `process` globals: Node defines those globals as accessors, so each use in a hot path is
 * a getter call.
 *
 * @module
 */

import { performance } from 'node:perf_hooks';
import { hrtime } from 'node:process';

/** Monotonic now in milliseconds (`performance.now()`): the timestamps of statistics and queue deadlines. */
export const nowMs = (): number => performance.now();

/** Monotonic now in nanoseconds (`process.hrtime.bigint()`): the timestamps of traces. */
export const nowNs = (): bigint => hrtime.bigint();

/** Whether `promise` settles by `deadline` (a {@link nowMs} time); a rejection counts as settled. */
export async function settledBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, Math.max(deadline - nowMs(), 0), false);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A time as `[seconds, nanoseconds]` since the epoch (OpenTelemetry's `HrTime`). */
export type HrTime = [number, number];

/** A time as OpenTelemetry's API takes it (its `TimeInput`): `[seconds, nanoseconds]`, a `Date`, or milliseconds. */
export type TimeInput = HrTime | number | Date;

/**
 * Wall-clock nanoseconds minus monotonic nanoseconds, measured once (Triton's per-trace time offset): what turns
 * a monotonic time into nanoseconds since the epoch.
 */
export const MONOTONIC_TO_EPOCH_NS: bigint =
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n - hrtime.bigint();

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
  return time === undefined ? nowNs() : timeInputToEpochNs(time) - MONOTONIC_TO_EPOCH_NS;
}
