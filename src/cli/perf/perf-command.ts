/**
 * `ts-triton perf`: measures a model's throughput and latency at each load level, like perf_analyzer, and
 * prints the console report (or `--json`) on stdout, progress on stderr.
 *
 * @module
 */

import { writeFileSync } from 'node:fs';
import { type ClientModelConfig, ModelUnavailableError } from '../../client/index.ts';
import { UsageError } from '../usage-error.ts';
import { ClientPool, clientCount } from './client-pool.ts';
import { buildRequestInputs, type RequestInputs } from './input-data.ts';
import { type Load, type SendRequest, startConcurrencyLoad, startRateLoad } from './load.ts';
import { PERF_USAGE, type PerfOptions, parsePerfOptions, wantsHelp } from './options.ts';
import type { PerfPoint, PerfRun } from './perf-result.ts';
import { measureLevel, type WindowSettings } from './profiler.ts';
import { createProgress } from './progress.ts';
import { formatCsv } from './report-csv.ts';
import { formatPoint, formatSettings, formatSummary } from './report-console.ts';
import { formatJson } from './report-json.ts';
import { StatisticsFetcher } from './server-stats.ts';

const SERVER_WAIT_S = 10;
const MODEL_WAIT_S = 1;

/** Waits for the server and the model and returns the configuration, with clear errors. */
async function checkModel(pool: ClientPool, options: PerfOptions): Promise<ClientModelConfig> {
  const client = pool.primary;
  await client.waitForServer(SERVER_WAIT_S);
  try {
    await client.waitForModel(MODEL_WAIT_S);
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    const version = options.modelVersion === undefined ? '' : ` version ${options.modelVersion}`;
    throw new Error(`model '${options.modelName}'${version} is not available on ${options.url} (unknown or not ready)`);
  }
  const config = await client.modelConfig();
  if (config.decoupled)
    throw new UsageError(`model '${options.modelName}' is decoupled; perf measures non-decoupled models`);
  await Promise.all(pool.clients.map((c) => c.modelConfig()));
  return config;
}

/** @throws {UsageError} when the batch size does not fit the model. */
function checkBatchSize(config: ClientModelConfig, batchSize: number): void {
  if (config.maxBatchSize === 0 && batchSize > 1) {
    throw new UsageError(`model '${config.name}' does not batch (max_batch_size 0): -b must be 1`);
  }
  if (config.maxBatchSize > 0 && batchSize > config.maxBatchSize) {
    throw new UsageError(`-b ${batchSize} exceeds the model's max_batch_size ${config.maxBatchSize}`);
  }
}

/** The request sender: cycles through the prepared inputs, one client per group of workers. */
function sender(pool: ClientPool, config: ClientModelConfig, inputs: readonly RequestInputs[]): SendRequest {
  let next = 0;
  return async (worker) => {
    const client = pool.forWorker(worker);
    const request = inputs[next++ % inputs.length]!;
    await (config.maxBatchSize > 0 ? client.inferBatch(request) : client.inferSample(request));
  };
}

function startLoad(options: PerfOptions, send: SendRequest, level: number): Load {
  return options.mode === 'concurrency' ? startConcurrencyLoad(send, level) : startRateLoad(send, level);
}

function pointOf(
  options: PerfOptions,
  level: number,
  measured: Omit<PerfPoint, 'concurrency' | 'requestRate'>,
): PerfPoint {
  return options.mode === 'concurrency' ? { concurrency: level, ...measured } : { requestRate: level, ...measured };
}

/** Measures every level in turn. */
async function measureAll(
  options: PerfOptions,
  send: SendRequest,
  settings: WindowSettings,
  onPoint: (point: PerfPoint) => void,
): Promise<PerfPoint[]> {
  const progress = createProgress();
  const points: PerfPoint[] = [];
  for (const level of options.levels) {
    const label = options.mode === 'concurrency' ? `concurrency ${level}` : `request rate ${level}/s`;
    const load = startLoad(options, send, level);
    try {
      const measured = await measureLevel(load, settings, (r) => progress.trial(label, r, options.maxTrials));
      progress.done();
      if (!measured.stable) process.stderr.write(`warning: ${label} not stable within ${measured.trials} windows\n`);
      points.push(pointOf(options, level, measured));
      onPoint(points.at(-1)!);
    } finally {
      progress.done();
      await load.stop();
    }
  }
  return points;
}

/** The statistics fetcher: `--stats-url`, else the server URL when it is HTTP. */
async function statistics(pool: ClientPool, options: PerfOptions): Promise<StatisticsFetcher | undefined> {
  const base = options.statsUrl ?? (pool.primary.url.protocol === 'http' ? pool.primary.url.target : undefined);
  if (base === undefined) return undefined;
  const fetcher = new StatisticsFetcher(base, options.modelName, options.modelVersion);
  await fetcher.fetch();
  return fetcher;
}

/**
 * Runs `ts-triton perf` with the arguments after `perf`.
 * @throws {UsageError} for a wrong command line or a model that does not fit it.
 * @throws the client's errors (server unreachable, model unavailable, failed request).
 */
export async function runPerf(args: readonly string[]): Promise<void> {
  if (wantsHelp(args)) {
    process.stdout.write(PERF_USAGE);
    return;
  }
  const options = parsePerfOptions(args);
  const protocol = options.url.startsWith('grpc://') ? 'grpc' : 'http';
  await using pool = new ClientPool(
    options.url,
    options.modelName,
    options.modelVersion,
    clientCount(protocol, options.mode, Math.max(...options.levels)),
    protocol,
  );
  const config = await checkModel(pool, options);
  checkBatchSize(config, options.batchSize);
  const inputs = buildRequestInputs({
    config,
    batchSize: options.batchSize,
    shapes: options.shapes,
    source: options.inputData,
  });
  const stats = await statistics(pool, options);
  const run: Omit<PerfRun, 'points'> = {
    url: options.url,
    protocol,
    model: options.modelName,
    modelVersion: options.modelVersion,
    batchSize: options.batchSize,
    mode: options.mode,
    measurementIntervalMs: options.measurementIntervalMs,
    stabilityPercentage: options.stabilityPercentage,
    maxTrials: options.maxTrials,
    statsUrl: stats ? (options.statsUrl ?? pool.primary.url.target) : undefined,
  };
  if (!options.json) process.stdout.write(formatSettings(run));
  const settings: WindowSettings = {
    intervalMs: options.measurementIntervalMs,
    maxTrials: options.maxTrials,
    stabilityPercentage: options.stabilityPercentage,
    batchSize: options.batchSize,
    stats,
  };
  const points = await measureAll(options, sender(pool, config, inputs), settings, (point) => {
    if (!options.json) process.stdout.write(formatPoint(run, point));
  });
  const result: PerfRun = { ...run, points };
  process.stdout.write(options.json ? formatJson(result) : formatSummary(result));
  if (options.csvFile !== undefined) writeFileSync(options.csvFile, formatCsv(result));
}
