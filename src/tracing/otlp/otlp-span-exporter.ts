/**
 * The span exporter of OpenTelemetry mode, built from the resolved {@link ExporterSettings}: OTLP over
 * HTTP/protobuf, HTTP/JSON or gRPC, the console, or none. The handling of an OTLP request's outcome is the
 * OpenTelemetry JS exporter's (the export delegate: concurrency limit, partial-success logging). What it
 * sends are {@link SpanBatch}es. An `http://` collector without compression is sent to by
 * {@link createSocketHttpTransport}; `https://` or gzip keeps the JS exporter's `node:http` transport; gRPC
 * goes through {@link createGrpcTransport}; an HTTP URL where a collector of this process listens (the embedded
 * trace viewer) goes to it without a socket ({@link createLocalTransport}). Each is wrapped in {@link withRetries}.
 *
 * @module
 */

import { ExportResultCode } from '@opentelemetry/core';
import {
  createOtlpNetworkExportDelegate,
  type ExportResponse,
  type IExporterTransport,
  type IOtlpExportDelegate,
  OTLPExporterError,
} from '@opentelemetry/otlp-exporter-base';
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
import { createLocalTransport, type LocalCollector } from './local-transport.ts';
import { encodeExportRequestJson, exportRequestToJson } from './otlp-json.ts';
import { withRetries } from './retrying-transport.ts';
import { createSocketHttpTransport } from './socket-http-transport.ts';
import type { SpanBatch } from './span-batch.ts';

