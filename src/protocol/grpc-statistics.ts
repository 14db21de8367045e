/**
 * The statistics extension as a gRPC `ModelStatisticsResponse`: the same figures as the HTTP body
 * (`statistics.ts`), with Triton's protobuf field names.
 *
 * @module
 */

import type { Duration } from '../core/model-statistics.ts';
import type { ModelStatisticsOut, ModelStatisticsResponseOut, StatisticDurationOut } from './grpc-messages.ts';
import type { StatisticsEntry } from './statistics.ts';

const duration = (d: Duration): StatisticDurationOut => ({ count: d.count, ns: d.ns });

/** One model version's `ModelStatistics`. */
export function modelStatisticsMessage({ name, version, statistics: s }: StatisticsEntry): ModelStatisticsOut {
  return {
    name,
    version: String(version),
    last_inference: s.lastInference,
    inference_count: s.inferenceCount,
    execution_count: s.executionCount,
    inference_stats: {
      success: duration(s.success),
      fail: duration(s.fail),
      queue: duration(s.queue),
      compute_input: duration(s.computeInput),
      compute_infer: duration(s.computeInfer),
      compute_output: duration(s.computeOutput),
      cache_hit: duration(s.cacheHit),
      cache_miss: duration(s.cacheMiss),
    },
    batch_stats: s.batchStatistics().map((b) => ({
      batch_size: b.batchSize,
      compute_input: duration(b.computeInput),
      compute_infer: duration(b.computeInfer),
      compute_output: duration(b.computeOutput),
    })),
  };
}

/** The `ModelStatisticsResponse` for the given model versions. */
export function statisticsResponse(entries: readonly StatisticsEntry[]): ModelStatisticsResponseOut {
  return { model_stats: entries.map(modelStatisticsMessage) };
}
