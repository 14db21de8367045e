/**
 * OTLP protobuf encoding of {@link RecordedSpan}s: an `ExportTraceServiceRequest`
 * (opentelemetry/proto/collector/trace/v1) with one `ResourceSpans` per resource and one `ScopeSpans` per
 * instrumentation scope, field for field what the OpenTelemetry JS exporter writes for the same spans.
 * This is the exporter's hot path: ids are written from their hex digits, times from nanoseconds, and
 * names from kept UTF-8 bytes.
 *
 * @module
 */

import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './proto-writer.ts';
import type { RecordedEvent, RecordedSpan } from './recorded-span.ts';

/** `Span.flags`: the context's "has is_remote" and "is_remote" bits, above the 8 trace-flag bits. */
const FLAG_HAS_IS_REMOTE = 0x100;
const FLAG_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** Encodes `spans` as one `ExportTraceServiceRequest`. */
export function encodeRecordedSpans(spans: readonly RecordedSpan[]): Uint8Array {
  const writer = new ProtoWriter(Math.max(1024, spans.length * 384));
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    writer.tag(1, WIRE_LEN);
    const resourceSpans = writer.begin();
    writeResource(writer, resource);
    for (const scopeSpans of scopes.values()) writeScopeSpans(writer, scopeSpans);
    if (resource.schemaUrl) {
      writer.tag(3, WIRE_LEN);
      writer.string(resource.schemaUrl);
    }
    writer.end(resourceSpans);
  }
  return writer.finish();
}

function groupByResourceAndScope(spans: readonly RecordedSpan[]): Map<Resource, Map<object, RecordedSpan[]>> {
  const groups = new Map<Resource, Map<object, RecordedSpan[]>>();
  for (const span of spans) {
    let scopes = groups.get(span.resource);
    if (scopes === undefined) groups.set(span.resource, (scopes = new Map()));
    let list = scopes.get(span.instrumentationScope);
    if (list === undefined) scopes.set(span.instrumentationScope, (list = []));
    list.push(span);
  }
  return groups;
}

function writeResource(writer: ProtoWriter, resource: Resource): void {
  writer.tag(1, WIRE_LEN);
  const start = writer.begin();
  writeAttributes(writer, 1, resource.attributes);
  writer.end(start);
}

function writeScopeSpans(writer: ProtoWriter, spans: readonly RecordedSpan[]): void {
  const scope = spans[0]!.instrumentationScope;
  writer.tag(2, WIRE_LEN);
  const scopeSpans = writer.begin();
  writer.tag(1, WIRE_LEN);
  const scopeStart = writer.begin();
  writer.tag(1, WIRE_LEN);
  writer.name(scope.name);
  if (scope.version) {
    writer.tag(2, WIRE_LEN);
    writer.name(scope.version);
  }
  writer.end(scopeStart);
  for (const span of spans) writeSpan(writer, span);
  writer.end(scopeSpans);
}

function writeSpan(writer: ProtoWriter, span: RecordedSpan): void {
  const context = span.spanContext();
  writer.tag(2, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_LEN);
  writer.idWords(span.traceId.words);
  writer.tag(2, WIRE_LEN);
  writer.idWords(span.spanId.words);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LEN);
    writer.string(traceState);
  }
  if (span.parentSpanId !== undefined) {
    writer.tag(4, WIRE_LEN);
    writer.idWords(span.parentSpanId.words);
  }
  writer.tag(5, WIRE_LEN);
  writer.name(span.name);
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
  writer.tag(6, WIRE_VARINT);
  writer.varint(span.kind + 1);
  writer.tag(7, WIRE_I64);
  writer.fixed64(span.startNs);
  writer.tag(8, WIRE_I64);
  writer.fixed64(span.endNs);
  writeAttributes(writer, 9, span.attributes);
  writeCount(writer, 10, span.droppedAttributesCount);
  for (const event of span.recordedEvents) writeEvent(writer, event);
  writeCount(writer, 12, span.droppedEventsCount);
  for (const link of span.links) writeLink(writer, link);
  writeCount(writer, 14, span.droppedLinksCount);
  writeStatus(writer, span.status.code, span.status.message);
  writer.tag(16, WIRE_I32);
  writer.fixed32(spanFlags(context, span.parentSpanContext?.isRemote));
  writer.end(start);
}