/** Sends span batches to the collector. */
export interface OtlpSpanExporter {
  /** The collector's URL the exporter sends to. */
  readonly url: string;
  /** Sends `batch`; resolves undefined when the collector accepted it, else why not (never rejects). */
  export(batch: SpanBatch): Promise<string | undefined>;
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
export function createOtlpSpanExporter(
  settings: ExporterSettings,
  onTransportError?: TransportErrorListener,
  local?: LocalCollector,
): OtlpSpanExporter {
  const exporters = settings.exporters.map((name) =>
    name === 'console' ? consoleExporter() : otlpExporter(settings, onTransportError, local),
  );
  if (exporters.length === 1) return exporters[0]!;
  return {
    url: exporters.length === 0 ? 'none' : exporters.map((exporter) => exporter.url).join(' and '),
    export: async (batch) =>
      (await Promise.all(exporters.map((exporter) => exporter.export(batch)))).find((why) => why !== undefined),
    shutdown: async () => {
      await Promise.all(exporters.map((exporter) => exporter.shutdown()));
    },
  };
}

/**
 * Why an export failed, as the log says it: the collector's HTTP status (and the reason it gave), or the
 * network error's message and code.
 */
export function describeExportError(error: Error | undefined): string {
  if (error === undefined) return 'unknown error';
  const { code } = error as { code?: unknown };
  if (error instanceof OTLPExporterError && typeof code === 'number') {
    return `the collector answered HTTP ${code}${error.message ? ` ${error.message}` : ''}`;
  }
  const message = error.message || error.name;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** `transport`, with what it throws reported to `onError` and answered as a failed export. */
function reportingThrows(
  transport: IExporterTransport,
  onError: TransportErrorListener | undefined,
): IExporterTransport {
  if (onError === undefined) return transport;
  return {
    async send(data, timeoutMillis): Promise<ExportResponse> {
      try {
        return await transport.send(data, timeoutMillis);
      } catch (error) {
        onError(error);
        return { status: 'failure', error: error instanceof Error ? error : new Error(String(error)) };
      }
    },
    shutdown: () => transport.shutdown(),
  };
}

/** Sends to an OTLP collector (see the module comment). */
function otlpExporter(
  settings: ExporterSettings,
  onTransportError: TransportErrorListener | undefined,
  local: LocalCollector | undefined,
): OtlpSpanExporter {
  const inProcess = settings.protocol !== 'grpc' && local?.receivesAt(new URL(settings.url)) === true;
  const delegate = exportDelegate(settings, onTransportError, inProcess ? local : undefined);
  return {
    url: inProcess ? `${settings.url} (${local!.name}, in this process)` : settings.url,
    export: (batch) =>
      new Promise((resolve) =>
        delegate.export(batch, (result) =>
          resolve(result.code === ExportResultCode.SUCCESS ? undefined : describeExportError(result.error)),
        ),
      ),
    shutdown: () => delegate.shutdown(),
  };
}

/** Told of an error a transport threw (a fault, not the collector's answer); the export fails. */
export type TransportErrorListener = (error: unknown) => void;

function exportDelegate(
  settings: ExporterSettings,
  onTransportError: TransportErrorListener | undefined,
  local: LocalCollector | undefined,
): IOtlpExportDelegate<SpanBatch> {
  const { protocol, url, compression, timeoutMillis } = settings;
  const shared = { compression, timeoutMillis, concurrencyLimit: CONCURRENCY_LIMIT };
  if (protocol === 'grpc') {
    const metrics = createOtlpHttpExporterMetrics('otlp_grpc_span_exporter', batchMetrics, url, undefined);
    return createOtlpNetworkExportDelegate(
      shared,
      protobufSerializer,
      metrics,
      withRetries(reportingThrows(createGrpcTransport(settings), onTransportError)),
    );
  }
  const json = protocol === 'http/json';
  const serializer = json ? jsonSerializer : protobufSerializer;
  const allHeaders = { ...settings.headers, 'Content-Type': json ? 'application/json' : 'application/x-protobuf' };
  const headers = (): Promise<Record<string, string>> => Promise.resolve(allHeaders);
  const component = json ? 'otlp_http_json_span_exporter' : 'otlp_http_span_exporter';
  // A collector in this process takes the request as it is (headers and compression are for the wire); an http://
  // collector without compression gets it on our own socket transport.
  const parsed = new URL(url);
  const transport =
    local !== undefined
      ? createLocalTransport(local, json ? 'json' : 'protobuf')
      : parsed.protocol === 'http:' && compression === 'none'
        ? createSocketHttpTransport({ url: parsed, headers })
        : undefined;
  if (transport !== undefined) {
    const metrics = createOtlpHttpExporterMetrics(component, batchMetrics, url, undefined);
    return createOtlpNetworkExportDelegate(
      shared,
      serializer,
      metrics,
      withRetries(reportingThrows(transport, onTransportError)),
    );
  }
  const { certificate: ca, clientCertificate: cert, clientKey: key } = settings;
  const agentFactory = httpAgentFactoryFromOptions({
    keepAlive: true,
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
  });
  return createOtlpHttpExportDelegate(
    { ...shared, url, headers, agentFactory },
    serializer,
    component,
    batchMetrics,
    undefined,
  );
}

/** The OpenTelemetry JS exporter's default number of exports in flight at once. */
const CONCURRENCY_LIMIT = 30;

/** Writes each span of a batch as one OTLP/JSON log line (`OTEL_TRACES_EXPORTER=console`). */
function consoleExporter(): OtlpSpanExporter {
  return {
    url: 'the console',
    export: (batch) => {
      const bytes = batch.encode();
      if (bytes === undefined) return Promise.resolve(undefined);
      for (const resourceSpans of (exportRequestToJson(bytes).resourceSpans ?? []) as ConsoleResourceSpans[]) {
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            log.info(
              `OpenTelemetry span ${JSON.stringify({ resource: resourceSpans.resource, scope: scopeSpans.scope, span })}`,
            );
          }
        }
      }
      return Promise.resolve(undefined);
    },
    shutdown: () => Promise.resolve(),
  };
}

type ConsoleResourceSpans = { resource?: unknown; scopeSpans?: { scope?: unknown; spans?: unknown[] }[] };
