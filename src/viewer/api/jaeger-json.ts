/**
 * Stored spans in Jaeger's JSON model (`Trace`, `Span`, `Process`, `KeyValue`, …), mapped from OTLP as Jaeger v2
 * maps them: scope name/version tags first, then the attributes, `span.kind`, `otel.status_code`, `error`,
 * `otel.status_description`, `w3c.tracestate`; the parent as the first CHILD_OF reference and links as
 * FOLLOWS_FROM references (CHILD_OF when the link says `opentracing.ref_type=child_of`); events as logs; one
 * process per distinct resource, keyed `p1`, `p2`, … in order of first use.
 *
 * Like Jaeger's default (non-raw) answers, attributes are sorted by key; events keep their time order.
 * Pure: no Node imports, so the page can bundle it.
 *
 * @module
 */

import type { Attribute, AttributeValue, EventRecord, LinkRecord, ResourceRecord, SpanRecord } from '../span-record.ts';
import { StatusCode } from '../span-record.ts';
import { jaegerTraceId } from '../trace-ids.ts';
import { kindName } from './span-kinds.ts';

/** Jaeger's `KeyValue`. */
export interface JaegerKeyValue {
  readonly key: string;
  readonly type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  readonly value: string | boolean | number;
}

export interface JaegerReference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceID: string;
  readonly spanID: string;
}

export interface JaegerLog {
  readonly timestamp: number;
  readonly fields: readonly JaegerKeyValue[];
}

export interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly JaegerReference[];
  /** Microseconds since the epoch. */
  readonly startTime: number;
  /** Microseconds. */
  readonly duration: number;
  readonly tags: readonly JaegerKeyValue[];
  readonly logs: readonly JaegerLog[];
  readonly processID: string;
  readonly warnings: readonly string[] | null;
}

export interface JaegerProcess {
  readonly serviceName: string;
  readonly tags: readonly JaegerKeyValue[];
}

export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, JaegerProcess>>;
  readonly warnings: readonly string[] | null;
}

/** How the mapping treats collections: `raw` keeps attributes in their stored order. */
export interface JaegerOptions {
  readonly raw?: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Jaeger's service name for a resource without attributes. */
const NO_SERVICE_NAME = 'OTLPResourceNoServiceName';
const STATUS_NAMES: Readonly<Record<number, string>> = { [StatusCode.OK]: 'OK', [StatusCode.ERROR]: 'ERROR' };

/** One trace's spans (of one trace id) in Jaeger's model. */
export function toJaegerTrace(spans: readonly SpanRecord[], options: JaegerOptions = {}): JaegerTrace {
  const processes = new ProcessTable(options);
  const jaegerSpans = spans.map((span) => toJaegerSpan(span, processes.idOf(span.resource), options));
  return {
    traceID: spans.length > 0 ? jaegerTraceId(spans[0]!.traceId) : '',
    spans: jaegerSpans,
    processes: processes.processes,
    warnings: null,
  };
}

/** Spans of any traces, one Jaeger trace per trace id, in order of first appearance (`POST /api/transform`). */
export function toJaegerTraces(spans: readonly SpanRecord[], options: JaegerOptions = {}): JaegerTrace[] {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    const group = byTrace.get(span.traceId);
    if (group === undefined) byTrace.set(span.traceId, [span]);
    else group.push(span);
  }
  return [...byTrace.values()].map((group) => toJaegerTrace(group, options));
}

/** Microseconds from Unix nanoseconds (Jaeger truncates). */
export function microseconds(nanos: bigint): number {
  return Number(nanos / 1000n);
}

function toJaegerSpan(span: SpanRecord, processID: string, options: JaegerOptions): JaegerSpan {
  const traceID = jaegerTraceId(span.traceId);
  return {
    traceID,
    spanID: span.spanId,
    operationName: span.name,
    references: references(span, traceID),
    startTime: microseconds(span.startTimeUnixNano),
    duration: microseconds(span.endTimeUnixNano - span.startTimeUnixNano),
    tags: spanTags(span, options),
    logs: span.events.map((event) => toLog(event, options)),
    processID,
    warnings: null,
  };
}

function references(span: SpanRecord, traceID: string): JaegerReference[] {
  const refs: { refType: JaegerReference['refType']; traceID: string; spanID: string }[] = [];
  if (span.parentSpanId !== '') refs.push({ refType: 'CHILD_OF', traceID, spanID: span.parentSpanId });
  for (const link of span.links) {
    const refType = linkRefType(link);
    if (span.parentSpanId !== '' && link.traceId === span.traceId && link.spanId === span.parentSpanId) {
      refs[0]!.refType = refType;
      continue;
    }
    refs.push({ refType, traceID: jaegerTraceId(link.traceId), spanID: link.spanId });
  }
  return refs;
}