function spanFlags(context: SpanContext, parentIsRemote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (parentIsRemote ? FLAG_IS_REMOTE : 0);
}

function writeCount(writer: ProtoWriter, field: number, count: number): void {
  if (count === 0) return;
  writer.tag(field, WIRE_VARINT);
  writer.varint(count);
}

function writeEvent(writer: ProtoWriter, event: RecordedEvent): void {
  if (event.attributes === undefined && event.droppedAttributesCount === undefined) {
    writer.timedName(11, event.ns, event.name);
    return;
  }
  writer.tag(11, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_I64);
  writer.fixed64(event.ns);
  writer.tag(2, WIRE_LEN);
  writer.name(event.name);
  if (event.attributes !== undefined) writeAttributes(writer, 3, event.attributes);
  writeCount(writer, 4, event.droppedAttributesCount ?? 0);
  writer.end(start);
}

function writeLink(writer: ProtoWriter, link: Link): void {
  const context = link.context;
  writer.tag(13, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_LEN);
  writer.hex(context.traceId);
  writer.tag(2, WIRE_LEN);
  writer.hex(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LEN);
    writer.string(traceState);
  }
  if (link.attributes !== undefined) writeAttributes(writer, 4, link.attributes);
  writeCount(writer, 5, link.droppedAttributesCount ?? 0);
  writer.tag(6, WIRE_I32);
  writer.fixed32(spanFlags(context, context.isRemote));
  writer.end(start);
}

function writeStatus(writer: ProtoWriter, code: number, message: string | undefined): void {
  writer.tag(15, WIRE_LEN);
  const start = writer.begin();
  if (message) {
    writer.tag(2, WIRE_LEN);
    writer.string(message);
  }
  writeCount(writer, 3, code);
  writer.end(start);
}

/** Writes `attributes` as repeated `KeyValue` in `field`. */
function writeAttributes(writer: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (!Object.hasOwn(attributes, key)) continue;
    writer.tag(field, WIRE_LEN);
    const start = writer.begin();
    writer.tag(1, WIRE_LEN);
    writer.name(key);
    writer.tag(2, WIRE_LEN);
    const value = writer.begin();
    writeAnyValue(writer, attributes[key]);
    writer.end(value);
    writer.end(start);
  }
}

/** Writes an `AnyValue`'s content: the OTLP type each JavaScript value maps to, as the JS exporter maps it. */
function writeAnyValue(writer: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writer.tag(1, WIRE_LEN);
      writer.string(value);
      return;
    case 'boolean':
      writer.tag(2, WIRE_VARINT);
      writer.varint(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
        writer.tag(3, WIRE_VARINT);
        writer.int64(value);
      } else {
        writer.tag(4, WIRE_I64);
        writer.double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        writer.tag(7, WIRE_LEN);
        writer.bytes(value);
      } else if (Array.isArray(value)) writeArrayValue(writer, value);
      else writeKeyValueList(writer, value as Record<string, unknown>);
      return;
    default:
  }
}

function writeArrayValue(writer: ProtoWriter, values: readonly unknown[]): void {
  writer.tag(5, WIRE_LEN);
  const start = writer.begin();
  for (const item of values) {
    writer.tag(1, WIRE_LEN);
    const itemStart = writer.begin();
    writeAnyValue(writer, item);
    writer.end(itemStart);
  }
  writer.end(start);
}

function writeKeyValueList(writer: ProtoWriter, values: Record<string, unknown>): void {
  writer.tag(6, WIRE_LEN);
  const start = writer.begin();
  writeAttributes(writer, 1, values as Attributes);
  writer.end(start);
}
