/**
 * Measures one load level: windows of the measurement interval until the last 3 are stable or the trials run
 * out, then the merge of the last 3 windows.
 *
 * @module
 */

import type { Load } from './load.ts';
import { isStable, STABILITY_WINDOWS } from './stability.ts';
import { type ServerSummary, type StatisticsFetcher, summarizeServer } from './server-stats.ts';
import {
  type ClientSummary,
  measureWindow,
  mergeWindows,
  summarizeClient,
  type Window,
  windowAvgLatency,
  windowThroughput,
} from './window.ts';

/** How windows are measured. */
export interface WindowSettings {
  /** Length of a window, ms. */
  readonly intervalMs: number;
  /** Most windows. */
  readonly maxTrials: number;
  /** Allowed spread, percent. */
  readonly stabilityPercentage: number;
  /** Samples per request. */
  readonly batchSize: number;
  /** Server statistics; undefined to skip the server side. */
  readonly stats: StatisticsFetcher | undefined;
}

/** What one window showed, for progress reports. */
export interface TrialReport {
  /** 1-based window number. */
  readonly trial: number;
  /** Its throughput, infer/sec. */
  readonly throughput: number;
  /** Its average latency, µs. */
  readonly avgLatencyUs: number;
}

/** The measurement of one load level. */
export interface LevelMeasurement {
  /** Whether the last 3 windows were stable (else they are merged anyway). */
  readonly stable: boolean;
  /** Windows measured. */
  readonly trials: number;
  /** The client's numbers over the merged windows. */
  readonly client: ClientSummary;
  /** The server's numbers over the merged windows; undefined without statistics. */
  readonly server: ServerSummary | undefined;
}

/** @throws the load's failure, so that a failing request ends the measurement. */
function checkLoad(load: Load): void {
  if (load.failure !== undefined) throw load.failure;
}

/**
 * Measures windows on a running load until stable or `maxTrials`.
 * @param load - the running load.
 * @param settings - window length, trials, stability, batch size, statistics.
 * @param onTrial - called after each window.
 * @throws the error of the first failed request.
 */
export async function measureLevel(
  load: Load,
  settings: WindowSettings,
  onTrial: (report: TrialReport) => void = () => {},
): Promise<LevelMeasurement> {
  const windows: Window[] = [];
  const throughputs: number[] = [];
  const latencies: number[] = [];
  let stable = false;
  while (!stable && windows.length < settings.maxTrials) {
    const window = await measureWindow(load, settings.intervalMs, settings.stats);
    checkLoad(load);
    windows.push(window);
    throughputs.push(windowThroughput(window, settings.batchSize));
    latencies.push(windowAvgLatency(window));
    onTrial({ trial: windows.length, throughput: throughputs.at(-1)!, avgLatencyUs: latencies.at(-1)! });
    stable = isStable(throughputs, latencies, settings.stabilityPercentage);
  }
  const merged = mergeWindows(windows.slice(-STABILITY_WINDOWS));
  return {
    stable,
    trials: windows.length,
    client: summarizeClient(merged, settings.batchSize),
    server: merged.server && summarizeServer(merged.server),
  };
}
