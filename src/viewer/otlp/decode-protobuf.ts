/**
 * The OTLP/protobuf decoder of the trace viewer: an `ExportTraceServiceRequest` (opentelemetry/proto/collector/
 * trace/v1) read straight into {@link SpanRecord}s, on top of the project's protobuf wire reader.
 *
 * A message that cannot be read (a length past the end, a bad wire type, a truncated value) throws an
 * {@link OtlpDecodeError} naming the field; a span whose ids are invalid (wrong length, all zeros) is refused
 * alone and counted, as OTLP's partial success reports it. Unknown fields are skipped.
 *
 * @module
 */

import { NotFastPath, WireReader } from '../../wire/proto-reader.ts';
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/wire-types.ts';
import type {
  Attribute,
  AttributeValue,
  EventRecord,
  LinkRecord,
  ResourceRecord,
  ScopeRecord,
  SpanRecord,
} from '../span-record.ts';
import { type DecodedExport, OtlpDecodeError } from './decode-error.ts';
import {
  attribute,
  BytesTable,
  internBytes,
  MAX_INTERNED_LENGTH,
  NONE,
  resourceRecord,
  sharedResource,
  sharedScope,
} from './intern.ts';

/**
 * The wire reader, with the strings of the viewer's records. One reader reads a whole export: a nested message is
 * entered and left (`enter`, `leave`) rather than given a reader of its own.
 */
class OtlpReader extends WireReader {
  /** A length-delimited string, shared with every equal short string decoded before (see `internBytes`). */
  text(): string {
    const start = this.range();
    return internBytes(this.buf, start, this.pos);
  }

  /** A length-delimited string not worth sharing (messages, trace states). */
  plainText(): string {
    const start = this.range();
    return start === this.pos ? '' : this.buf.toString('utf8', start, this.pos);
  }
}

/** Each byte's two lowercase hex digits as char codes, the first in the low byte. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const digits = byte.toString(16).padStart(2, '0');
  return digits.charCodeAt(0) | (digits.charCodeAt(1) << 8);
});

/** The 8 bytes at `at` in lowercase hex. */
function hex8(buf: Buffer, at: number): string {
  const a = HEX_PAIRS[buf[at]!]!;
  const b = HEX_PAIRS[buf[at + 1]!]!;
  const c = HEX_PAIRS[buf[at + 2]!]!;
  const d = HEX_PAIRS[buf[at + 3]!]!;
  const e = HEX_PAIRS[buf[at + 4]!]!;
  const f = HEX_PAIRS[buf[at + 5]!]!;
  const g = HEX_PAIRS[buf[at + 6]!]!;
  const h = HEX_PAIRS[buf[at + 7]!]!;
  // One call with every char code makes a flat string, faster than Buffer's hex for ids this short.
  return String.fromCharCode(
    a & 0xff,
    a >>> 8,
    b & 0xff,
    b >>> 8,
    c & 0xff,
    c >>> 8,
    d & 0xff,
    d >>> 8,
    e & 0xff,
    e >>> 8,
    f & 0xff,
    f >>> 8,
    g & 0xff,
    g >>> 8,
    h & 0xff,
    h >>> 8,
  );
}

/** `buf[start, end)` in lowercase hex; '' when all bytes are zero (an unset id). */
function hexId(buf: Buffer, start: number, end: number): string {
  let any = 0;
  for (let i = start; i < end; i++) any |= buf[i]!;
  if (any === 0) return '';
  const length = end - start;
  // A trace id made of two 8-byte halves would be a cons string: three objects for as long as it is stored.
  return length === 8 ? hex8(buf, start) : buf.toString('hex', start, end);
}

