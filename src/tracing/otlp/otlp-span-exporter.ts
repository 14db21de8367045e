/**
 * The OTLP/HTTP (protobuf) span exporter of OpenTelemetry mode: the OpenTelemetry JS exporter's transport
 * (endpoint and `OTEL_EXPORTER_OTLP_*` settings, headers, compression, retries, timeouts), with a serializer
 * that encodes ts-triton's {@link RecordedSpan}s itself and leaves every other span (spans the application
 * creates through the SDK) to the JS serializer. Both halves are `ExportTraceServiceRequest` messages, and a
 * protobuf message followed by another is their merge, so one export request carries both.
 *
 * @module
 */

import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportTraceServiceResponse,
  type ISerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { encodeRecordedSpans } from './encode-recorded-spans.ts';
import { RecordedSpan } from './recorded-span.ts';

/** Options of {@link createOtlpSpanExporter}. */
export interface OtlpSpanExporterOptions {
  /** The collector's traces URL; the `OTEL_EXPORTER_OTLP_*` environment (or the JS exporter's default) otherwise. */
  readonly url?: string;
  /** How long one export, retries included, may take. */
  readonly timeoutMillis: number;
}

/** Serializes a batch: recorded spans by {@link encodeRecordedSpans}, the rest by the JS serializer. */
export const spanSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest(spans) {
    const recorded: RecordedSpan[] = [];
    const others: ReadableSpan[] = [];
    for (const span of spans) {
      if (span instanceof RecordedSpan) recorded.push(span);
      else others.push(span);
    }
    if (others.length === 0) return encodeRecordedSpans(recorded);
    const othersEncoded = ProtobufTraceSerializer.serializeRequest(others);
    if (recorded.length === 0 || othersEncoded === undefined) return othersEncoded;
    return Buffer.concat([encodeRecordedSpans(recorded), othersEncoded]);
  },
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/** The OTLP/HTTP protobuf exporter with {@link spanSerializer}. */
export function createOtlpSpanExporter(options: OtlpSpanExporterOptions): OTLPExporterBase<ReadableSpan[]> {
  const httpOptions = convertLegacyHttpOptions(
    { ...(options.url !== undefined && { url: options.url }), timeoutMillis: options.timeoutMillis },
    'TRACES',
    'v1/traces',
    { 'Content-Type': 'application/x-protobuf' },
  );
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(httpOptions, spanSerializer, 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined),
  );
}
