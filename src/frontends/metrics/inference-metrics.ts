/**
 * Triton's per-model `nv_inference_*` metric families, read from each model's {@link ModelStatistics} when
 * the registry is scraped: recording a request costs nothing beyond the statistics the scheduler keeps anyway.
 *
 * @module
 */

import { Counter, Gauge, type Registry } from 'prom-client';
import type { FailureReason, ModelStatistics, TimeoutKind } from '../../core/model-statistics.ts';

/** A model version whose statistics the metrics report. */
export interface MetricsModel {
  readonly name: string;
  readonly version: number;
  readonly statistics: ModelStatistics;
}

/** Lists the model versions to report, asked again at every scrape (so models bound later are included). */
export type MetricsModelSource = () => Iterable<MetricsModel>;

/** A counter family holding one value per model version. */
interface ModelCounterFamily {
  readonly name: string;
  readonly help: string;
  readonly value: (statistics: ModelStatistics) => number;
}

/** Cumulative nanoseconds as whole microseconds (truncated, as Triton's integer division does). */
export const nsToUs = (ns: number): number => Math.floor(ns / 1000);

/** The failure reasons Triton labels; every model has all four series, zero until a failure. */
export const FAILURE_REASONS: readonly FailureReason[] = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'];

const TIMEOUT_KINDS: readonly TimeoutKind[] = ['queue', 'execution'];

const COUNTERS: readonly ModelCounterFamily[] = [
  {
    name: 'nv_inference_request_success',
    help: 'Number of successful inference requests, all batch sizes',
    value: (s) => s.success.count,
  },
  {
    name: 'nv_inference_count',
    help: 'Number of inferences performed (does not include cached requests)',
    value: (s) => s.inferenceCount,
  },
  {
    name: 'nv_inference_exec_count',
    help: 'Number of model executions performed (does not include cached requests)',
    value: (s) => s.executionCount,
  },
  {
    name: 'nv_inference_request_duration_us',
    help: 'Cumulative inference request duration in microseconds (includes cached requests)',
    value: (s) => nsToUs(s.success.ns),
  },
  {
    name: 'nv_inference_queue_duration_us',
    help: 'Cumulative inference queuing duration in microseconds (includes cached requests)',
    value: (s) => nsToUs(s.queue.ns),
  },
  {
    name: 'nv_inference_compute_input_duration_us',
    help: 'Cumulative compute input duration in microseconds (does not include cached requests)',
    value: (s) => nsToUs(s.computeInput.ns),
  },
  {
    name: 'nv_inference_compute_infer_duration_us',
    help: 'Cumulative compute inference duration in microseconds (does not include cached requests)',
    value: (s) => nsToUs(s.computeInfer.ns),
  },
  {
    name: 'nv_inference_compute_output_duration_us',
    help: 'Cumulative inference compute output duration in microseconds (does not include cached requests)',
    value: (s) => nsToUs(s.computeOutput.ns),
  },
];

const MODEL_LABELS = ['model', 'version'] as const;

const labelsOf = (model: MetricsModel): { model: string; version: string } => ({
  model: model.name,
  version: String(model.version),
});

/**
 * Registers Triton's per-model families on `registry`. Each family refills its series from `models()`
 * whenever the registry is scraped.
 * @param registry - the registry to register on (a server's own, never the global default).
 * @param models - the model versions to report.
 */
export function registerInferenceMetrics(registry: Registry, models: MetricsModelSource): void {
  const [success, ...others] = COUNTERS;
  registerCounter(registry, success!, models);
  registerFailureCounter(registry, models);
  for (const family of others) registerCounter(registry, family, models);
  registerTimeoutCounter(registry, models);
  registerPendingGauge(registry, models);
}

function registerCounter(registry: Registry, family: ModelCounterFamily, models: MetricsModelSource): void {
  const { name, help, value } = family;
  new Counter({
    name,
    help,
    labelNames: MODEL_LABELS,
    registers: [registry],
    collect(this: Counter<'model' | 'version'>) {
      this.reset();
      for (const model of models()) this.inc(labelsOf(model), value(model.statistics));
    },
  });
}

function registerFailureCounter(registry: Registry, models: MetricsModelSource): void {
  new Counter({
    name: 'nv_inference_request_failure',
    help: 'Number of failed inference requests, all batch sizes',
    labelNames: [...MODEL_LABELS, 'reason'],
    registers: [registry],
    collect(this: Counter<'model' | 'version' | 'reason'>) {
      this.reset();
      for (const model of models()) {
        const labels = labelsOf(model);
        for (const reason of FAILURE_REASONS) this.inc({ ...labels, reason }, model.statistics.failures[reason]);
      }
    },
  });
}

/** The timeouts that failed requests, by kind; like the failure family, every series exists from the start. */
function registerTimeoutCounter(registry: Registry, models: MetricsModelSource): void {
  new Counter({
    name: 'ts_triton_request_timeouts_total',
    help: 'Requests failed by a timeout: their queue timeout (kind="queue", also counted as REJECTED) or the model\'s execution timeout (kind="execution", also counted as BACKEND)',
    labelNames: [...MODEL_LABELS, 'kind'],
    registers: [registry],
    collect(this: Counter<'model' | 'version' | 'kind'>) {
      this.reset();
      for (const model of models()) {
        const labels = labelsOf(model);
        for (const kind of TIMEOUT_KINDS) this.inc({ ...labels, kind }, model.statistics.timeouts[kind]);
      }
    },
  });
}

function registerPendingGauge(registry: Registry, models: MetricsModelSource): void {
  new Gauge({
    name: 'nv_inference_pending_request_count',
    help: 'Instantaneous number of pending requests awaiting execution per-model.',
    labelNames: MODEL_LABELS,
    registers: [registry],
    collect(this: Gauge<'model' | 'version'>) {
      this.reset();
      for (const model of models()) this.set(labelsOf(model), model.statistics.pending);
    },
  });
}
