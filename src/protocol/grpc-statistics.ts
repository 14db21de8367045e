/**
 * The statistics extension as a gRPC `ModelStatisticsResponse`: the same figures as the HTTP body
 * (`statistics.ts`).
 *
 * @module
 */

import type { ModelStatisticsResponseOut } from './grpc-messages.ts';
import { modelStatistics, type StatisticsEntry } from './statistics.ts';

/** The `ModelStatisticsResponse` for the given model versions. */
export function statisticsResponse(entries: readonly StatisticsEntry[]): ModelStatisticsResponseOut {
  return { model_stats: entries.map(modelStatistics) };
}
