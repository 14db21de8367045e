/**
 * The OTLP protobuf fields that ts-triton's span encoders share (opentelemetry/proto/trace/v1 and common/v1):
 * attributes and their values, links, status, counts and span flags, written as the OpenTelemetry JS
 * exporter maps JavaScript values to them.
 *
 * @module
 */

import type { Attributes, Link, SpanContext } from '@opentelemetry/api';
import { ProtoWriter, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/proto-writer.ts';
import { WordsSpanContext } from './span-ids.ts';

/** `Span.flags`: the context's "has is_remote" and "is_remote" bits, above the 8 trace-flag bits. */
export const FLAG_HAS_IS_REMOTE = 0x100;
export const FLAG_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** An instrumentation scope as spans carry it (attributes only in newer SDKs). */
export interface Scope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
  readonly attributes?: Attributes;
}

/** The content of an `InstrumentationScope` message: name, version and attributes. */
export function encodeScope(scope: Scope): Uint8Array {
  const writer = new ProtoWriter(256);
  writer.tag(1, WIRE_LEN);
  writer.name(scope.name);
  if (scope.version) {
    writer.tag(2, WIRE_LEN);
    writer.name(scope.version);
  }
  if (scope.attributes) writeAttributes(writer, 3, scope.attributes);
  return writer.finish();
}

/** `Span.flags` (or `Link.flags`) of a span context whose parent is remote or not. */
export function spanFlags(context: SpanContext, parentIsRemote: boolean | undefined): number {
  return (context.traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (parentIsRemote ? FLAG_IS_REMOTE : 0);
}

/** A count field, left out when zero. */
export function writeCount(writer: ProtoWriter, field: number, count: number): void {
  if (count === 0) return;
  writer.tag(field, WIRE_VARINT);
  writer.varint(count);
}

/** Fields 1–3 of a `Span` or `Link`: trace id, span id and trace state of `context`, from its words or hex ids. */
export function writeContextFields(writer: ProtoWriter, context: SpanContext): void {
  if (context instanceof WordsSpanContext) {
    writer.tag(1, WIRE_LEN);
    writer.idWords(context.traceWords, context.traceAt, 4);
    writer.tag(2, WIRE_LEN);
    writer.idWords(context.spanWords, context.spanAt, 2);
    return;
  }
  writer.tag(1, WIRE_LEN);
  writer.hex(context.traceId);
  writer.tag(2, WIRE_LEN);
  writer.hex(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    writer.tag(3, WIRE_LEN);
    writer.string(traceState);
  }
}

/** A `Link` in field 13. */
export function writeLink(writer: ProtoWriter, link: Link): void {
  const context = link.context;
  if (link.attributes === undefined && !link.droppedAttributesCount && context instanceof WordsSpanContext) {
    writeWordsLink(writer, context);
    return;
  }
  writer.tag(13, WIRE_LEN);
  const start = writer.begin();
  writeContextFields(writer, context);
  if (link.attributes !== undefined) writeAttributes(writer, 4, link.attributes);
  writeCount(writer, 5, link.droppedAttributesCount ?? 0);
  writer.tag(6, WIRE_I32);
  writer.fixed32(spanFlags(context, link.context.isRemote));
  writer.end(start);
}

/**
 * A link to a span whose ids are words (a batch's span, a member's model span), without attributes, written in
 * one run: trace id (field 1), span id (2) and flags (6).
 */
function writeWordsLink(writer: ProtoWriter, context: WordsSpanContext): void {
  const buf = writer.reserve(WORDS_LINK_SIZE);
  const view = writer.view;
  const pos = writer.pos;
  const trace = context.traceWords;
  const traceAt = context.traceAt;
  const span = context.spanWords;
  const spanAt = context.spanAt;
  buf[pos] = (13 << 3) | WIRE_LEN;
  buf[pos + 1] = WORDS_LINK_SIZE - 2;
  buf[pos + 2] = (1 << 3) | WIRE_LEN;
  buf[pos + 3] = 16;
  view.setUint32(pos + 4, trace[traceAt]!);
  view.setUint32(pos + 8, trace[traceAt + 1]!);
  view.setUint32(pos + 12, trace[traceAt + 2]!);
  view.setUint32(pos + 16, trace[traceAt + 3]!);
  buf[pos + 20] = (2 << 3) | WIRE_LEN;
  buf[pos + 21] = 8;
  view.setUint32(pos + 22, span[spanAt]!);
  view.setUint32(pos + 26, span[spanAt + 1]!);
  buf[pos + 30] = (6 << 3) | WIRE_I32;
  // Words are the ids of spans of this process: never remote.
  view.setUint32(pos + 31, spanFlags(context, false), true);
  writer.pos = pos + WORDS_LINK_SIZE;
}

/** A words link's bytes: tag and length, then fields 1 (2 + 16), 2 (2 + 8) and 6 (1 + 4). */
const WORDS_LINK_SIZE = 2 + 18 + 10 + 5;

/** A `Status` in field 15. */
export function writeStatus(writer: ProtoWriter, code: number, message: string | undefined): void {
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
export function writeAttributes(writer: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    if (Object.hasOwn(attributes, key)) writeAttribute(writer, field, key, attributes[key]);
  }
}

/** Writes one attribute as a `KeyValue` in `field`. */
export function writeAttribute(writer: ProtoWriter, field: number, key: string, value: unknown): void {
  writer.tag(field, WIRE_LEN);
  const start = writer.begin();
  writer.nameField(1, key);
  writeAttributeValue(writer, value);
  writer.end(start);
}

/** A `KeyValue`'s value (field 2): `value` as an `AnyValue`. */
export function writeAttributeValue(writer: ProtoWriter, value: unknown): void {
  writer.tag(2, WIRE_LEN);
  const start = writer.begin();
  writeAnyValue(writer, value);
  writer.end(start);
}

/** Writes an `AnyValue`'s content: the OTLP type each JavaScript value maps to, as the JS exporter maps it. */
export function writeAnyValue(writer: ProtoWriter, value: unknown): void {
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
      if (value >= 0 && value < 0x80 && Number.isInteger(value)) {
        writer.tag(3, WIRE_VARINT);
        writer.byte(value);
      } else if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
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
