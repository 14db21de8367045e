/**
 * The span exporter of OpenTelemetry mode, built from the resolved {@link ExporterSettings}: OTLP over
 * HTTP/protobuf, HTTP/JSON or gRPC, the console, or none. The handling of an OTLP request's outcome is the
 * OpenTelemetry JS exporter's (the export delegate: concurrency limit, partial-success logging). What it
 * sends are {@link SpanBatch}es. An `http://` collector without compression is sent to by
 * {@link createSocketHttpTransport}; `https://` or gzip keeps the JS exporter's `node:http` transport; gRPC
 * goes through {@link createGrpcTransport}. Each is wrapped in {@link withRetries}.
 *
 * @module
 */

import { ExportResultCode } from '@opentelemetry/core';
import { createOtlpNetworkExportDelegate, type IOtlpExportDelegate } from '@opentelemetry/otlp-exporter-base';
import {
  createOtlpHttpExportDelegate,
  createOtlpHttpExporterMetrics,
  httpAgentFactoryFromOptions,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExporterMetricsHelper,
  type IExportTraceServiceResponse,
  type ISerializer,
  JsonTraceSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { log } from '../../logger.ts';
import type { ExporterSettings } from './exporter-settings.ts';
import { createGrpcTransport } from './grpc-transport.ts';
import { encodeExportRequestJson, exportRequestToJson } from './otlp-json.ts';
import { withRetries } from './retrying-transport.ts';
import { createSocketHttpTransport } from './socket-http-transport.ts';
import type { SpanBatch } from './span-batch.ts';

/** Sends span batches to the collector. */
export interface OtlpSpanExporter {
  /** Sends `batch`; resolves true when the collector accepted it (never rejects). */
  export(batch: SpanBatch): Promise<boolean>;
  /** Waits for exports in flight and closes the connections. */
  shutdown(): Promise<void>;
}

const batchMetrics: IExporterMetricsHelper<SpanBatch> = { name: 'span', countItems: (batch) => batch.count };

const protobufSerializer: ISerializer<SpanBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => batch.encode(),
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

const jsonSerializer: ISerializer<SpanBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => {
    const bytes = batch.encode();
    return bytes && encodeExportRequestJson(bytes);
  },
  deserializeResponse: (data) => JsonTraceSerializer.deserializeResponse(data),
};

/**
 * The exporter for `settings`: one per name of `OTEL_TRACES_EXPORTER` (an export succeeds when each of them
 * accepted the batch), or one that drops every batch for `none`.
 */
export function createOtlpSpanExporter(settings: ExporterSettings): OtlpSpanExporter {
  const exporters = settings.exporters.map((name) => (name === 'console' ? consoleExporter() : otlpExporter(settings)));
  if (exporters.length === 1) return exporters[0]!;
  return {
    export: async (batch) => (await Promise.all(exporters.map((exporter) => exporter.export(batch)))).every(Boolean),
    shutdown: async () => {
      await Promise.all(exporters.map((exporter) => exporter.shutdown()));
    },
  };
}

/** Sends to an OTLP collector (see the module comment). */
function otlpExporter(settings: ExporterSettings): OtlpSpanExporter {
  const delegate = exportDelegate(settings);
  return {
    export: (batch) =>
      new Promise((resolve) => delegate.export(batch, (result) => resolve(result.code === ExportResultCode.SUCCESS))),
    shutdown: () => delegate.shutdown(),
  };
}

function exportDelegate(settings: ExporterSettings): IOtlpExportDelegate<SpanBatch> {
  const { protocol, url, compression, timeoutMillis } = settings;
  const shared = { compression, timeoutMillis, concurrencyLimit: CONCURRENCY_LIMIT };
  if (protocol === 'grpc') {
    const metrics = createOtlpHttpExporterMetrics('otlp_grpc_span_exporter', batchMetrics, url, undefined);
    return createOtlpNetworkExportDelegate(shared, protobufSerializer, metrics, withRetries(createGrpcTransport(settings)));
  }
  const json = protocol === 'http/json';
  const serializer = json ? jsonSerializer : protobufSerializer;
  const allHeaders = { ...settings.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  const headers = (): Promise<Record<string, string>> => Promise.resolve(allHeaders);
  const component = json ? 'otlp_http_json_span_exporter' : 'otlp_http_span_exporter';
  const parsed = new URL(url);
  if (parsed.protocol === 'http:' && compression === 'none') {
    const metrics = createOtlpHttpExporterMetrics(component, batchMetrics, url, undefined);
    return createOtlpNetworkExportDelegate(shared, serializer, metrics, withRetries(createSocketHttpTransport({ url: parsed, headers })));
  }
  const { certificate: ca, clientCertificate: cert, clientKey: key } = settings;
  const agentFactory = httpAgentFactoryFromOptions({ keepAlive: true, ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) });
  return createOtlpHttpExportDelegate({ ...shared, url, headers, agentFactory }, serializer, component, batchMetrics, undefined);
}

/** The OpenTelemetry JS exporter's default number of exports in flight at once. */
const CONCURRENCY_LIMIT = 30;

/** Writes each span of a batch as one OTLP/JSON log line (`OTEL_TRACES_EXPORTER=console`). */
function consoleExporter(): OtlpSpanExporter {
  return {
    export: (batch) => {
      const bytes = batch.encode();
      if (bytes === undefined) return Promise.resolve(true);
      for (const resourceSpans of (exportRequestToJson(bytes).resourceSpans ?? []) as ConsoleResourceSpans[]) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            log.info(`OpenTelemetry span ${JSON.stringify({ resource: resourceSpans.resource, scope: scopeSpans.scope, span })}`);
          }
        }
      }
      return Promise.resolve(true);
    },
    shutdown: () => Promise.resolve(),
  };
}

type ConsoleResourceSpans = { resource?: unknown; scopeSpans?: { scope?: unknown; spans?: unknown[] }[] };
