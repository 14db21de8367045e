/**
 * Polling until a condition holds or a deadline passes: checks right away, then after 0.1 s, doubling up to
 * 1 s between checks; each check gets at most the time that is left.
 *
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';

const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 1000;

/**
 * Calls `check(timeLeftMs)` until it resolves true; resolves false when `timeoutMs` passes first. A check that
 * throws ends the polling with its error.
 */
export async function pollUntil(timeoutMs: number, check: (timeLeftMs: number) => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let pause = FIRST_PAUSE_MS;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    if (await check(left)) return true;
    const rest = deadline - Date.now();
    if (rest <= 0) return false;
    await sleep(Math.min(pause, rest));
    pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
  }
}
