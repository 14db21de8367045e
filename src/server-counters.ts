/**
 * The server's own counters for the metrics endpoint, beside Triton's per-model families: what went wrong
 * outside a request's answer and would otherwise show only in the log.
 *
 * @module
 */

import type { ServerCounter } from './frontends/metrics/metrics-server.ts';
import type { TraceManager } from './tracing/trace-manager.ts';
import { unhandledErrorCounts } from './uncaught-errors.ts';

/** The counters of a server whose tracing is `tracing` (read at each scrape). */
export function serverCounters(tracing: () => TraceManager | undefined): ServerCounter[] {
  return [
    {
      name: 'ts_triton_unhandled_errors_total',
      help: 'Promise rejections and exceptions nothing handled, by kind and by the model whose code raised them ("" when none); the server logs each and keeps serving',
      labelNames: ['kind', 'model'],
      samples: () => unhandledErrorCounts().map(({ kind, model, count }) => [{ kind, model }, count] as const),
    },
    {
      name: 'ts_triton_trace_spans_lost_total',
      help: 'OpenTelemetry spans that did not reach the collector: dropped because the batch queue was full (queue_full), or in an export that failed (export_failed)',
      labelNames: ['reason'],
      samples: () => {
        const losses = tracing()?.pipeline?.losses();
        if (!losses) return [];
        return [
          [{ reason: 'queue_full' }, losses.queueFull],
          [{ reason: 'export_failed' }, losses.exportFailed],
        ] as const;
      },
    },
  ];
}
