/**
 * OTLP protobuf encoding of the OpenTelemetry SDK's spans: those model code opens through the OpenTelemetry API
 * (`trace.getTracer(...)`) while ts-triton's tracer provider is the global one. Like ts-triton's own spans, each
 * is written as it joins its batch, grouped by instrumentation scope (the tracer that made it), and the export
 * request around the groups is made when the batch is exported; the result decodes to what the OpenTelemetry
 * JS serializer writes for the same spans, at a fraction of its cost.
 *
 * @module
 */

import { type HrTime, SpanStatusCode } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { delimitedSize } from '../../protocol/varint.ts';
import { spanFlags, writeAttributes, writeContextFields, writeCount, writeLink, writeStatus } from './otlp-fields.ts';
import { ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, type Words64 } from './proto-writer.ts';
import type { WriterPool } from './span-batch.ts';

const NS_PER_SECOND = 1_000_000_000n;
const ZERO: Words64 = { low: 0, high: 0 };

/** An instrumentation scope as SDK spans carry it (attributes only in newer SDKs). */
interface Scope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Record<string, unknown>;
}

/** The SDK spans of one batch that share its resource, written per scope as they join. */
export class ReadableSpanGroups {
  readonly #resource: Resource;
  readonly #resourceField: Uint8Array;
  readonly #pool: WriterPool;
  /** Per scope (by identity, as the SDK's serializer groups them), the span entries written so far. */
  readonly #groups = new Map<Scope, ProtoWriter>();

  /**
   * @param resource - the resource of the spans taken (others are left to the SDK's serializer).
   * @param resourceField - `resource`'s encoded `Resource` message content.
   * @param pool - where the groups take their writers from and give them back to on {@link ReadableSpanGroups.release}.
   */
  constructor(resource: Resource, resourceField: Uint8Array, pool: WriterPool) {
    this.#resource = resource;
    this.#resourceField = resourceField;
    this.#pool = pool;
  }

  /** Writes `span` into its scope's group and returns true, or returns false if its resource is another. */
  add(span: ReadableSpan): boolean {
    if (span.resource !== this.#resource) return false;
    const scope = span.instrumentationScope as Scope;
    let writer = this.#groups.get(scope);
    if (writer === undefined) {
      writer = this.#pool.take();
      this.#groups.set(scope, writer);
    }
    writeReadableSpanEntry(writer, span);
    return true;
  }

  /** The groups as one `ExportTraceServiceRequest`, or undefined when there are none. */
  encode(): Uint8Array | undefined {
    if (this.#groups.size === 0) return undefined;
    const scopeSpans: Uint8Array[] = [];
    for (const [scope, entries] of this.#groups) scopeSpans.push(scopeSpansMessage(scope, entries.finish()));
    const resourceSpans = new ProtoWriter(64);
    resourceSpans.tag(1, WIRE_LEN);
    resourceSpans.bytes(this.#resourceField);
    const head = resourceSpans.finish();
    let length = head.byteLength;
    for (const part of scopeSpans) length += delimitedSize(part.byteLength);
    const schemaUrl = this.#resource.schemaUrl ? Buffer.from(this.#resource.schemaUrl, 'utf8') : undefined;
    if (schemaUrl) length += delimitedSize(schemaUrl.byteLength);
    const request = new ProtoWriter(length + 16);
    request.tag(1, WIRE_LEN);
    request.varint(length);
    request.raw(head);
    for (const part of scopeSpans) {
      request.tag(2, WIRE_LEN);
      request.bytes(part);
    }
    if (schemaUrl) {
      request.tag(3, WIRE_LEN);
      request.bytes(schemaUrl);
    }
    return request.finish();
  }

  /** Gives the groups' writers back: what `encode` returned must not be used after. */
  release(): void {
    for (const writer of this.#groups.values()) this.#pool.give(writer);
    this.#groups.clear();
  }
}

/** A `ScopeSpans` message's content: the scope, the span entries, the scope's schema URL. */
function scopeSpansMessage(scope: Scope, entries: Uint8Array): Uint8Array {
  const writer = new ProtoWriter(entries.byteLength + 256);
  writer.tag(1, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_LEN);
  writer.string(scope.name);
  if (scope.version) {
    writer.tag(2, WIRE_LEN);
    writer.string(scope.version);
  }
  if (scope.attributes) writeAttributes(writer, 3, scope.attributes as never);
  writer.end(start);
  writer.raw(entries);
  if (scope.schemaUrl) {
    writer.tag(3, WIRE_LEN);
    writer.string(scope.schemaUrl);
  }
  return writer.finish();
}

/** Writes `span` as one entry of a `ScopeSpans` message's `spans` (field 2). */
export function writeReadableSpanEntry(writer: ProtoWriter, span: ReadableSpan): void {
  writer.tag(2, WIRE_LEN);
  const start = writer.beginLarge();
  const context = span.spanContext();
  writeContextFields(writer, context);
  const parentId = span.parentSpanContext?.spanId;
  if (parentId) {
    writer.tag(4, WIRE_LEN);
    writer.hex(parentId);
  }
  writer.tag(5, WIRE_LEN);
  writer.string(span.name);
  writer.tag(6, WIRE_VARINT);
  writer.varint(span.kind + 1);
  writer.tag(7, WIRE_I64);
  writeHrTime(writer, span.startTime);
  writer.tag(8, WIRE_I64);
  writeHrTime(writer, span.endTime);
  writeAttributes(writer, 9, span.attributes);
  writeCount(writer, 10, span.droppedAttributesCount);
  for (const event of span.events) writeEvent(writer, event);
  writeCount(writer, 12, span.droppedEventsCount);
  for (const link of span.links) writeLink(writer, link);
  writeCount(writer, 14, span.droppedLinksCount);
  const { code, message } = span.status;
  if (code !== SpanStatusCode.UNSET || message) writeStatus(writer, code, message);
  writer.tag(16, WIRE_I32);
  writer.fixed32(spanFlags(context, span.parentSpanContext?.isRemote));
  writer.endLarge(start);
}

/** A `Span.Event` in field 11. */
function writeEvent(writer: ProtoWriter, event: TimedEvent): void {
  writer.tag(11, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_I64);
  writeHrTime(writer, event.time);
  writer.tag(2, WIRE_LEN);
  writer.string(event.name);
  if (event.attributes) writeAttributes(writer, 3, event.attributes);
  writeCount(writer, 4, event.droppedAttributesCount ?? 0);
  writer.end(start);
}

/** An epoch `[seconds, nanoseconds]` time as a fixed64 of nanoseconds. */
function writeHrTime(writer: ProtoWriter, [seconds, nanoseconds]: HrTime): void {
  writer.fixed64Sum(BigInt(seconds) * NS_PER_SECOND + BigInt(nanoseconds), ZERO);
}
