/**
 * The OTLP/HTTP (protobuf) exporter of OpenTelemetry mode. Its settings are the OpenTelemetry JS exporter's
 * (the given URL, else the `OTEL_EXPORTER_OTLP_*` endpoint; headers and compression from the environment),
 * and so is the handling of a request's outcome (the export delegate: concurrency limit, partial-success
 * logging). What it sends are {@link SpanBatch}es. An `http://` collector without compression is sent to by
 * {@link createSocketHttpTransport} (with {@link withRetries}); any other keeps the JS exporter's transport.
 *
 * @module
 */

import { ExportResultCode } from '@opentelemetry/core';
import {
  createOtlpNetworkExportDelegate,
  type IOtlpExportDelegate,
  OTLPExporterError,
} from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
  createOtlpHttpExporterMetrics,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExporterMetricsHelper,
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { invalidArg } from '../../errors.ts';
import { withRetries } from './retrying-transport.ts';
import { createSocketHttpTransport } from './socket-http-transport.ts';
import type { SpanBatch } from './span-batch.ts';

/** Options of {@link createOtlpSpanExporter}. */
export interface OtlpSpanExporterOptions {
  /** The collector's traces URL; the `OTEL_EXPORTER_OTLP_*` environment (or the JS exporter's default) otherwise. */
  readonly url?: string;
  /** How long one export, retries included, may take. */
  readonly timeoutMillis: number;
}

/** Sends span batches to the collector. */
export interface OtlpSpanExporter {
  /** The collector's URL the exporter sends to. */
  readonly url: string;
  /** Sends `batch`; resolves undefined when the collector accepted it, else why not (never rejects). */
  export(batch: SpanBatch): Promise<string | undefined>;
  /** Waits for exports in flight and closes the connections. */
  shutdown(): Promise<void>;
}

const METRICS_COMPONENT = 'otlp_http_span_exporter';

const batchSerializer: ISerializer<SpanBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => batch.encode(),
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

const batchMetrics: IExporterMetricsHelper<SpanBatch> = { name: 'span', countItems: (batch) => batch.count };

/** The JS exporter's configuration for `options` and the environment, or a TritonError saying what is wrong. */
function exporterConfiguration(options: OtlpSpanExporterOptions): ReturnType<typeof convertLegacyHttpOptions> {
  try {
    return convertLegacyHttpOptions(
      { ...(options.url !== undefined && { url: options.url }), timeoutMillis: options.timeoutMillis },
      'TRACES',
      'v1/traces',
      { 'Content-Type': 'application/x-protobuf' },
    );
  } catch (error) {
    throw invalidArg(
      `OpenTelemetry exporter settings are invalid (${(error as Error).message}); a collector URL looks like http://localhost:4318/v1/traces`,
    );
  }
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

/** The exporter for `options` (see the module comment). */
export function createOtlpSpanExporter(options: OtlpSpanExporterOptions): OtlpSpanExporter {
  const config = exporterConfiguration(options);
  const url = new URL(config.url);
  const delegate: IOtlpExportDelegate<SpanBatch> =
    url.protocol === 'http:' && config.compression === 'none'
      ? createOtlpNetworkExportDelegate(
          config,
          batchSerializer,
          createOtlpHttpExporterMetrics(METRICS_COMPONENT, batchMetrics, config.url, undefined),
          withRetries(createSocketHttpTransport({ url, headers: config.headers })),
        )
      : createOtlpHttpExportDelegate(config, batchSerializer, METRICS_COMPONENT, batchMetrics, undefined);
  return {
    url: config.url,
    export: (batch) =>
      new Promise((resolve) =>
        delegate.export(batch, (result) =>
          resolve(result.code === ExportResultCode.SUCCESS ? undefined : describeExportError(result.error)),
        ),
      ),
    shutdown: () => delegate.shutdown(),
  };
}