function linkRefType(link: LinkRecord): JaegerReference['refType'] {
  const refType = link.attributes.find((attribute) => attribute.key === 'opentracing.ref_type')?.value;
  return refType === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
}

function spanTags(span: SpanRecord, options: JaegerOptions): JaegerKeyValue[] {
  const tags: JaegerKeyValue[] = [];
  if (span.scope.name !== '') tags.push(stringTag('otel.scope.name', span.scope.name));
  if (span.scope.version !== '') tags.push(stringTag('otel.scope.version', span.scope.version));
  tags.push(...keyValues(span.attributes, options));
  const kind = kindName(span.kind);
  if (kind !== '') tags.push(stringTag('span.kind', kind));
  const status = STATUS_NAMES[span.statusCode];
  if (status !== undefined) tags.push(stringTag('otel.status_code', status));
  if (span.statusCode === StatusCode.ERROR) tags.push({ key: 'error', type: 'bool', value: true });
  if (span.statusMessage !== '') tags.push(stringTag('otel.status_description', span.statusMessage));
  if (span.traceState !== '') tags.push(stringTag('w3c.tracestate', span.traceState));
  return tags;
}

function toLog(event: EventRecord, options: JaegerOptions): JaegerLog {
  const fields: JaegerKeyValue[] = [];
  if (event.name !== '' && !event.attributes.some((attribute) => attribute.key === 'event')) {
    fields.push(stringTag('event', event.name));
  }
  fields.push(...keyValues(event.attributes, options));
  return { timestamp: microseconds(event.timeUnixNano), fields };
}

function stringTag(key: string, value: string): JaegerKeyValue {
  return { key, type: 'string', value };
}

/** Attributes as Jaeger tags, sorted by key unless `raw`. */
export function keyValues(attributes: readonly Attribute[], options: JaegerOptions = {}): JaegerKeyValue[] {
  const ordered = options.raw === true ? attributes : [...attributes].sort(byKey);
  return ordered.map((attribute) => keyValue(attribute.key, attribute.value));
}

function byKey(a: Attribute, b: Attribute): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function keyValue(key: string, value: AttributeValue): JaegerKeyValue {
  if (typeof value === 'string') return { key, type: 'string', value };
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') return { key, type: 'float64', value };
  if (typeof value === 'bigint') {
    const safe = value <= MAX_SAFE && value >= -MAX_SAFE;
    return { key, type: 'int64', value: safe ? Number(value) : value.toString() };
  }
  if (value instanceof Uint8Array) return { key, type: 'binary', value: base64(value) };
  return { key, type: 'string', value: value === null ? '' : JSON.stringify(plain(value)) };
}

/** A nested value as the collector's `AsString` writes it: maps and arrays as JSON, bytes as base64. */
function plain(value: AttributeValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
    return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return base64(value);
  if ('array' in value) return value.array.map(plain);
  return Object.fromEntries(value.kvlist.map((attribute) => [attribute.key, plain(attribute.value)]));
}

/** Base64 without Node's Buffer, so the page can bundle this module. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Processes by content: one id per distinct (service name, tags). */
class ProcessTable {
  readonly processes: Record<string, JaegerProcess> = {};
  readonly #ids = new Map<ResourceRecord | string, string>();
  readonly #options: JaegerOptions;

  constructor(options: JaegerOptions) {
    this.#options = options;
  }

  idOf(resource: ResourceRecord): string {
    const known = this.#ids.get(resource);
    if (known !== undefined) return known;
    const process = toProcess(resource, this.#options);
    const content = JSON.stringify(process);
    let id = this.#ids.get(content);
    if (id === undefined) {
      id = `p${Object.keys(this.processes).length + 1}`;
      this.processes[id] = process;
      this.#ids.set(content, id);
    }
    this.#ids.set(resource, id);
    return id;
  }
}

function toProcess(resource: ResourceRecord, options: JaegerOptions): JaegerProcess {
  if (resource.attributes.length === 0) return { serviceName: NO_SERVICE_NAME, tags: [] };
  const others = resource.attributes.filter((attribute) => attribute.key !== 'service.name');
  return { serviceName: resource.serviceName, tags: keyValues(others, options) };
}