/** Whether the 16 bytes at `a` and at `b` are equal. */
function same16(buf: Buffer, a: number, b: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Where reading is, for the error message: indices of the resource, scope, span and the field being read. */
interface Place {
  resource: number;
  scope: number;
  span: number;
  /** The field being read, relative to the innermost index set ('' = none). */
  field: string;
  /** The index in that (repeated) field, or -1. */
  item: number;
}

function placePath(place: Place): string {
  let path = '';
  if (place.resource >= 0) path = `resourceSpans[${place.resource}]`;
  if (place.scope >= 0) path += `.scopeSpans[${place.scope}]`;
  if (place.span >= 0) path += `.spans[${place.span}]`;
  if (place.field !== '') path += path === '' ? place.field : `.${place.field}`;
  if (place.item >= 0) path += `[${place.item}]`;
  return path;
}

/** A refused span: its field and why. */
class Refusal {
  readonly field: string;
  readonly problem: string;
  constructor(field: string, problem: string) {
    this.field = field;
    this.problem = problem;
  }
}

/**
 * Decodes an `ExportTraceServiceRequest`.
 * @throws {OtlpDecodeError} naming the field where the message cannot be read.
 */
export function decodeOtlpProtobuf(body: Buffer): DecodedExport {
  const place: Place = { resource: -1, scope: -1, span: -1, field: '', item: -1 };
  const state: DecodeState = {
    spans: [],
    rejected: 0,
    rejectionMessage: '',
    lastTraceBytes: -1,
    lastTraceId: '',
    buf: body,
  };
  try {
    const reader = new OtlpReader(body);
    let resourceIndex = 0;
    while (!reader.done) {
      const key = reader.smallVarint();
      if (key === ((1 << 3) | WIRE_LEN)) {
        place.resource = resourceIndex++;
        readResourceSpans(reader, place, state);
        place.resource = -1;
      } else reader.skip(key & 7);
    }
  } catch (error) {
    if (error instanceof NotFastPath || error instanceof RangeError) {
      throw new OtlpDecodeError(placePath(place), `malformed protobuf (${error.message})`);
    }
    throw error;
  }
  return { spans: state.spans, rejected: state.rejected, rejectionMessage: state.rejectionMessage };
}

interface DecodeState {
  readonly spans: SpanRecord[];
  rejected: number;
  rejectionMessage: string;
  /** Offset of the last trace id's bytes, and its hex: spans of one trace come together and share the string. */
  lastTraceBytes: number;
  lastTraceId: string;
  readonly buf: Buffer;
}

/**
 * Reads the embedded message of field 1 (a resource or scope) that applies to the whole of `reader`'s message:
 * when it comes first, as encoders write it, the reader is left after it; else the message is searched for it and
 * the reader is left where it was. Undefined when there is none.
 */
function leadingMessage<T>(
  reader: OtlpReader,
  place: Place,
  field: string,
  read: (message: OtlpReader) => T,
): T | undefined {
  const start = reader.pos;
  let found: T | undefined;
  let first = true;
  while (!reader.done) {
    const key = reader.smallVarint();
    if (key === ((1 << 3) | WIRE_LEN)) {
      place.field = field;
      const from = reader.range();
      found = read(new OtlpReader(reader.buf, from, reader.pos));
      place.field = '';
      if (first) return found;
    } else reader.skip(key & 7);
    first = false;
  }
  reader.pos = start;
  return found;
}

/** Reads the `ResourceSpans` message at the reader's position (as do the readers below, each its message). */
function readResourceSpans(reader: OtlpReader, place: Place, state: DecodeState): void {
  const outer = reader.enter();
  const resource = leadingMessage(reader, place, 'resource', readResource) ?? EMPTY_RESOURCE;
  let scopeIndex = 0;
  while (!reader.done) {
    const key = reader.smallVarint();
    if (key === ((2 << 3) | WIRE_LEN)) {
      place.scope = scopeIndex++;
      readScopeSpans(reader, resource, place, state);
      place.scope = -1;
    } else reader.skip(key & 7);
  }
  reader.leave(outer);
}

const EMPTY_RESOURCE: ResourceRecord = Object.freeze({ serviceName: '', attributes: NONE });
const EMPTY_SCOPE: ScopeRecord = Object.freeze({ name: '', version: '', attributes: NONE });

function readResource(reader: OtlpReader): ResourceRecord {
  const encoded = reader.buf.toString('latin1', reader.pos, reader.end);
  return sharedResource(encoded, () => {
    const attributes: Attribute[] = [];
    while (!reader.done) {
      const key = reader.smallVarint();
      if (key === ((1 << 3) | WIRE_LEN)) attributes.push(readKeyValue(reader));
      else reader.skip(key & 7);
    }
    return resourceRecord(attributes.length === 0 ? NONE : Object.freeze(attributes.slice()));
  });
}

function readScope(reader: OtlpReader): ScopeRecord {
  const encoded = reader.buf.toString('latin1', reader.pos, reader.end);
  return sharedScope(encoded, () => {
    let name = '';
    let version = '';
    const attributes: Attribute[] = [];
    while (!reader.done) {
      const key = reader.smallVarint();
      if (key === ((1 << 3) | WIRE_LEN)) name = reader.text();
      else if (key === ((2 << 3) | WIRE_LEN)) version = reader.text();
      else if (key === ((3 << 3) | WIRE_LEN)) attributes.push(readKeyValue(reader));
      else reader.skip(key & 7);
    }
    return Object.freeze({ name, version, attributes: attributes.length === 0 ? NONE : Object.freeze(attributes) });
  });
}

function readScopeSpans(reader: OtlpReader, resource: ResourceRecord, place: Place, state: DecodeState): void {
  const outer = reader.enter();
  const scope = leadingMessage(reader, place, 'scope', readScope) ?? EMPTY_SCOPE;
  let spanIndex = 0;
  while (!reader.done) {
    const key = reader.smallVarint();
    if (key === ((2 << 3) | WIRE_LEN)) {
      place.span = spanIndex++;
      const span = readSpan(reader, resource, scope, place, state);
      if (span instanceof Refusal) {
        if (state.rejected++ === 0) state.rejectionMessage = `${placePath(place)}.${span.field}: ${span.problem}`;
      } else state.spans.push(span);
      place.span = -1;
      place.field = '';
    } else reader.skip(key & 7);
  }
  reader.leave(outer);
}

function readSpan(
  reader: OtlpReader,
  resource: ResourceRecord,
  scope: ScopeRecord,
  place: Place,
  state: DecodeState,
): SpanRecord | Refusal {
  const buf = reader.buf;
  let traceStart = -1;
  let traceLength = 0;
  let spanId = '';
  let spanLength = 0;
  let parentSpanId = '';
  let parentLength = 0;
  let traceState = '';
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  let attributes: Attribute[] | undefined;
  let events: EventRecord[] | undefined;
  let links: LinkRecord[] | undefined;
  let statusCode = 0;
  let statusMessage = '';
  let flags = 0;
  let refusal: Refusal | undefined;
  const outer = reader.enter();
  while (!reader.done) {
    const key = reader.smallVarint();
    switch (key) {
      case (1 << 3) | WIRE_LEN:
        place.field = 'traceId';
        traceStart = reader.range();
        traceLength = reader.pos - traceStart;
        break;
      case (2 << 3) | WIRE_LEN: {
        place.field = 'spanId';
        const from = reader.range();
        spanLength = reader.pos - from;
        spanId = spanLength === 8 ? hexId(buf, from, reader.pos) : '';
        break;
      }
      case (3 << 3) | WIRE_LEN:
        place.field = 'traceState';
        traceState = reader.plainText();
        break;
      case (4 << 3) | WIRE_LEN: {
        place.field = 'parentSpanId';
        const from = reader.range();
        parentLength = reader.pos - from;
        parentSpanId = parentLength === 8 ? hexId(buf, from, reader.pos) : '';
        break;
      }
      case (5 << 3) | WIRE_LEN:
        place.field = 'name';
        name = reader.text();
        break;
      case (6 << 3) | WIRE_VARINT:
        place.field = 'kind';
        kind = reader.varint32();
        break;
      case (7 << 3) | WIRE_I64:
        place.field = 'startTimeUnixNano';
        start = reader.fixed64();
        break;
      case (8 << 3) | WIRE_I64:
        place.field = 'endTimeUnixNano';
        end = reader.fixed64();
        break;
      case (9 << 3) | WIRE_LEN:
        place.field = 'attributes';
        place.item = attributes?.length ?? 0;
        (attributes ??= []).push(readKeyValue(reader));
        place.item = -1;
        break;
      case (11 << 3) | WIRE_LEN:
        place.field = 'events';
        place.item = events?.length ?? 0;
        (events ??= []).push(readEvent(reader));
        place.item = -1;
        break;
      case (13 << 3) | WIRE_LEN: {
        place.field = 'links';
        place.item = links?.length ?? 0;
        const link = readLink(reader);
        if (link instanceof Refusal) refusal ??= new Refusal(`links[${place.item}].${link.field}`, link.problem);
        else (links ??= []).push(link);
        place.item = -1;
        break;
      }
      case (15 << 3) | WIRE_LEN: {
        place.field = 'status';
        const outer = reader.enter();
        while (!reader.done) {
          const statusKey = reader.smallVarint();
          if (statusKey === ((2 << 3) | WIRE_LEN)) statusMessage = reader.plainText();
          else if (statusKey === ((3 << 3) | WIRE_VARINT)) statusCode = reader.varint32();
          else reader.skip(statusKey & 7);
        }
        reader.leave(outer);
        break;
      }
      case (16 << 3) | WIRE_I32:
        place.field = 'flags';
        flags = reader.fixed32();
        break;
      default:
        place.field = `field ${key >>> 3}`;
        reader.skip(key & 7);
    }
  }
  reader.leave(outer);
  place.field = '';
  if (traceLength !== 16) return new Refusal('traceId', `a trace id has 16 bytes; got ${traceLength}`);
  if (spanLength !== 8) return new Refusal('spanId', `a span id has 8 bytes; got ${spanLength}`);
  if (parentLength !== 0 && parentLength !== 8) {
    return new Refusal('parentSpanId', `a parent span id has 8 bytes (or none); got ${parentLength}`);
  }
  let traceId: string;
  if (state.lastTraceBytes >= 0 && same16(buf, state.lastTraceBytes, traceStart)) {
    traceId = state.lastTraceId;
  } else {
    traceId = hexId(buf, traceStart, traceStart + 16);
    state.lastTraceBytes = traceStart;
    state.lastTraceId = traceId;
  }
  if (traceId === '') return new Refusal('traceId', 'the trace id is all zeros (invalid)');
  if (spanId === '') return new Refusal('spanId', 'the span id is all zeros (invalid)');
  if (refusal !== undefined) return refusal;
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    name,
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    // Copies are exact in size: an array grown by push keeps room for 16 more, which stored spans would hold.
    attributes: attributes === undefined ? NONE : attributes.slice(),
    events: events === undefined ? NONE : events.slice(),
    links: links === undefined ? NONE : links.slice(),
    statusCode,
    statusMessage,
    flags,
    resource,
    scope,
  };
}

