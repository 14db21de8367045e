/**
 * Latency histograms of successful requests, kept beside a model's cumulative statistics: counts per bucket
 * and, for each bucket, the last traced request that fell into it (an exemplar: its trace and span ids). The
 * metrics endpoint renders them; recording a request is a short scan of the bounds and an increment.
 *
 * @module
 */

import type { RequestTrace } from './trace-hooks.ts';

/** Upper bounds of the buckets, in seconds (the last bucket, +Inf, is implicit). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/** The last traced observation of a bucket. */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId: string;
  /** The observed value, in seconds. */
  readonly seconds: number;
  /** When it was observed, in ms since the epoch. */
  readonly atMs: number;
}

/** One histogram: counts per bucket (the last one is +Inf), their sum in seconds, and exemplars. */
export class LatencyHistogram {
  /** Observations per bucket, not cumulative; one more than {@link LATENCY_BUCKETS_SECONDS} (+Inf). */
  readonly counts = new Float64Array(LATENCY_BUCKETS_SECONDS.length + 1);
  sumSeconds = 0;
  /** The last exemplar of each bucket (sparse). */
  readonly exemplars: (Exemplar | undefined)[] = [];

  /** Records `ms`; when `trace` knows its ids, the observation becomes its bucket's exemplar. */
  observe(ms: number, trace: RequestTrace | undefined): void {
    const seconds = ms / 1000;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sumSeconds += seconds;
    const ids = trace?.rootSpanContext?.();
    if (ids !== undefined)
      this.exemplars[bucket] = { traceId: ids.traceId, spanId: ids.spanId, seconds, atMs: Date.now() };
  }
}

/** The histograms of one model version. */
export class LatencyHistograms {
  /** Arrival to response. */
  readonly request = new LatencyHistogram();
  /** Time in the queue. */
  readonly queue = new LatencyHistogram();
  /** The execution of the request's batch: input, infer function, output. */
  readonly compute = new LatencyHistogram();
}
