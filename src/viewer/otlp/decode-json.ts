/**
 * The OTLP/JSON decoder of the trace viewer: an `ExportTraceServiceRequest` in OTLP's JSON encoding
 * (lowerCamelCase keys, hex trace and span ids, 64-bit integers as strings or numbers, enums as numbers or
 * their names, bytes as base64) read into {@link SpanRecord}s. Unknown keys are ignored, as the spec asks.
 *
 * A value of the wrong type throws an {@link OtlpDecodeError} naming the field; a span whose ids are invalid is
 * refused alone and counted (OTLP's partial success).
 *
 * @module
 */

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
import { attribute, intern, NONE, resourceRecord, sharedResource, sharedScope } from './intern.ts';

const SPAN_KINDS: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

const STATUS_CODES: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

type Json = Record<string, unknown>;

/** A span refused for a bad id. */
class Refusal {
  readonly path: string;
  readonly problem: string;
  constructor(path: string, problem: string) {
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Decodes an OTLP/JSON export from its text.
 * @throws {OtlpDecodeError} for text that is not JSON, or a field of the wrong type.
 */
export function decodeOtlpJsonText(text: string): DecodedExport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError('', `the body is not JSON (${(error as Error).message})`);
  }
  return decodeOtlpJson(value);
}

/**
 * Decodes a parsed OTLP/JSON export (`{"resourceSpans": [...]}`).
 * @throws {OtlpDecodeError} naming a field of the wrong type.
 */
export function decodeOtlpJson(value: unknown): DecodedExport {
  const request = object(value, '');
  const spans: SpanRecord[] = [];
  let rejected = 0;
  let rejectionMessage = '';
  const resourceSpans = list(request.resourceSpans, 'resourceSpans');
  for (let r = 0; r < resourceSpans.length; r++) {
    const rsPath = `resourceSpans[${r}]`;
    const rs = object(resourceSpans[r], rsPath);
    const resource =
      rs.resource === undefined || rs.resource === null
        ? EMPTY_RESOURCE
        : readResource(rs.resource, `${rsPath}.resource`);
    const scopeSpans = list(rs.scopeSpans, `${rsPath}.scopeSpans`);
    for (let s = 0; s < scopeSpans.length; s++) {
      const ssPath = `${rsPath}.scopeSpans[${s}]`;
      const ss = object(scopeSpans[s], ssPath);
      const scope = ss.scope === undefined || ss.scope === null ? EMPTY_SCOPE : readScope(ss.scope, `${ssPath}.scope`);
      const items = list(ss.spans, `${ssPath}.spans`);
      for (let i = 0; i < items.length; i++) {
        const span = readSpan(items[i], `${ssPath}.spans[${i}]`, resource, scope);
        if (span instanceof Refusal) {
          if (rejected++ === 0) rejectionMessage = `${span.path}: ${span.problem}`;
        } else spans.push(span);
      }
    }
  }
  return { spans, rejected, rejectionMessage };
}

const EMPTY_RESOURCE: ResourceRecord = Object.freeze({ serviceName: '', attributes: NONE });
const EMPTY_SCOPE: ScopeRecord = Object.freeze({ name: '', version: '', attributes: NONE });

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OtlpDecodeError(path, `expected a JSON object; got ${describe(value)}`);
  }
  return value as Json;
}

/** An array field; absent or null is empty. */
function list(value: unknown, path: string): readonly unknown[] {
  if (value === undefined || value === null) return NONE;
  if (!Array.isArray(value)) throw new OtlpDecodeError(path, `expected an array; got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function string(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new OtlpDecodeError(path, `expected a string; got ${describe(value)}`);
  return value;
}

/** A uint64 / fixed64 (times): a decimal string or a number. */
function uint64(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw new OtlpDecodeError(
    path,
    `expected an unsigned 64-bit integer (a decimal string or number); got ${describe(value)}`,
  );
}

/** An int64 attribute value: a decimal string or a number. */
function int64(value: unknown, path: string): bigint {
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt.asIntN(64, BigInt(value));
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new OtlpDecodeError(path, `expected a 64-bit integer (a decimal string or number); got ${describe(value)}`);
}

/** A uint32 (flags, counts). */
function uint32(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff) return value;
  throw new OtlpDecodeError(path, `expected an unsigned 32-bit integer; got ${describe(value)}`);
}

/** An enum: its number or its name. */
function enumValue(value: unknown, names: Readonly<Record<string, number>>, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && Object.hasOwn(names, value)) return names[value]!;
  throw new OtlpDecodeError(
    path,
    `expected one of ${Object.keys(names).join(', ')} or its number; got ${describe(value)}`,
  );
}

/** A hex id of `bytes` bytes; '' when absent, empty or all zeros; a Refusal message when malformed. */
function hexId(value: unknown, bytes: number, path: string): string | Refusal {
  if (value === undefined || value === null || value === '') return '';
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(value)) {
    return new Refusal(path, `expected ${bytes * 2} hex digits; got ${describe(value)}`);
  }
  const id = value.toLowerCase();
  return /^0+$/.test(id) ? '' : id;
}

function readAttributes(value: unknown, path: string): readonly Attribute[] {
  const items = list(value, path);
  if (items.length === 0) return NONE;
  return items.map((item, i) => readKeyValue(item, `${path}[${i}]`));
}

function readKeyValue(item: unknown, path: string): Attribute {
  const kv = object(item, path);
  const key = intern(string(kv.key, `${path}.key`));
  const value = kv.value === undefined || kv.value === null ? null : readAnyValue(kv.value, `${path}.value`);
  return attribute(key, typeof value === 'string' ? intern(value) : value);
}

function readAnyValue(value: unknown, path: string): AttributeValue {
  const any = object(value, path);
  if (any.stringValue !== undefined) return string(any.stringValue, `${path}.stringValue`);
  if (any.boolValue !== undefined) {
    if (typeof any.boolValue !== 'boolean')
      throw new OtlpDecodeError(`${path}.boolValue`, `expected true or false; got ${describe(any.boolValue)}`);
    return any.boolValue;
  }
  if (any.intValue !== undefined) return int64(any.intValue, `${path}.intValue`);
  if (any.doubleValue !== undefined) return double(any.doubleValue, `${path}.doubleValue`);
  if (any.arrayValue !== undefined) {
    const array = object(any.arrayValue, `${path}.arrayValue`);
    const items = list(array.values, `${path}.arrayValue.values`);
    return { array: items.map((item, i) => readAnyValue(item, `${path}.arrayValue.values[${i}]`)) };
  }
  if (any.kvlistValue !== undefined) {
    const kvlist = object(any.kvlistValue, `${path}.kvlistValue`);
    return { kvlist: [...readAttributes(kvlist.values, `${path}.kvlistValue.values`)] };
  }
  if (any.bytesValue !== undefined) {
    const text = string(any.bytesValue, `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw new OtlpDecodeError(`${path}.bytesValue`, 'expected base64');
    return new Uint8Array(Buffer.from(text, 'base64'));
  }
  return null;
}