function readEvent(reader: OtlpReader): EventRecord {
  let time = 0n;
  let name = '';
  let attributes: Attribute[] | undefined;
  const outer = reader.enter();
  while (!reader.done) {
    const key = reader.smallVarint();
    if (key === ((1 << 3) | WIRE_I64)) time = reader.fixed64();
    else if (key === ((2 << 3) | WIRE_LEN)) name = reader.text();
    else if (key === ((3 << 3) | WIRE_LEN)) (attributes ??= []).push(readKeyValue(reader));
    else reader.skip(key & 7);
  }
  reader.leave(outer);
  return { timeUnixNano: time, name, attributes: attributes === undefined ? NONE : attributes.slice() };
}

function readLink(reader: OtlpReader): LinkRecord | Refusal {
  let traceId = '';
  let traceLength = 0;
  let spanId = '';
  let spanLength = 0;
  let traceState = '';
  let attributes: Attribute[] | undefined;
  const outer = reader.enter();
  while (!reader.done) {
    const key = reader.smallVarint();
    if (key === ((1 << 3) | WIRE_LEN)) {
      const from = reader.range();
      traceLength = reader.pos - from;
      traceId = hexId(reader.buf, from, reader.pos);
    } else if (key === ((2 << 3) | WIRE_LEN)) {
      const from = reader.range();
      spanLength = reader.pos - from;
      spanId = hexId(reader.buf, from, reader.pos);
    } else if (key === ((3 << 3) | WIRE_LEN)) traceState = reader.plainText();
    else if (key === ((4 << 3) | WIRE_LEN)) (attributes ??= []).push(readKeyValue(reader));
    else reader.skip(key & 7);
  }
  reader.leave(outer);
  if (traceLength !== 16 || traceId === '')
    return new Refusal('traceId', `a trace id has 16 bytes, not all zero; got ${traceLength}`);
  if (spanLength !== 8 || spanId === '')
    return new Refusal('spanId', `a span id has 8 bytes, not all zero; got ${spanLength}`);
  return { traceId, spanId, traceState, attributes: attributes === undefined ? NONE : attributes.slice() };
}

