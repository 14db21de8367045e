/**
 * The result of a `perf` run: the settings and one measured point per load level.
 *
 * @module
 */

import type { LoadMode } from './options.ts';
import type { LevelMeasurement } from './profiler.ts';

/** One measured load level. */
export interface PerfPoint extends LevelMeasurement {
  /** Outstanding requests (concurrency mode). */
  readonly concurrency?: number;
  /** Requests per second (request-rate mode). */
  readonly requestRate?: number;
}

/** A whole run. */
export interface PerfRun {
  /** The server URL. */
  readonly url: string;
  /** `http` or `grpc`. */
  readonly protocol: string;
  /** The model. */
  readonly model: string;
  /** Its version, when one was asked for. */
  readonly modelVersion: string | undefined;
  /** Samples per request. */
  readonly batchSize: number;
  /** Concurrency or request rate. */
  readonly mode: LoadMode;
  /** Window length, ms. */
  readonly measurementIntervalMs: number;
  /** Allowed spread, percent. */
  readonly stabilityPercentage: number;
  /** Most windows per level. */
  readonly maxTrials: number;
  /** Where server statistics came from; undefined when there were none. */
  readonly statsUrl: string | undefined;
  /** One point per level, in the order measured. */
  readonly points: readonly PerfPoint[];
}

/** The level of a point: its concurrency or its request rate. */
export function levelOf(point: PerfPoint): number {
  return point.concurrency ?? point.requestRate ?? 0;
}