/** A double: a number, or "NaN", "Infinity", "-Infinity" (or a numeric string), as protobuf's JSON allows. */
function double(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    if (!Number.isNaN(number) || value === 'NaN') return number;
  }
  throw new OtlpDecodeError(path, `expected a number; got ${describe(value)}`);
}

function readResource(value: unknown, path: string): ResourceRecord {
  const resource = object(value, path);
  return sharedResource(JSON.stringify(resource.attributes ?? null), () => {
    const attributes = readAttributes(resource.attributes, `${path}.attributes`);
    return resourceRecord(attributes.length === 0 ? NONE : Object.freeze(attributes));
  });
}

function readScope(value: unknown, path: string): ScopeRecord {
  const scope = object(value, path);
  const key = JSON.stringify([scope.name ?? '', scope.version ?? '', scope.attributes ?? null]);
  return sharedScope(key, () => {
    const attributes = readAttributes(scope.attributes, `${path}.attributes`);
    return Object.freeze({
      name: intern(string(scope.name, `${path}.name`)),
      version: intern(string(scope.version, `${path}.version`)),
      attributes: attributes.length === 0 ? NONE : Object.freeze(attributes),
    });
  });
}

function readSpan(value: unknown, path: string, resource: ResourceRecord, scope: ScopeRecord): SpanRecord | Refusal {
  const span = object(value, path);
  const traceId = hexId(span.traceId, 16, `${path}.traceId`);
  if (traceId instanceof Refusal) return traceId;
  if (traceId === '') return new Refusal(`${path}.traceId`, 'a span needs a trace id (32 hex digits, not all zero)');
  const spanId = hexId(span.spanId, 8, `${path}.spanId`);
  if (spanId instanceof Refusal) return spanId;
  if (spanId === '') return new Refusal(`${path}.spanId`, 'a span needs a span id (16 hex digits, not all zero)');
  const parentSpanId = hexId(span.parentSpanId, 8, `${path}.parentSpanId`);
  if (parentSpanId instanceof Refusal) return parentSpanId;
  const events = list(span.events, `${path}.events`);
  const links = list(span.links, `${path}.links`);
  const readLinks: LinkRecord[] = [];
  for (let i = 0; i < links.length; i++) {
    const link = readLink(links[i], `${path}.links[${i}]`);
    if (link instanceof Refusal) return link;
    readLinks.push(link);
  }
  const status = span.status === undefined || span.status === null ? {} : object(span.status, `${path}.status`);
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState: string(span.traceState, `${path}.traceState`),
    name: intern(string(span.name, `${path}.name`)),
    kind: enumValue(span.kind, SPAN_KINDS, `${path}.kind`),
    startTimeUnixNano: uint64(span.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endTimeUnixNano: uint64(span.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: readAttributes(span.attributes, `${path}.attributes`),
    events: events.length === 0 ? NONE : events.map((event, i) => readEvent(event, `${path}.events[${i}]`)),
    links: readLinks.length === 0 ? NONE : readLinks.slice(),
    statusCode: enumValue(status.code, STATUS_CODES, `${path}.status.code`),
    statusMessage: string(status.message, `${path}.status.message`),
    flags: uint32(span.flags, `${path}.flags`),
    resource,
    scope,
  };
}

function readEvent(value: unknown, path: string): EventRecord {
  const event = object(value, path);
  return {
    timeUnixNano: uint64(event.timeUnixNano, `${path}.timeUnixNano`),
    name: intern(string(event.name, `${path}.name`)),
    attributes: readAttributes(event.attributes, `${path}.attributes`),
  };
}

function readLink(value: unknown, path: string): LinkRecord | Refusal {
  const link = object(value, path);
  const traceId = hexId(link.traceId, 16, `${path}.traceId`);
  if (traceId instanceof Refusal) return traceId;
  const spanId = hexId(link.spanId, 8, `${path}.spanId`);
  if (spanId instanceof Refusal) return spanId;
  if (traceId === '' || spanId === '') return new Refusal(path, 'a link needs a trace id and a span id, not all zero');
  return {
    traceId,
    spanId,
    traceState: string(link.traceState, `${path}.traceState`),
    attributes: readAttributes(link.attributes, `${path}.attributes`),
  };
}
