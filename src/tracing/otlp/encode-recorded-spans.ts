/**
 * OTLP protobuf encoding of {@link RecordedSpan}s into an `ExportTraceServiceRequest`
 * (opentelemetry/proto/collector/trace/v1), field for field what the OpenTelemetry JS exporter writes for the
 * same spans. All recorded spans of a pipeline share one resource and scope, so a request is one
 * `ResourceSpans` with one `ScopeSpans`: each span is written as its entry when it ends
 * ({@link writeSpanEntry}), and the envelope around the entries when the batch is exported. This is the
 * exporter's hot path: ids are written from 32-bit words, times from nanoseconds, names from kept UTF-8 bytes,
 * and a span that looks as its {@link SpanShape} says (the usual case for Triton's tree) is copied from bytes
 * made once for the shape, with its ids, times and attributes filled in. (A request's tree recorded without
 * span objects is written by encode-recorded-tree.ts.)
 *
 * @module
 */

import { type SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import { delimitedSize } from '../../wire/varint.ts';
import { MONOTONIC_TO_EPOCH_NS } from '../../core/clock.ts';
import { NO_ADDEND, ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, words64 } from '../../wire/proto-writer.ts';
import {
  encodeScope,
  FLAG_HAS_IS_REMOTE,
  FLAG_IS_REMOTE,
  writeAttributes,
  writeCount,
  writeLink,
  writeStatus,
} from './otlp-fields.ts';
import { NO_ATTRIBUTES, type RecordedEvent, type RecordedSpan, UNSET_STATUS } from './recorded-span.ts';
import type { SpanShape } from '../tree-span.ts';

/** Added to a recorded (monotonic) time to write it as nanoseconds since the epoch. */
const EPOCH = words64(MONOTONIC_TO_EPOCH_NS);

/**
 * The part of an `ExportTraceServiceRequest` that is the same for every export of one pipeline: its resource
 * and instrumentation scope, encoded once. A batch starts its writer with {@link ExportEnvelope.open}, which
 * leaves room in front for the header; span entries written by {@link writeSpanEntry} follow; and
 * {@link ExportEnvelope.close} writes the header into that room, so the entries are never copied.
 */
export class ExportEnvelope {
  readonly #resource: Uint8Array;
  readonly #scope: Uint8Array;
  readonly #schemaUrl: Uint8Array | undefined;
  /** Bytes left in front of the entries: the header with its two lengths at their largest (5 bytes). */
  readonly #room: number;

  /** The resource of the pipeline's spans. */
  readonly resource: Resource;

  constructor(resource: Resource, scope: { readonly name: string; readonly version?: string }) {
    this.resource = resource;
    const resourceWriter = new ProtoWriter(1024);
    writeAttributes(resourceWriter, 1, resource.attributes);
    this.#resource = resourceWriter.finish();
    this.#scope = encodeScope(scope);
    this.#schemaUrl = resource.schemaUrl ? Buffer.from(resource.schemaUrl, 'utf8') : undefined;
    this.#room = 6 + delimitedSize(this.#resource.byteLength) + 6 + delimitedSize(this.#scope.byteLength);
  }

  /** The resource's encoded `Resource` message content. */
  get resourceField(): Uint8Array {
    return this.#resource;
  }

  /** The resource's schema URL as UTF-8 bytes, if it has one. */
  get schemaUrl(): Uint8Array | undefined {
    return this.#schemaUrl;
  }

  /** Leaves the room for the header at the start of `writer`, which must be empty. */
  open(writer: ProtoWriter): void {
    writer.skip(this.#room);
  }

  /** Whether span entries were written after {@link ExportEnvelope.open}. */
  hasEntries(writer: ProtoWriter): boolean {
    return writer.pos > this.#room;
  }

  /**
   * Completes the request whose span entries `writer` holds: one `ResourceSpans` with one `ScopeSpans`.
   * Returns a view of the writer's buffer.
   */
  close(writer: ProtoWriter): Uint8Array {
    const entriesLength = writer.pos - this.#room;
    const schemaUrl = this.#schemaUrl;
    if (schemaUrl !== undefined) {
      writer.tag(3, WIRE_LEN);
      writer.bytes(schemaUrl);
    }
    const scopeSpansLength = delimitedSize(this.#scope.byteLength) + entriesLength;
    const resourceSpansLength =
      delimitedSize(this.#resource.byteLength) +
      delimitedSize(scopeSpansLength) +
      (schemaUrl === undefined ? 0 : delimitedSize(schemaUrl.byteLength));
    const header = new ProtoWriter(this.#room);
    header.tag(1, WIRE_LEN);
    header.varint(resourceSpansLength);
    header.tag(1, WIRE_LEN);
    header.bytes(this.#resource);
    header.tag(2, WIRE_LEN);
    header.varint(scopeSpansLength);
    header.tag(1, WIRE_LEN);
    header.bytes(this.#scope);
    return writer.withPrefix(header.finish(), this.#room);
  }
}

/** Writes `span` as one entry of a `ScopeSpans` message's `spans` (field 2). */
export function writeSpanEntry(writer: ProtoWriter, span: RecordedSpan): void {
  writer.tag(2, WIRE_LEN);
  const start = writer.beginLarge();
  writeIds(writer, span);
  if (fitsShape(span)) writeFromTemplate(writer, span, shapeTemplate(span.shape));
  else writeFields(writer, span);
  writer.endLarge(start);
}

/** Fields 5 on, one by one. */
function writeFields(writer: ProtoWriter, span: RecordedSpan): void {
  writer.tag(5, WIRE_LEN);
  writer.name(span.name);
  writeKindAndTimes(writer, span);
  if (span.attributes !== NO_ATTRIBUTES) writeAttributes(writer, 9, span.attributes);
  writeCount(writer, 10, span.droppedAttributesCount);
  const events = span.recordedEvents;
  for (let i = 0; i < events.length; i++) writeEvent(writer, events[i]!);
  writeCount(writer, 12, span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(writer, links[i]!);
  writeCount(writer, 14, span.droppedLinksCount);
  writeStatusAndFlags(writer, span);
}

/**
 * The bytes of a span of one shape, less its ids and attributes, made once: the head (fields 5–8: name, kind,
 * start and end time) and the tail (the shape's events, an unset status and the flags), with zeros where each
 * span's kind, times and flags go.
 */
interface ShapeTemplate {
  readonly head: Uint8Array;
  readonly tail: Uint8Array;
  /** Where each event's time is in the tail. */
  readonly eventTimes: readonly number[];
}

/**
 * The end of every head: fields 6–8 (kind, start time, end time) with zeros for their values, and where the
 * kind's value and the two times are, counted back from the end.
 */
const HEAD_END_FIELDS = (() => {
  const writer = new ProtoWriter(32);
  writer.tag(6, WIRE_VARINT);
  const kind = writer.pos;
  writer.byte(0);
  writer.tag(7, WIRE_I64);
  const start = writer.pos;
  writer.fixed64Sum(0n, NO_ADDEND);
  writer.tag(8, WIRE_I64);
  const end = writer.pos;
  writer.fixed64Sum(0n, NO_ADDEND);
  const bytes = writer.finish().slice();
  return { bytes, kind: bytes.length - kind, start: bytes.length - start, end: bytes.length - end };
})();
const HEAD_KIND = HEAD_END_FIELDS.kind;
const HEAD_START = HEAD_END_FIELDS.start;
const HEAD_END = HEAD_END_FIELDS.end;
const templates = new WeakMap<SpanShape, ShapeTemplate>();

function shapeTemplate(shape: SpanShape): ShapeTemplate {
  let template = templates.get(shape);
  if (template === undefined) {
    template = buildTemplate(shape);
    templates.set(shape, template);
  }
  return template;
}

function buildTemplate(shape: SpanShape): ShapeTemplate {
  const head = new ProtoWriter(256);
  head.tag(5, WIRE_LEN);
  head.name(shape.name);
  head.raw(HEAD_END_FIELDS.bytes);
  const headBytes = head.finish().slice();
  const tail = new ProtoWriter(1024);
  const eventTimes: number[] = [];
  for (const name of shape.events) eventTimes.push(writeEventSlot(tail, name));
  writeStatusAndFlagsFields(tail, SpanStatusCode.UNSET, undefined, 0);
  return { head: headBytes, tail: tail.finish().slice(), eventTimes };
}

/**
 * Writes an event (field 11) named `name` whose time (field 1) is left zero, for a template; returns where the
 * time is.
 */
export function writeEventSlot(writer: ProtoWriter, name: string): number {
  writer.tag(11, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_I64);
  const time = writer.pos;
  writer.fixed64Sum(0n, NO_ADDEND);
  writer.tag(2, WIRE_LEN);
  writer.name(name);
  const beforeEnd = writer.pos;
  writer.end(start);
  // A length of two bytes or more moves the event's content.
  return time + writer.pos - beforeEnd;
}

/**
 * Whether `span` can be written from its shape's template: it has exactly the shape's events (no attributes
 * on them), its shape's name, no links, nothing dropped and an unset status. Attributes may be anything.
 */
export function fitsShape(span: RecordedSpan): boolean {
  const expected = span.shape.events;
  const events = span.recordedEvents;
  if (
    events.length !== expected.length ||
    span.name !== span.shape.name ||
    span.status !== UNSET_STATUS ||
    span.links.length !== 0 ||
    (span.droppedAttributesCount | span.droppedEventsCount | span.droppedLinksCount) !== 0
  ) {
    return false;
  }
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.name !== expected[i] || event.attributes !== undefined || event.droppedAttributesCount !== undefined) {
      return false;
    }
  }
  return true;
}

/** Fields 5 on, from the template of the span's shape (which it fits). */
function writeFromTemplate(writer: ProtoWriter, span: RecordedSpan, template: ShapeTemplate): void {
  writeTemplateHead(writer, template, span.kind, span.startNs, span.endNs);
  if (span.attributes !== NO_ATTRIBUTES) writeAttributes(writer, 9, span.attributes);
  const tail = writeTemplateTail(writer, template, spanFlagsOf(span.parentIsRemote));
  const events = span.recordedEvents;
  const eventTimes = template.eventTimes;
  for (let i = 0; i < events.length; i++) writer.putSum(tail + eventTimes[i]!, events[i]!.ns, EPOCH);
}

/** A shape's head (fields 5–8: name, then kind, start and end time filled in). */
function writeTemplateHead(
  writer: ProtoWriter,
  template: ShapeTemplate,
  kind: SpanKind,
  startNs: bigint,
  endNs: bigint,
): void {
  writer.raw(template.head);
  const end = writer.pos;
  writer.putByte(end - HEAD_KIND, kind + 1);
  writer.putSum(end - HEAD_START, startNs, EPOCH);
  writer.putSum(end - HEAD_END, endNs, EPOCH);
}

/**
 * A shape's tail (its events, an unset status, then `flags` filled in); returns where the tail starts: each
 * event's time goes at that offset plus the template's `eventTimes[i]`.
 */
function writeTemplateTail(writer: ProtoWriter, template: ShapeTemplate, flags: number): number {
  const start = writer.pos;
  writer.raw(template.tail);
  writer.view.setUint32(writer.pos - 4, flags, true);
  return start;
}

/** Fields 1–4: trace id, span id, trace state, parent span id. */
function writeIds(writer: ProtoWriter, span: RecordedSpan): void {
  writer.tag(1, WIRE_LEN);
  writer.idWords(span.traceId.words, 0, 4);
  writer.tag(2, WIRE_LEN);
  writer.idWords(span.spanId.words, 0, 2);
  const traceState = span.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LEN);
    writer.string(traceState);
  }
  if (span.parentSpanId !== undefined) {
    writer.tag(4, WIRE_LEN);
    writer.idWords(span.parentSpanId.words, 0, 2);
  }
}

/** Fields 6–8: kind (OTLP counts from UNSPECIFIED = 0, the API from INTERNAL = 0), start and end times. */
function writeKindAndTimes(writer: ProtoWriter, span: RecordedSpan): void {
  const buf = writer.reserve(20);
  const pos = writer.pos;
  buf[pos] = (6 << 3) | WIRE_VARINT;
  buf[pos + 1] = span.kind + 1;
  buf[pos + 2] = (7 << 3) | WIRE_I64;
  writer.putSum(pos + 3, span.startNs, EPOCH);
  buf[pos + 11] = (8 << 3) | WIRE_I64;
  writer.putSum(pos + 12, span.endNs, EPOCH);
  writer.pos = pos + 20;
}

function writeEvent(writer: ProtoWriter, event: RecordedEvent): void {
  if (event.attributes === undefined && event.droppedAttributesCount === undefined) {
    writer.timedName(11, event.ns, EPOCH, event.name);
    return;
  }
  writer.tag(11, WIRE_LEN);
  const start = writer.begin();
  writer.tag(1, WIRE_I64);
  writer.fixed64Sum(event.ns, EPOCH);
  writer.tag(2, WIRE_LEN);
  writer.name(event.name);
  if (event.attributes !== undefined) writeAttributes(writer, 3, event.attributes);
  writeCount(writer, 4, event.droppedAttributesCount ?? 0);
  writer.end(start);
}

/** Field 16 of a recorded span: sampled, and whether the parent is remote. */
export function spanFlagsOf(parentIsRemote: boolean): number {
  return TraceFlags.SAMPLED | FLAG_HAS_IS_REMOTE | (parentIsRemote ? FLAG_IS_REMOTE : 0);
}

/** Fields 15 (status; empty when unset) and 16 (flags: sampled, and whether the parent is remote). */
function writeStatusAndFlags(writer: ProtoWriter, span: RecordedSpan): void {
  writeStatusAndFlagsFields(writer, span.status.code, span.status.message, spanFlagsOf(span.parentIsRemote));
}

/** Fields 15 and 16; the flags are the last four bytes written. */
export function writeStatusAndFlagsFields(
  writer: ProtoWriter,
  code: SpanStatusCode,
  message: string | undefined,
  flags: number,
): void {
  if (code !== SpanStatusCode.UNSET || message) {
    writeStatus(writer, code, message);
    writer.tag(16, WIRE_I32);
    writer.fixed32(flags);
    return;
  }
  const buf = writer.reserve(8);
  const pos = writer.pos;
  buf[pos] = (15 << 3) | WIRE_LEN;
  buf[pos + 1] = 0;
  // Field 16's tag needs two varint bytes.
  buf[pos + 2] = 0x80 | (((16 << 3) | WIRE_I32) & 0x7f);
  buf[pos + 3] = ((16 << 3) | WIRE_I32) >>> 7;
  writer.view.setUint32(pos + 4, flags, true);
  writer.pos = pos + 8;
}
