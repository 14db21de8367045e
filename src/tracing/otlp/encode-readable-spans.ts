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
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { delimitedSize } from '../../wire/varint.ts';
import type { ExportEnvelope } from './encode-recorded-spans.ts';
import {
  encodeScope,
  type Scope,
  spanFlags,
  writeAttributes,
  writeContextFields,
  writeCount,
  writeLink,
  writeStatus,
} from './otlp-fields.ts';
import { NO_ADDEND, ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/proto-writer.ts';

const NS_PER_SECOND = 1_000_000_000n;

/**
 * Spans that write their own entries: a request's tree recorded without span objects (in the pipeline's scope),
 * or spans a worker instance encoded (in their own). Declared here, where the scope groups take them, and
 * re-exported by span-batch.ts.
 */
export interface SpanEntries {
  /** How many spans. */
  readonly spanCount: number;
  /**
   * Writes spans `first` to `first + count - 1` (of `spanCount`), each as an entry of a `ScopeSpans`
   * message's `spans` (field 2). One call or several, in order, without other spans' writes in between.
   */
  writeEntries(writer: ProtoWriter, first: number, count: number): void;
}

/**
 * Where the groups take their writers from and give them back (span-batch.ts's `WriterPool`). Declared here
 * rather than imported, so that this module does not import the module that imports it.
 */
export interface WriterSource {
  take(): ProtoWriter;
  give(writer: ProtoWriter): void;
}

/** The span entries of one scope, and the scope's encoded `InstrumentationScope` content. */
interface ScopeGroup {
  readonly scope: Uint8Array;
  readonly schemaUrl: Uint8Array | undefined;
  readonly entries: ProtoWriter;
}

/** The SDK spans of one batch that share its pipeline's resource, written per scope as they join. */
export class ReadableSpanGroups {
  readonly #envelope: ExportEnvelope;
  readonly #pool: WriterSource;
  /** Per scope (by identity, as the SDK's serializer groups them), the span entries written so far. */
  readonly #groups = new Map<Scope, ScopeGroup>();

  /**
   * @param envelope - the pipeline's resource (spans of another are left to the SDK's serializer).
   * @param pool - where the groups take their writers from and give them back to on {@link ReadableSpanGroups.release}.
   */
  constructor(envelope: ExportEnvelope, pool: WriterSource) {
    this.#envelope = envelope;
    this.#pool = pool;
  }

  /** Writes `span` into its scope's group and returns true, or returns false if its resource is another. */
  add(span: ReadableSpan): boolean {
    if (span.resource !== this.#envelope.resource) return false;
    this.#write(span.instrumentationScope as Scope, (writer) => writeReadableSpanEntry(writer, span));
    return true;
  }

  /** Adds spans of the pipeline's resource that write their own entries (`count` of them from `first`) to `scope`'s group. */
  addEntries(scope: Scope, entries: SpanEntries, first: number, count: number): void {
    this.#write(scope, (writer) => entries.writeEntries(writer, first, count));
  }

  /** Writes into `scope`'s group; on a throw, nothing of it stays there. */
  #write(scope: Scope, write: (writer: ProtoWriter) => void): void {
    let group = this.#groups.get(scope);
    if (group === undefined) {
      const schemaUrl = scope.schemaUrl ? Buffer.from(scope.schemaUrl, 'utf8') : undefined;
      group = { scope: encodeScope(scope), schemaUrl, entries: this.#pool.take() };
      this.#groups.set(scope, group);
    }
    const mark = group.entries.pos;
    try {
      write(group.entries);
    } catch (error) {
      group.entries.pos = mark;
      throw error;
    }
  }

  /** The groups as one `ExportTraceServiceRequest` (one `ResourceSpans`), or undefined when there are none. */
  encode(): Uint8Array | undefined {
    if (this.#groups.size === 0) return undefined;
    const resourceField = this.#envelope.resourceField;
    const resourceSchemaUrl = this.#envelope.schemaUrl;
    let length = delimitedSize(resourceField.byteLength) + optionalSize(resourceSchemaUrl);
    for (const group of this.#groups.values()) length += delimitedSize(scopeSpansSize(group));
    const request = new ProtoWriter(delimitedSize(length));
    request.tag(1, WIRE_LEN);
    request.varint(length);
    request.tag(1, WIRE_LEN);
    request.bytes(resourceField);
    for (const group of this.#groups.values()) {
      request.tag(2, WIRE_LEN);
      request.varint(scopeSpansSize(group));
      request.tag(1, WIRE_LEN);
      request.bytes(group.scope);
      request.raw(group.entries.finish());
      writeOptional(request, 3, group.schemaUrl);
    }
    writeOptional(request, 3, resourceSchemaUrl);
    return request.finish();
  }

  /** Gives the groups' writers back: what `encode` returned must not be used after. */
  release(): void {
    for (const group of this.#groups.values()) this.#pool.give(group.entries);
    this.#groups.clear();
  }
}

/** The content size of a group's `ScopeSpans`: scope, span entries, schema URL. */
function scopeSpansSize(group: ScopeGroup): number {
  return delimitedSize(group.scope.byteLength) + group.entries.pos + optionalSize(group.schemaUrl);
}

function optionalSize(bytes: Uint8Array | undefined): number {
  return bytes === undefined ? 0 : delimitedSize(bytes.byteLength);
}

function writeOptional(writer: ProtoWriter, field: number, bytes: Uint8Array | undefined): void {
  if (bytes === undefined) return;
  writer.tag(field, WIRE_LEN);
  writer.bytes(bytes);
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
  writer.fixed64Sum(BigInt(seconds) * NS_PER_SECOND + BigInt(nanoseconds), NO_ADDEND);
}
