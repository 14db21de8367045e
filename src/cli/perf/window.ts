/**
 * Measurement windows: what one window of the measurement interval saw (client latencies of the requests that
 * ended inside it, the server's counters diffed across it), and the merge of several windows.
 *
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { mean, percentile, sampleStdDev, sortedAscending } from './latency-stats.ts';
import type { Load } from './load.ts';
import { addSnapshots, diffSnapshots, type StatisticsFetcher, type StatsSnapshot } from './server-stats.ts';

/** One measurement window. */
export interface Window {
  /** Its length, ms. */
  readonly durationMs: number;
  /** Client latencies (µs) of the requests that ended inside it, in order of completion. */
  readonly latenciesUs: readonly number[];
  /** The server's counters over the window; undefined without a statistics URL. */
  readonly server: StatsSnapshot | undefined;
}

/** The client's side of one measurement, perf_analyzer's "Client:" section (times in µs). */
export interface ClientSummary {
  /** Requests that ended inside the measured windows. */
  readonly requestCount: number;
  /** `requestCount × batchSize / seconds`. */
  readonly throughput: number;
  /** Average latency, µs. */
  readonly avgLatencyUs: number;
  /** Sample standard deviation of the latency, µs. */
  readonly stdLatencyUs: number;
  /** Percentiles of the latency, µs. */
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p95Us: number;
  readonly p99Us: number;
}

/**
 * Measures one window: server counters before, sleep the interval, counters after; the requests counted are
 * those whose response ended between the window's start and end.
 * @param load - the running load.
 * @param intervalMs - the window's length.
 * @param stats - fetches the server's counters; undefined to skip the server side.
 */
export async function measureWindow(
  load: Load,
  intervalMs: number,
  stats: StatisticsFetcher | undefined,
): Promise<Window> {
  const before = await stats?.fetch();
  load.take();
  const startMs = performance.now();
  await sleep(intervalMs);
  const endMs = performance.now();
  const completions = load.take().filter((c) => c.endMs >= startMs && c.endMs <= endMs);
  const after = await stats?.fetch();
  return {
    durationMs: endMs - startMs,
    latenciesUs: completions.map((c) => (c.endMs - c.startMs) * 1000),
    server: before && after ? diffSnapshots(after, before) : undefined,
  };
}

/** Requests per second × batch size over a window. */
export function windowThroughput(window: Window, batchSize: number): number {
  return window.durationMs > 0 ? (window.latenciesUs.length * batchSize * 1000) / window.durationMs : 0;
}

/** The average latency of a window, µs (NaN when no request ended in it). */
export function windowAvgLatency(window: Window): number {
  return mean(window.latenciesUs);
}

/** Merges windows into one (latencies concatenated, durations and server counters summed). */
export function mergeWindows(windows: readonly Window[]): Window {
  const servers = windows.map((w) => w.server);
  return {
    durationMs: windows.reduce((t, w) => t + w.durationMs, 0),
    latenciesUs: windows.flatMap((w) => w.latenciesUs),
    server: servers.every((s) => s !== undefined) && servers.length > 0 ? servers.reduce(addSnapshots) : undefined,
  };
}

/** The client summary of a (merged) window. */
export function summarizeClient(window: Window, batchSize: number): ClientSummary {
  const sorted = sortedAscending(window.latenciesUs);
  return {
    requestCount: window.latenciesUs.length,
    throughput: windowThroughput(window, batchSize),
    avgLatencyUs: mean(window.latenciesUs),
    stdLatencyUs: sampleStdDev(window.latenciesUs),
    p50Us: percentile(sorted, 50),
    p90Us: percentile(sorted, 90),
    p95Us: percentile(sorted, 95),
    p99Us: percentile(sorted, 99),
  };
}
