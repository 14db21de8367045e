/**
 * The OpenTelemetry export pipeline of OpenTelemetry mode: OTLP/HTTP (protobuf) exporter, batch span
 * processor with the `bsp_*` settings, tracer provider with the configured resource. Export problems are
 * counted and logged at most once per interval; they never reach a request.
 *
 * @module
 */

import { context, type SpanContext, trace, type TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { log } from '../logger.ts';
import type { FrontendTrace } from './frontend-trace.ts';
import { OtelRequestTrace, type OtelRequestTraceOptions } from './otel-request-trace.ts';
import { CompactRequestTrace } from './compact-request-trace.ts';
import { BatchingSpanProcessor } from './otlp/batching-span-processor.ts';
import { ExportEnvelope } from './otlp/encode-recorded-spans.ts';
import { createOtlpSpanExporter } from './otlp/otlp-span-exporter.ts';
import { SpanBatch, WriterPool } from './otlp/span-batch.ts';
import { RecordedSpan } from './otlp/recorded-span.ts';
import type { OtelTraceConfig } from './trace-config.ts';
import type { TraceErrors } from './trace-guard.ts';
import { ApiTreeSpan } from './tree-span.ts';
import { spanKindsOf, treeDetail } from './tree-plan.ts';
import { extractW3CContext, type HeaderGetter } from './w3c-context.ts';

/** Triton's instrumentation scope name. */
export const TRACER_NAME = 'triton-server';

const REPORT_INTERVAL_MS = 10_000;

/**
 * How long one export (retries included) may take. The JS exporter's transport (an `https://` collector, or
 * gzip) keeps the process alive while it waits to retry, so this also bounds how long a process can linger
 * after stopping while such a collector is down.
 */
const EXPORT_TIMEOUT_MS = 3_000;

/** What {@link OtelPipeline.startTrace} needs of a request: the pipeline adds its root span starter. */
export type RequestTraceOptions = Omit<OtelRequestTraceOptions, 'startRoot'>;

/** Counts of spans that did not reach the collector. */
export interface ExportLosses {
  /** Spans dropped because the batch queue was full. */
  readonly queueFull: number;
  /** Spans whose export failed (collector down, slow or answering errors). */
  readonly exportFailed: number;
}

/** A running pipeline. */
export interface OtelPipeline {
  /** Whether the pipeline's provider is the global one it registered (false: the application's is used). */
  readonly registeredGlobally: boolean;
  /** The propagated W3C span context of a request, or undefined when it carries no valid one. */
  extractContext(headers: HeaderGetter): SpanContext | undefined;
  /**
   * Starts the trace of a request under `parent` (the propagated context) when given: spans ts-triton records
   * and encodes itself when the pipeline's provider is the global one, spans of the application's tracer
   * otherwise.
   */
  startTrace(options: RequestTraceOptions): FrontendTrace;
  /** Spans lost so far. */
  losses(): ExportLosses;
  /** The collector's URL spans are exported to. */
  readonly collectorUrl: string;
  /** Exports pending spans (waiting at most `timeoutMs`) and shuts the pipeline down. */
  shutdown(timeoutMs: number): Promise<void>;
}

class LossCounter {
  queueFull = 0;
  exportFailed = 0;
  /** Why the last export failed. */
  lastError: string | undefined;
  readonly #url: string;
  #reported = { queueFull: 0, exportFailed: 0 };
  #lastReport = -Infinity;

  /** @param url - the collector's URL, named in the reports. */
  constructor(url: string) {
    this.#url = url;
  }

  /** Logs new losses, at most once per interval (or always when `force`). */
  report(force = false): void {
    const now = performance.now();
    if (!force && now - this.#lastReport < REPORT_INTERVAL_MS) return;
    const queueFull = this.queueFull - this.#reported.queueFull;
    const exportFailed = this.exportFailed - this.#reported.exportFailed;
    if (queueFull === 0 && exportFailed === 0) return;
    this.#lastReport = now;
    this.#reported = { queueFull: this.queueFull, exportFailed: this.exportFailed };
    const why = exportFailed > 0 ? `; last failure: ${this.lastError ?? 'unknown error'}` : '';
    log.warn(
      `OpenTelemetry: ${queueFull} spans dropped (batch queue full) and ${exportFailed} spans not exported to the collector at ${this.#url} since the last report${why} (ts_triton_trace_spans_lost_total counts them)`,
    );
  }
}

/**
 * `url` with `http://` in front when it has no scheme: Triton's collector URLs are often written
 * `localhost:4318/v1/traces` (its exporter reads them as HTTP), which the JS exporter would not send to.
 */
function withHttpScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

/** Registers an AsyncLocalStorage context manager unless the application registered one. */
function ensureContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
}

/**
 * Builds the pipeline from the OpenTelemetry-mode settings and registers its provider globally when it can.
 * @param errors - counts errors of the span processor, the encoder and the transport (each drops its spans).
 */
export function startOtelPipeline(config: OtelTraceConfig, errors: TraceErrors): OtelPipeline {
  const resource = defaultResource().merge(resourceFromAttributes(config.resourceAttributes));
  const instrumentationScope = { name: TRACER_NAME };
  const exporter = createOtlpSpanExporter({
    ...(config.urlGiven && { url: withHttpScheme(config.url) }),
    timeoutMillis: EXPORT_TIMEOUT_MS,
    onTransportError: (error) => errors.report('sending spans', error),
  });
  const losses = new LossCounter(exporter.url);
  const envelope = new ExportEnvelope(resource, instrumentationScope);
  const maxExportBatchSize = Math.min(config.bspMaxExportBatchSize, config.bspMaxQueueSize);
  const writers = new WriterPool(maxExportBatchSize);
  const spanProcessor = new BatchingSpanProcessor({
    maxQueueSize: config.bspMaxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis: config.bspScheduleDelayMillis,
    newBatch: () => new SpanBatch(envelope, writers),
    async exportBatch(batch) {
      let failure: string | undefined;
      try {
        failure = await exporter.export(batch);
      } catch (error) {
        errors.report('exporting spans', error);
        failure = `an error while exporting (${error instanceof Error ? error.message : String(error)})`;
      } finally {
        batch.release();
      }
      if (failure === undefined) return;
      losses.exportFailed += batch.count;
      losses.lastError = failure;
      losses.report();
    },
    onError: (error) => errors.report('recording a span', error),
    onDropped(count) {
      losses.queueFull += count;
      losses.report();
    },
    onShutdown: () => exporter.shutdown(),
  });
  const provider = new TracerProvider({ resource, spanProcessors: [spanProcessor] });
  ensureContextManager();
  const registeredGlobally = trace.setGlobalTracerProvider(provider);
  const active: ApiTracerProvider = registeredGlobally ? provider : trace.getTracerProvider();
  if (!registeredGlobally) {
    log.info('OpenTelemetry: the application registered a tracer provider already; ts-triton uses it');
  }
  const spanKinds = spanKindsOf(config.spanKinds);
  const detail = treeDetail(config.detail);
  const withEvents = config.events;
  const startRoot = registeredGlobally
    ? RecordedSpan.starter({ processor: spanProcessor, resource, instrumentationScope })
    : ApiTreeSpan.starter(active.getTracer(TRACER_NAME));
  return {
    startTrace: registeredGlobally
      ? (options) => new CompactRequestTrace({ ...options, startRoot, processor: spanProcessor, spanKinds, detail, withEvents })
      : (options) => new OtelRequestTrace({ ...options, startRoot, spanKinds, detail, withEvents }),
    registeredGlobally,
    collectorUrl: exporter.url,
    extractContext: extractW3CContext,
    losses: () => ({ queueFull: losses.queueFull, exportFailed: losses.exportFailed }),
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      const flushAndClose = async (): Promise<void> => {
        if (registeredGlobally) await provider.forceFlush();
        await provider.shutdown();
      };
      await Promise.race([flushAndClose().catch(() => undefined), deadline]);
      clearTimeout(timer);
      losses.report(true);
      if (registeredGlobally) trace.disable();
    },
  };
}
