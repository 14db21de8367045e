/**
 * Per-model inference statistics with Triton's semantics (the statistics extension and the `nv_inference_*`
 * metrics read them): request outcomes and durations, queue and compute phases, executions, and batch sizes.
 *
 * @module
 */

import { LatencyHistograms } from './latency-histogram.ts';
import type { RequestTrace } from './trace-hooks.ts';

/** A count and a cumulative duration in nanoseconds. */
export interface Duration {
  count: number;
  ns: number;
}

/** The compute phases of the executions of one batch size. */
export interface BatchStatistics {
  readonly batchSize: number;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
}

/** Why a request failed, as Triton's failure metric labels it. */
export type FailureReason = 'REJECTED' | 'CANCELED' | 'BACKEND' | 'OTHER';

/** Which timeout failed a request: its queue timeout, or the model's execution timeout. */
export type TimeoutKind = 'queue' | 'execution';

/** Timestamps (`performance.now()`, ms) of one batch execution. */
export interface ExecutionTiming {
  readonly start: number;
  readonly inputEnd: number;
  readonly outputStart: number;
  readonly end: number;
}

const duration = (): Duration => ({ count: 0, ns: 0 });
const msToNs = (ms: number): number => Math.round(ms * 1e6);

/** The statistics of one model version. */
export class ModelStatistics {
  /** Last inference, in ms since the epoch (0: none yet). */
  lastInference = 0;
  /** Batch elements inferred (the sum of the batch sizes executed). */
  inferenceCount = 0;
  /** Executions of the infer function. */
  executionCount = 0;
  /** Successful requests and their durations from arrival to response. */
  readonly success = duration();
  /** Failed requests and their durations. */
  readonly fail = duration();
  /** Failed requests by reason. */
  readonly failures: Record<FailureReason, number> = { REJECTED: 0, CANCELED: 0, BACKEND: 0, OTHER: 0 };
  /**
   * Requests failed by a timeout: their queue timeout expired (also counted as REJECTED), or the execution
   * timeout of their batch did (also counted as BACKEND).
   */
  readonly timeouts: Record<TimeoutKind, number> = { queue: 0, execution: 0 };
  /** Time successful requests waited in the queue. */
  readonly queue = duration();
  /** Compute phases, counted per successful request (each request of a batch adds the batch's durations). */
  readonly computeInput = duration();
  readonly computeInfer = duration();
  readonly computeOutput = duration();
  /** Response cache hits (lookup time) and misses (lookup and insertion time). */
  readonly cacheHit = duration();
  readonly cacheMiss = duration();
  readonly #batches = new Map<number, BatchStatistics>();

  /** Requests queued or executing right now. */
  pending = 0;

  /** Statistics per executed batch size, smallest first. */
  batchStatistics(): BatchStatistics[] {
    return [...this.#batches.values()].sort((a, b) => a.batchSize - b.batchSize);
  }

  /** Records one execution of a batch of `rows` batch elements. */
  recordExecution(rows: number, timing: ExecutionTiming): void {
    this.executionCount++;
    this.inferenceCount += rows;
    this.lastInference = Date.now();
    let batch = this.#batches.get(rows);
    if (!batch) {
      batch = { batchSize: rows, computeInput: duration(), computeInfer: duration(), computeOutput: duration() };
      this.#batches.set(rows, batch);
    }
    add(batch.computeInput, timing.inputEnd - timing.start);
    add(batch.computeInfer, timing.outputStart - timing.inputEnd);
    add(batch.computeOutput, timing.end - timing.outputStart);
  }

  /** Latency histograms of successful requests (made on the first one). */
  latencies: LatencyHistograms | undefined;

  /**
   * Records a request that succeeded after `queuedMs` in the queue and an execution with `timing`.
   * @param trace - the request's trace, whose ids become exemplars of the histograms when it tells them.
   */
  recordSuccess(totalMs: number, queuedMs: number, timing: ExecutionTiming, trace?: RequestTrace): void {
    const latencies = (this.latencies ??= new LatencyHistograms());
    latencies.request.observe(totalMs, trace);
    latencies.queue.observe(queuedMs, trace);
    latencies.compute.observe(timing.end - timing.start, trace);
    add(this.success, totalMs);
    add(this.queue, queuedMs);
    add(this.computeInput, timing.inputEnd - timing.start);
    add(this.computeInfer, timing.outputStart - timing.inputEnd);
    add(this.computeOutput, timing.end - timing.outputStart);
  }

  /** Records a request answered from the response cache after a lookup of `lookupMs` (no queue, no compute). */
  recordCacheHit(totalMs: number, lookupMs: number, trace?: RequestTrace): void {
    (this.latencies ??= new LatencyHistograms()).request.observe(totalMs, trace);
    add(this.success, totalMs);
    add(this.queue, 0);
    add(this.cacheHit, lookupMs);
  }

  /** Records a cache miss: the time spent looking up and inserting the result. */
  recordCacheMiss(ms: number): void {
    add(this.cacheMiss, ms);
  }

  /** Records a failed request. */
  recordFailure(totalMs: number, reason: FailureReason): void {
    add(this.fail, totalMs);
    this.failures[reason]++;
  }
}

function add(target: Duration, ms: number): void {
  target.count++;
  target.ns += msToNs(ms);
}
