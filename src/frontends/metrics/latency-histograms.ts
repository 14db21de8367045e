/**
 * ts-triton's latency histograms (`TritonConfig.metricsConfig: ['histogram_latencies=true']`): request, queue
 * and compute durations of successful requests per model version, in seconds, read at every scrape from the
 * histograms the model statistics keep. Triton has no histogram of these durations (only summaries), so the
 * families carry ts-triton's prefix. In the OpenMetrics format each bucket carries an exemplar: the trace and
 * span ids of the last traced request that fell into it.
 *
 * The families are registered as plain metric objects (what prom-client's registry renders: `get()` returning
 * the samples), because their values are already aggregated; prom-client's `Histogram` only observes.
 *
 * @module
 */

import type { Registry } from 'prom-client';
import {
  type LatencyHistogram,
  type LatencyHistograms,
  LATENCY_BUCKETS_SECONDS,
} from '../../core/latency-histogram.ts';
import type { MetricsModelSource } from './inference-metrics.ts';

interface HistogramFamily {
  readonly name: string;
  readonly help: string;
  readonly of: (latencies: LatencyHistograms) => LatencyHistogram;
}

const FAMILIES: readonly HistogramFamily[] = [
  {
    name: 'ts_triton_inference_request_duration_seconds',
    help: 'Duration of successful inference requests, from arrival to response, in seconds (includes cached requests)',
    of: (l) => l.request,
  },
  {
    name: 'ts_triton_inference_queue_duration_seconds',
    help: 'Time successful inference requests waited in the queue, in seconds (does not include cached requests)',
    of: (l) => l.queue,
  },
  {
    name: 'ts_triton_inference_compute_duration_seconds',
    help: 'Duration of the execution (input, infer function, output) of successful inference requests, in seconds (does not include cached requests)',
    of: (l) => l.compute,
  },
];

/** The sample shape prom-client's registry renders (its `MetricValue`, with an exemplar). */
interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly exemplar?: { readonly labelSet: Record<string, string>; readonly value: number; readonly timestamp: number };
}

const LE = [...LATENCY_BUCKETS_SECONDS.map(String), '+Inf'];

/** The samples of one model version's histogram: cumulative buckets with their exemplars, sum and count. */
function samples(name: string, labels: Record<string, string>, histogram: LatencyHistogram | undefined): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let bucket = 0; bucket < LE.length; bucket++) {
    cumulative += histogram?.counts[bucket] ?? 0;
    const exemplar = histogram?.exemplars[bucket];
    out.push({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: LE[bucket]! },
      value: cumulative,
      ...(exemplar && {
        exemplar: {
          labelSet: { trace_id: exemplar.traceId, span_id: exemplar.spanId },
          value: exemplar.seconds,
          timestamp: exemplar.atMs / 1000,
        },
      }),
    });
  }
  out.push({ metricName: `${name}_sum`, labels, value: histogram?.sumSeconds ?? 0 });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
  return out;
}

/** Registers the three latency histogram families on `registry`. */
export function registerLatencyHistograms(registry: Registry, models: MetricsModelSource): void {
  for (const { name, help, of } of FAMILIES) {
    const family = {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        name,
        help,
        type: 'histogram',
        aggregator: 'sum',
        values: [...models()].flatMap((model) => {
          const latencies = model.statistics.latencies;
          return samples(name, { model: model.name, version: String(model.version) }, latencies && of(latencies));
        }),
      }),
      reset: () => {},
    };
    registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
