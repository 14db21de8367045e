/**
 * OTLP/JSON for `http/json` and the console exporter: an `ExportTraceServiceRequest` as ts-triton's encoder
 * wrote it (protobuf) read back and written as the OTLP JSON encoding: lowerCamelCase field names, trace and
 * span ids as hex, 64-bit integers as decimal strings, enums as numbers, bytes as base64, fields at their
 * default left out. Reading the encoded bytes keeps one encoder for every protocol (spans are encoded as they
 * end, long before the exporter runs), and costs only on the exporter's side.
 *
 * @module
 */

import { WireReader } from '../../wire/proto-reader.ts';
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/wire-types.ts';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** How a field is written in JSON. */
type FieldKind =
  'string' | 'hex' | 'base64' | 'uint32' | 'int64' | 'bool' | 'enum' | 'fixed32' | 'fixed64' | 'double' | MessageSchema;

interface FieldSchema {
  readonly name: string;
  readonly kind: FieldKind;
  readonly repeated?: boolean;
}

/** Field number → field, of one message type. */
type MessageSchema = { readonly [field: number]: FieldSchema };

// The trace schema (opentelemetry/proto/trace/v1, common/v1, resource/v1, collector/trace/v1).
const anyValue: Record<number, FieldSchema> = {};
const keyValue: MessageSchema = { 1: { name: 'key', kind: 'string' }, 2: { name: 'value', kind: anyValue } };
const attributes = (field: number): MessageSchema => ({
  [field]: { name: 'attributes', kind: keyValue, repeated: true },
});
Object.assign(anyValue, {
  1: { name: 'stringValue', kind: 'string' },
  2: { name: 'boolValue', kind: 'bool' },
  3: { name: 'intValue', kind: 'int64' },
  4: { name: 'doubleValue', kind: 'double' },
  5: { name: 'arrayValue', kind: { 1: { name: 'values', kind: anyValue, repeated: true } } },
  6: { name: 'kvlistValue', kind: { 1: { name: 'values', kind: keyValue, repeated: true } } },
  7: { name: 'bytesValue', kind: 'base64' },
});
const resource: MessageSchema = { ...attributes(1), 2: { name: 'droppedAttributesCount', kind: 'uint32' } };
const scope: MessageSchema = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'version', kind: 'string' },
  ...attributes(3),
  4: { name: 'droppedAttributesCount', kind: 'uint32' },
};
const event: MessageSchema = {
  1: { name: 'timeUnixNano', kind: 'fixed64' },
  2: { name: 'name', kind: 'string' },
  ...attributes(3),
  4: { name: 'droppedAttributesCount', kind: 'uint32' },
};
const link: MessageSchema = {
  1: { name: 'traceId', kind: 'hex' },
  2: { name: 'spanId', kind: 'hex' },
  3: { name: 'traceState', kind: 'string' },
  ...attributes(4),
  5: { name: 'droppedAttributesCount', kind: 'uint32' },
  6: { name: 'flags', kind: 'fixed32' },
};
const span: MessageSchema = {
  1: { name: 'traceId', kind: 'hex' },
  2: { name: 'spanId', kind: 'hex' },
  3: { name: 'traceState', kind: 'string' },
  4: { name: 'parentSpanId', kind: 'hex' },
  16: { name: 'flags', kind: 'fixed32' },
  5: { name: 'name', kind: 'string' },
  6: { name: 'kind', kind: 'enum' },
  7: { name: 'startTimeUnixNano', kind: 'fixed64' },
  8: { name: 'endTimeUnixNano', kind: 'fixed64' },
  ...attributes(9),
  10: { name: 'droppedAttributesCount', kind: 'uint32' },
  11: { name: 'events', kind: event, repeated: true },
  12: { name: 'droppedEventsCount', kind: 'uint32' },
  13: { name: 'links', kind: link, repeated: true },
  14: { name: 'droppedLinksCount', kind: 'uint32' },
  15: { name: 'status', kind: { 2: { name: 'message', kind: 'string' }, 3: { name: 'code', kind: 'enum' } } },
};
const scopeSpans: MessageSchema = {
  1: { name: 'scope', kind: scope },
  2: { name: 'spans', kind: span, repeated: true },
  3: { name: 'schemaUrl', kind: 'string' },
};
const resourceSpans: MessageSchema = {
  1: { name: 'resource', kind: resource },
  2: { name: 'scopeSpans', kind: scopeSpans, repeated: true },
  3: { name: 'schemaUrl', kind: 'string' },
};
const exportRequest: MessageSchema = { 1: { name: 'resourceSpans', kind: resourceSpans, repeated: true } };

const utf8 = new TextDecoder();

/** A proto3 JSON number: NaN and the infinities as strings. */
function jsonDouble(value: number): Json {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/** One field's value, read from `reader` (wire type `wire`). */
function readValue(reader: WireReader, kind: FieldKind, wire: number): Json {
  if (typeof kind === 'object') return readMessage(reader.message(), kind);
  switch (kind) {
    case 'string':
      return utf8.decode(reader.bytes());
    case 'hex':
      return reader.bytes().toString('hex');
    case 'base64':
      return reader.bytes().toString('base64');
    case 'uint32':
    case 'enum':
      return Number(BigInt.asIntN(32, reader.int64()));
    case 'int64':
      return reader.int64().toString();
    case 'bool':
      return reader.int64() !== 0n;
    case 'fixed32':
      return wire === WIRE_I32 ? reader.fixed32() : Number(BigInt.asUintN(64, reader.int64()));
    case 'fixed64':
      return reader.fixed64().toString();
    case 'double':
      return jsonDouble(reader.double());
  }
}

/** The wire type a field of `kind` must have. */
function wireOf(kind: FieldKind): number {
  if (typeof kind === 'object') return WIRE_LEN;
  if (kind === 'string' || kind === 'hex' || kind === 'base64') return WIRE_LEN;
  if (kind === 'fixed32') return WIRE_I32;
  if (kind === 'fixed64' || kind === 'double') return WIRE_I64;
  return WIRE_VARINT;
}

function readMessage(reader: WireReader, schema: MessageSchema): JsonObject {
  const out: JsonObject = {};
  while (reader.pos < reader.end) {
    const tag = reader.varint32();
    const field = schema[tag >>> 3];
    const wire = tag & 7;
    if (field === undefined || wire !== wireOf(field.kind)) {
      reader.skip(wire);
      continue;
    }
    const value = readValue(reader, field.kind, wire);
    if (field.repeated) ((out[field.name] ??= []) as Json[]).push(value);
    else if (typeof field.kind === 'object' && typeof out[field.name] === 'object') {
      Object.assign(out[field.name] as JsonObject, value as JsonObject); // a message given twice is merged
    } else out[field.name] = value;
  }
  return out;
}

/**
 * An `ExportTraceServiceRequest` in the OTLP JSON encoding.
 * @param bytes - the request in protobuf, as {@link SpanBatch.encode} returns it.
 * @throws Error when the bytes are not a well-formed message.
 */
export function exportRequestToJson(bytes: Uint8Array): JsonObject {
  return readMessage(new WireReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), exportRequest);
}

/** {@link exportRequestToJson}, as the UTF-8 bytes of an OTLP/HTTP JSON body. */
export function encodeExportRequestJson(bytes: Uint8Array): Uint8Array {
  return Buffer.from(JSON.stringify(exportRequestToJson(bytes)), 'utf8');
}
