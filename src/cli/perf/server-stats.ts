/**
 * Server-side statistics: the statistics extension (`GET /v2/models/<m>[/versions/<v>]/stats`) fetched over
 * HTTP before and after each window, diffed, and turned into perf_analyzer's server breakdown.
 *
 * @module
 */

/** A count and a cumulative duration in nanoseconds. */
export interface Duration {
  /** How many. */
  readonly count: number;
  /** Their total, ns. */
  readonly ns: number;
}

/** The counters of one model (all versions summed) that the breakdown needs. */
export interface StatsSnapshot {
  /** Batch elements inferred. */
  readonly inferenceCount: number;
  /** Backend executions. */
  readonly executionCount: number;
  /** Successful requests and their end-to-end server time. */
  readonly success: Duration;
  /** Time waiting in the scheduler queue. */
  readonly queue: Duration;
  /** Input preparation. */
  readonly computeInput: Duration;
  /** The model's execution. */
  readonly computeInfer: Duration;
  /** Output extraction. */
  readonly computeOutput: Duration;
}

/** The server's side of one measurement, perf_analyzer's "Server:" section (times in µs). */
export interface ServerSummary {
  /** Batch elements inferred. */
  readonly inferenceCount: number;
  /** Backend executions. */
  readonly executionCount: number;
  /** Successful requests. */
  readonly successCount: number;
  /** Avg server request latency, µs. */
  readonly avgRequestUs: number;
  /** Avg queue time, µs. */
  readonly avgQueueUs: number;
  /** Avg compute input, µs. */
  readonly avgComputeInputUs: number;
  /** Avg compute infer, µs. */
  readonly avgComputeInferUs: number;
  /** Avg compute output, µs. */
  readonly avgComputeOutputUs: number;
  /** `max(0, request − queue − compute)`, µs. */
  readonly avgOverheadUs: number;
  /** Whether compute input, infer and output counts are equal (perf_analyzer requires it). */
  readonly computeCountsConsistent: boolean;
}

const ZERO: Duration = { count: 0, ns: 0 };
const DURATIONS = ['success', 'queue', 'computeInput', 'computeInfer', 'computeOutput'] as const;

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});

function readDuration(value: unknown): Duration {
  const d = asObject(value);
  return { count: Number(d.count ?? 0), ns: Number(d.ns ?? 0) };
}

function readEntry(entry: unknown): StatsSnapshot {
  const e = asObject(entry);
  const s = asObject(e.inference_stats);
  return {
    inferenceCount: Number(e.inference_count ?? 0),
    executionCount: Number(e.execution_count ?? 0),
    success: readDuration(s.success),
    queue: readDuration(s.queue),
    computeInput: readDuration(s.compute_input),
    computeInfer: readDuration(s.compute_infer),
    computeOutput: readDuration(s.compute_output),
  };
}

/** A snapshot with every counter zero. */
export const EMPTY_SNAPSHOT: StatsSnapshot = {
  inferenceCount: 0,
  executionCount: 0,
  success: ZERO,
  queue: ZERO,
  computeInput: ZERO,
  computeInfer: ZERO,
  computeOutput: ZERO,
};

/** Combines two snapshots counter by counter with `op` (sum or difference). */
function combine(a: StatsSnapshot, b: StatsSnapshot, op: (x: number, y: number) => number): StatsSnapshot {
  const pair = (x: Duration, y: Duration): Duration => ({ count: op(x.count, y.count), ns: op(x.ns, y.ns) });
  const out = {
    inferenceCount: op(a.inferenceCount, b.inferenceCount),
    executionCount: op(a.executionCount, b.executionCount),
  } as Record<string, unknown>;
  for (const key of DURATIONS) out[key] = pair(a[key], b[key]);
  return out as unknown as StatsSnapshot;
}

/** The counters of `after` minus those of `before`. */
export function diffSnapshots(after: StatsSnapshot, before: StatsSnapshot): StatsSnapshot {
  return combine(after, before, (x, y) => x - y);
}

/** The sum of two snapshots (merging windows). */
export function addSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  return combine(a, b, (x, y) => x + y);
}

/**
 * Reads a statistics response body: sums the entries of `modelName` (every version the server reported).
 * @param body - the parsed JSON (`{"model_stats": [...]}`).
 */
export function parseStatistics(body: unknown, modelName: string): StatsSnapshot {
  const entries = Array.isArray(asObject(body).model_stats) ? (asObject(body).model_stats as unknown[]) : [];
  return entries
    .filter((e) => asObject(e).name === modelName)
    .map(readEntry)
    .reduce(addSnapshots, EMPTY_SNAPSHOT);
}

/** The average of a duration in µs; 0 when nothing was counted. */
const avgUs = (d: Duration): number => (d.count > 0 ? d.ns / d.count / 1000 : 0);

/** The server breakdown of a (diffed, possibly merged) snapshot, as perf_analyzer reports it. */
export function summarizeServer(d: StatsSnapshot): ServerSummary {
  const request = avgUs(d.success);
  const queue = avgUs(d.queue);
  const input = avgUs(d.computeInput);
  const infer = avgUs(d.computeInfer);
  const output = avgUs(d.computeOutput);
  return {
    inferenceCount: d.inferenceCount,
    executionCount: d.executionCount,
    successCount: d.success.count,
    avgRequestUs: request,
    avgQueueUs: queue,
    avgComputeInputUs: input,
    avgComputeInferUs: infer,
    avgComputeOutputUs: output,
    avgOverheadUs: Math.max(0, request - queue - input - infer - output),
    computeCountsConsistent:
      d.computeInput.count === d.computeInfer.count && d.computeInfer.count === d.computeOutput.count,
  };
}

/** Fetches one model's statistics over HTTP. */
export class StatisticsFetcher {
  readonly #url: string;
  readonly #modelName: string;

  /**
   * @param httpBase - the server's HTTP base URL (`http://host:port`).
   * @param modelName - the model.
   * @param modelVersion - its version; all versions when undefined.
   */
  constructor(httpBase: string, modelName: string, modelVersion: string | undefined) {
    const version = modelVersion === undefined ? '' : `/versions/${encodeURIComponent(modelVersion)}`;
    this.#url = `${httpBase.replace(/\/+$/, '')}/v2/models/${encodeURIComponent(modelName)}${version}/stats`;
    this.#modelName = modelName;
  }

  /**
   * The current counters.
   * @throws {Error} when the server does not answer 200 within 10 s.
   */
  async fetch(): Promise<StatsSnapshot> {
    const response = await fetch(this.#url, { signal: AbortSignal.timeout(10_000) });
    const body: unknown = await response.json().catch(() => ({}));
    if (!response.ok) {
      const reason = String(asObject(body).error ?? response.statusText);
      throw new Error(`statistics request ${this.#url} failed (${response.status}): ${reason}`);
    }
    return parseStatistics(body, this.#modelName);
  }
}
