/**
 * The model functions the benchmark servers share, on plain arrays, so ts-triton and the hand-written
 * Fastify server run exactly the same code.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The passthrough model of examples/passthrough: fails on `error`, sleeps `max(sleep)` seconds, echoes both.
 * One difference: a sleep of 0 does not await a timer (the example awaits `setTimeout(0)`, i.e. >= 1 ms), so the
 * latency figures measure the server rather than Node's timer granularity.
 */
export async function passthroughCore(seconds: number[], error: boolean[]): Promise<void> {
  if (error.some(Boolean)) throw new Error('Requested Error');
  const maxSleep = Math.max(...seconds);
  if (maxSleep > 0) await sleep(maxSleep * 1000);
}

/** Busy-waits `ms` milliseconds: a fixed, CPU-bound cost per call that holds the event loop. */
export function busyWait(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}
