/**
 * The OpenTelemetry export pipeline of OpenTelemetry mode: the configured exporter (OTLP over HTTP/protobuf,
 * HTTP/JSON or gRPC, or the console), batch span processor with the `bsp_*` settings, tracer provider with the
 * configured resource. Export problems are counted and logged at most once per interval; they never reach a
 * request.
 *
 * @module
 */

import {
  context,
  isSpanContextValid,
  type SpanContext,
  trace,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { setRemoteSpanSink } from '../core/trace-hooks.ts';
import { log, type LogTraceContext, setLogTraceContext } from '../logger.ts';
import type { FrontendTrace } from './frontend-trace.ts';
import { OtelRequestTrace, type OtelRequestTraceOptions, type RequestTraceStart } from './otel-request-trace.ts';
import { CompactRequestTrace } from './compact-request-trace.ts';
import { BatchingSpanProcessor } from './otlp/batching-span-processor.ts';
import { ExportEnvelope } from './otlp/encode-recorded-spans.ts';
import { createOtlpSpanExporter } from './otlp/otlp-span-exporter.ts';
import type { LocalCollector } from './otlp/local-transport.ts';
import { SpanBatch, WriterPool } from './otlp/span-batch.ts';
import { RecordedSpan } from './otlp/recorded-span.ts';
import type { OtelTraceConfig } from './trace-config.ts';
import type { TraceErrors } from './trace-guard.ts';
import { remoteSpanSink } from './remote-spans.ts';
import { ApiTreeSpan, type TreeSpan } from './tree-span.ts';
import { spanKindsOf, treeDetail } from './tree-plan.ts';
import { extractW3CContext, type HeaderGetter } from './w3c-context.ts';

/** Triton's instrumentation scope name. */
export const TRACER_NAME = 'triton-server';

const REPORT_INTERVAL_MS = 10_000;

/** What {@link OtelPipeline.startTrace} needs of a request: the pipeline adds its own settings. */
export type { RequestTraceStart };

/** Counts of spans that did not reach the collector. */
export interface ExportLosses {
  /** Spans dropped because the batch queue was full. */
  readonly queueFull: number;
  /** Spans whose export failed (collector down, slow or answering errors). */
  readonly exportFailed: number;
}

/** What the server asks of its pipeline beyond the trace config. */
export interface PipelineOptions {
  /**
   * Traces tell their root span's ids while the request runs (`rootSpanContext`), for metric exemplars and
   * response headers: their ids are drawn as they start rather than at export.
   */
  readonly rootIds?: boolean;
  /** A collector in this process (the embedded trace viewer): exports to its OTLP/HTTP URL reach it directly. */
  readonly localCollector?: LocalCollector | undefined;
}

/**
 * A request trace of the application's tracer's spans that tells its root span's ids
 * ({@link PipelineOptions.rootIds}).
 */
class IdentifiedRequestTrace extends OtelRequestTrace {
  readonly #root: TreeSpan;

  constructor(options: OtelRequestTraceOptions) {
    let root: TreeSpan | undefined;
    super({ ...options, startRoot: (shape, ns, parent) => (root = options.startRoot(shape, ns, parent)) });
    this.#root = root!;
  }

  readonly rootSpanContext = (): { traceId: string; spanId: string } => this.#root.api.spanContext();
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
  startTrace(request: RequestTraceStart): FrontendTrace;
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

/** The trace and span of the active context, for log lines written inside a traced span. */
function activeTraceContext(): LogTraceContext | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext !== undefined && isSpanContextValid(spanContext)
    ? { traceId: spanContext.traceId, spanId: spanContext.spanId }
    : undefined;
}

/** Registers an AsyncLocalStorage context manager unless the application registered one. */
function ensureContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
}

/**
 * Builds the pipeline from the OpenTelemetry-mode settings and registers its provider globally when it can.
 * @param errors - counts errors of the span processor, the encoder and the transport (each drops its spans).
 */
export function startOtelPipeline(
  config: OtelTraceConfig,
  errors: TraceErrors,
  options: PipelineOptions = {},
): OtelPipeline {
  const resource = defaultResource().merge(resourceFromAttributes(config.resourceAttributes));
  const instrumentationScope = { name: TRACER_NAME };
  const exporter = createOtlpSpanExporter(
    config.exporter,
    (error) => errors.report('sending spans', error),
    options.localCollector,
  );
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
  setLogTraceContext(activeTraceContext);
  const registeredGlobally = trace.setGlobalTracerProvider(provider);
  const active: ApiTracerProvider = registeredGlobally ? provider : trace.getTracerProvider();
  if (!registeredGlobally) {
    log.info('OpenTelemetry: the application registered a tracer provider already; ts-triton uses it');
  }
  // Spans recorded in worker instances reach the same processor (with the application's provider, they are dropped).
  if (registeredGlobally) {
    setRemoteSpanSink(
      remoteSpanSink(spanProcessor, instrumentationScope, (error) => errors.report('recording a span', error)),
    );
  }
  const spanKinds = spanKindsOf(config.spanKinds);
  const detail = treeDetail(config.detail);
  const withEvents = config.events;
  const startRoot = registeredGlobally
    ? RecordedSpan.starter({ processor: spanProcessor, resource, instrumentationScope })
    : ApiTreeSpan.starter(active.getTracer(TRACER_NAME));
  const settings = { startRoot, spanKinds, detail, withEvents };
  const compact = { ...settings, processor: spanProcessor, rootIds: options.rootIds === true };
  return {
    startTrace: registeredGlobally
      ? (request) => new CompactRequestTrace(compact, request)
      : compact.rootIds
        ? (request) => new IdentifiedRequestTrace({ ...settings, ...request })
        : (request) => new OtelRequestTrace({ ...settings, ...request }),
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
      const previous = setLogTraceContext(undefined); // clear it when it is ours
      if (previous !== activeTraceContext) setLogTraceContext(previous);
      if (registeredGlobally) {
        setRemoteSpanSink(undefined);
        trace.disable();
      }
    },
  };
}