/** Attributes by their encoded `KeyValue`: most repeat from span to span, whole. */
const keyValues = new BytesTable<Attribute>(8192, MAX_INTERNED_LENGTH);

function readKeyValue(reader: OtlpReader): Attribute {
  const outer = reader.enter();
  const { buf, pos: start, end } = reader;
  const cached = end - start <= MAX_INTERNED_LENGTH;
  const slot = cached ? keyValues.slot(buf, start, end) : -1;
  let found = cached ? keyValues.get(slot, buf, start, end) : undefined;
  if (found === undefined) {
    let key = '';
    let value: AttributeValue = null;
    while (!reader.done) {
      const tag = reader.smallVarint();
      if (tag === ((1 << 3) | WIRE_LEN)) key = reader.text();
      else if (tag === ((2 << 3) | WIRE_LEN)) value = readAnyValue(reader);
      else reader.skip(tag & 7);
    }
    found = attribute(key, value);
    // Values that are objects (arrays, lists, bytes) are the caller's to keep; the rest are immutable.
    if (cached && (value === null || typeof value !== 'object')) {
      keyValues.set(slot, buf, start, end, Object.isFrozen(found) ? found : Object.freeze(found));
    }
  }
  reader.leave(outer);
  return found;
}

function readAnyValue(reader: OtlpReader): AttributeValue {
  let value: AttributeValue = null;
  const outer = reader.enter();
  while (!reader.done) {
    const tag = reader.smallVarint();
    switch (tag) {
      case (1 << 3) | WIRE_LEN:
        value = reader.text();
        break;
      case (2 << 3) | WIRE_VARINT:
        value = reader.varint32() !== 0;
        break;
      case (3 << 3) | WIRE_VARINT:
        value = reader.int64();
        break;
      case (4 << 3) | WIRE_I64:
        value = reader.double();
        break;
      case (5 << 3) | WIRE_LEN: {
        const outer = reader.enter();
        const values: AttributeValue[] = [];
        while (!reader.done) {
          const listTag = reader.smallVarint();
          if (listTag === ((1 << 3) | WIRE_LEN)) values.push(readAnyValue(reader));
          else reader.skip(listTag & 7);
        }
        reader.leave(outer);
        value = { array: values };
        break;
      }
      case (6 << 3) | WIRE_LEN: {
        const outer = reader.enter();
        const entries: Attribute[] = [];
        while (!reader.done) {
          const listTag = reader.smallVarint();
          if (listTag === ((1 << 3) | WIRE_LEN)) entries.push(readKeyValue(reader));
          else reader.skip(listTag & 7);
        }
        reader.leave(outer);
        value = { kvlist: entries };
        break;
      }
      case (7 << 3) | WIRE_LEN:
        value = Uint8Array.prototype.slice.call(reader.bytes());
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  reader.leave(outer);
  return value;
}
