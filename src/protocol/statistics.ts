/**
 * The statistics extension's body (`GET /v2/models[/{m}[/versions/{v}]]/stats`): Triton's field names,
 * counts and cumulative nanoseconds as JSON numbers.
 *
 * @module
 */

import type { Duration, ModelStatistics } from '../core/model-statistics.ts';
import type { ModelStatisticsOut } from './grpc-messages.ts';

/** A model version and its statistics. */
export interface StatisticsEntry {
  readonly name: string;
  readonly version: number;
  readonly statistics: ModelStatistics;
}

const copy = (d: Duration): Duration => ({ count: d.count, ns: d.ns });

/** One model version's statistics with Triton's field names (the gRPC `ModelStatistics` message). */
export function modelStatistics({ name, version, statistics: s }: StatisticsEntry): ModelStatisticsOut {
  return {
    name,
    version: String(version),
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: copy(s.success),
      fail: copy(s.fail),
      queue: copy(s.queue),
      compute_input: copy(s.computeInput),
      compute_infer: copy(s.computeInfer),
      compute_output: copy(s.computeOutput),
      cache_hit: copy(s.cacheHit),
      cache_miss: copy(s.cacheMiss),
    },
    batch_stats: s.batchStatistics().map((b) => ({
      batch_size: b.batchSize,
      compute_input: copy(b.computeInput),
      compute_infer: copy(b.computeInfer),
      compute_output: copy(b.computeOutput),
    })),
  };
}

/** The statistics response for the given model versions (HTTP adds Triton's empty per-response and memory fields). */
export function statisticsJson(entries: readonly StatisticsEntry[]): string {
  const model_stats = entries.map((entry) => {
    const { batch_stats, ...head } = modelStatistics(entry);
    return { ...head, response_stats: {}, batch_stats, memory_usage: [] };
  });
  return JSON.stringify({ model_stats });
}
