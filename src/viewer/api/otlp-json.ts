/**
 * Stored spans in OTLP's JSON encoding (`TracesData`: `{"resourceSpans": [...]}`), as the OpenTelemetry Collector's
 * JSON marshaler writes it and Jaeger's v3 gateway answers: hex ids, 64-bit integers and nanosecond times as
 * strings, kind and status code as numbers, empty fields left out, spans grouped by resource then scope.
 * Also what the page downloads and opens again. Pure: no Node imports, so the page can bundle it.
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
import { base64 } from './jaeger-json.ts';

type Json = Record<string, unknown>;

/** Options: `sort` orders attributes by key (Jaeger's default, non-raw answers). */
export interface OtlpJsonOptions {
  readonly sort?: boolean;
}

/** `TracesData` of some spans: one ResourceSpans per resource, one ScopeSpans per scope within it. */
export function toOtlpJson(spans: readonly SpanRecord[], options: OtlpJsonOptions = {}): { resourceSpans: Json[] } {
  const byResource = new Map<
    string,
    { resource: ResourceRecord; scopes: Map<string, { scope: ScopeRecord; spans: SpanRecord[] }> }
  >();
  for (const span of spans) {
    const resourceKey = identity(span.resource);
    let resource = byResource.get(resourceKey);
    if (resource === undefined)
      byResource.set(resourceKey, (resource = { resource: span.resource, scopes: new Map() }));
    const scopeKey = identity(span.scope);
    let scope = resource.scopes.get(scopeKey);
    if (scope === undefined) resource.scopes.set(scopeKey, (scope = { scope: span.scope, spans: [] }));
    scope.spans.push(span);
  }
  return {
    resourceSpans: [...byResource.values()].map(({ resource, scopes }) => ({
      resource: withAttributes({}, resource.attributes, options),
      scopeSpans: [...scopes.values()].map(({ scope, spans: group }) => ({
        scope: scopeJson(scope, options),
        spans: group.map((span) => spanJson(span, options)),
      })),
    })),
  };
}

/** Records decoded from one export share resource and scope objects; others compare by content. */
const identities = new WeakMap<object, string>();
function identity(record: ResourceRecord | ScopeRecord): string {
  let key = identities.get(record);
  if (key === undefined)
    identities.set(
      record,
      (key = JSON.stringify(record, (_k, v: unknown) =>
        typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? base64(v) : v,
      )),
    );
  return key;
}

function scopeJson(scope: ScopeRecord, options: OtlpJsonOptions): Json {
  const json: Json = {};
  if (scope.name !== '') json.name = scope.name;
  if (scope.version !== '') json.version = scope.version;
  return withAttributes(json, scope.attributes, options);
}

function spanJson(span: SpanRecord, options: OtlpJsonOptions): Json {
  const json: Json = { traceId: span.traceId, spanId: span.spanId };
  if (span.traceState !== '') json.traceState = span.traceState;
  if (span.parentSpanId !== '') json.parentSpanId = span.parentSpanId;
  if (span.flags !== 0) json.flags = span.flags;
  if (span.name !== '') json.name = span.name;
  if (span.kind !== 0) json.kind = span.kind;
  if (span.startTimeUnixNano !== 0n) json.startTimeUnixNano = span.startTimeUnixNano.toString();
  if (span.endTimeUnixNano !== 0n) json.endTimeUnixNano = span.endTimeUnixNano.toString();
  withAttributes(json, span.attributes, options);
  if (span.events.length > 0) json.events = span.events.map((event) => eventJson(event, options));
  if (span.links.length > 0) json.links = span.links.map((link) => linkJson(link, options));
  const status: Json = {};
  if (span.statusMessage !== '') status.message = span.statusMessage;
  if (span.statusCode !== 0) status.code = span.statusCode;
  json.status = status;
  return json;
}

function eventJson(event: EventRecord, options: OtlpJsonOptions): Json {
  const json: Json = {};
  if (event.timeUnixNano !== 0n) json.timeUnixNano = event.timeUnixNano.toString();
  if (event.name !== '') json.name = event.name;
  return withAttributes(json, event.attributes, options);
}

function linkJson(link: LinkRecord, options: OtlpJsonOptions): Json {
  const json: Json = { traceId: link.traceId, spanId: link.spanId };
  if (link.traceState !== '') json.traceState = link.traceState;
  return withAttributes(json, link.attributes, options);
}

function withAttributes(json: Json, attributes: readonly Attribute[], options: OtlpJsonOptions): Json {
  if (attributes.length === 0) return json;
  const ordered =
    options.sort === true ? [...attributes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : attributes;
  json.attributes = ordered.map((attribute) => ({ key: attribute.key, value: anyValue(attribute.value) }));
  return json;
}

/** OTLP's `AnyValue` in JSON. */
export function anyValue(value: AttributeValue): Json {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'number') return { doubleValue: value };
  if (value instanceof Uint8Array) return { bytesValue: base64(value) };
  if ('array' in value) return { arrayValue: value.array.length > 0 ? { values: value.array.map(anyValue) } : {} };
  const values = value.kvlist.map((attribute) => ({ key: attribute.key, value: anyValue(attribute.value) }));
  return { kvlistValue: values.length > 0 ? { values } : {} };
}
