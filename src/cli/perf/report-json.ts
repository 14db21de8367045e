/**
 * The `--json` report: one object with the settings and every measured point (times in µs, unrounded).
 *
 * @module
 */

import type { PerfRun } from './perf-result.ts';

/** Non-finite numbers (no request in a window) and missing values (no server statistics) become null. */
const finite = (_key: string, value: unknown): unknown =>
  value === undefined || (typeof value === 'number' && !Number.isFinite(value)) ? null : value;

/** The run as one line of JSON. */
export function formatJson(run: PerfRun): string {
  const { points, ...settings } = run;
  return `${JSON.stringify({ ...settings, points }, finite)}\n`;
}
