/**
 * The viewer page's trace model, and its conversions: from Jaeger's JSON (`/api/traces`, `{data:[Trace]}` files),
 * from OTLP JSON (`{resourceSpans}` files, `/api/v3`), and back to OTLP JSON for downloads. Pure (no DOM), so the
 * conversions and the critical path are tested under Node.
 *
 * @module
 */

import type { PhaseSpan } from '../phases.ts';

/** An attribute as the page shows it; `type` keeps Jaeger's / OTLP's type for the OTLP download. */
export interface KeyValue {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly type: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
}

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal' | '';

export interface SpanEvent {
  /** Microseconds since the epoch. */
  readonly timeUs: number;
  readonly name: string;
  readonly attributes: readonly KeyValue[];
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: readonly KeyValue[];
}

export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root (or a span whose parent is not in the trace: see {@link Span.orphan}). */
  parentId: string;
  readonly name: string;
  readonly service: string;
  readonly kind: SpanKindName;
  readonly startUs: number;
  readonly durationUs: number;
  /** OTLP status: 'ERROR', 'OK' or '' (unset). */
  readonly status: 'ERROR' | 'OK' | '';
  readonly statusMessage: string;
  readonly attributes: readonly KeyValue[];
  readonly resource: readonly KeyValue[];
  readonly scope: { readonly name: string; readonly version: string };
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  /** Set by {@link buildTrace}: nesting depth, children by start time, parent missing from the trace. */
  depth: number;
  children: Span[];
  orphan: boolean;
}

export interface Trace {
  readonly traceId: string;
  /** Depth-first, children by start time: the waterfall's order. */
  readonly spans: readonly Span[];
  readonly roots: readonly Span[];
  readonly startUs: number;
  readonly endUs: number;
  readonly durationUs: number;
  /** Span count per service, in order of first appearance. */
  readonly services: ReadonlyMap<string, number>;
  readonly errors: number;
  /** The root span's service and operation (Jaeger's trace title). */
  readonly rootService: string;
  readonly rootName: string;
  readonly maxDepth: number;
}

const KINDS: readonly SpanKindName[] = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

/** Orders the spans as a tree and computes the trace's summary. Spans whose parent is absent become roots. */
export function buildTrace(traceId: string, input: readonly Span[]): Trace {
  const byId = new Map<string, Span>();
  for (const span of input) byId.set(span.spanId, span);
  const roots: Span[] = [];
  for (const span of byId.values()) {
    span.children = [];
    span.orphan = false;
  }
  for (const span of byId.values()) {
    const parent = span.parentId === '' ? undefined : byId.get(span.parentId);
    if (parent && parent !== span) parent.children.push(span);
    else {
      span.orphan = span.parentId !== '';
      roots.push(span);
    }
  }
  const byStart = (a: Span, b: Span): number => a.startUs - b.startUs || a.spanId.localeCompare(b.spanId);
  roots.sort(byStart);
  const spans: Span[] = [];
  let maxDepth = 0;
  const visit = (span: Span, depth: number): void => {
    span.depth = depth;
    maxDepth = Math.max(maxDepth, depth);
    spans.push(span);
    span.children.sort(byStart);
    for (const child of span.children) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  let startUs = Infinity;
  let endUs = -Infinity;
  const services = new Map<string, number>();
  let errors = 0;
  for (const span of spans) {
    startUs = Math.min(startUs, span.startUs);
    endUs = Math.max(endUs, span.startUs + span.durationUs);
    services.set(span.service, (services.get(span.service) ?? 0) + 1);
    if (span.status === 'ERROR') errors++;
  }
  if (spans.length === 0) startUs = endUs = 0;
  const root = roots.find((r) => !r.orphan) ?? roots[0];
  return {
    traceId,
    spans,
    roots,
    startUs,
    endUs,
    durationUs: endUs - startUs,
    services,
    errors,
    rootService: root?.service ?? '',
    rootName: root?.name ?? '',
    maxDepth,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Jaeger JSON

interface JaegerKeyValue {
  key: string;
  type?: string;
  value: unknown;
}
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags?: JaegerKeyValue[] | null;
  logs?: { timestamp: number; fields?: JaegerKeyValue[] | null }[] | null;
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerKeyValue[] | null }>;
  warnings?: string[] | null;
}

/** Tags Jaeger derives from OTLP fields; the page shows them as the fields they came from. */
const DERIVED_TAGS = new Set([
  'span.kind',
  'otel.status_code',
  'otel.status_description',
  'error',
  'otel.scope.name',
  'otel.scope.version',
]);

function jaegerKeyValue(kv: JaegerKeyValue): KeyValue {
  const type = (['string', 'bool', 'int64', 'float64', 'binary'] as const).find((t) => t === kv.type) ?? 'string';
  const value = kv.value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { key: kv.key, value, type };
  return { key: kv.key, value: JSON.stringify(value), type: 'string' };
}

/** Trace id as 32 hex digits (Jaeger drops the leading zeros of 64-bit ids). */
export function normalizeTraceId(id: string): string {
  return id.toLowerCase().padStart(32, '0');
}

/** A Jaeger `Trace` as the page's model. Links are the references other than the span's parent. */
export function fromJaeger(trace: JaegerTrace): Trace {
  const traceId = normalizeTraceId(trace.traceID);
  const inTrace = new Set(trace.spans.map((s) => s.spanID));
  const spans = trace.spans.map((s): Span => {
    const tags = (s.tags ?? []).map(jaegerKeyValue);
    const tag = (key: string): KeyValue | undefined => tags.find((t) => t.key === key);
    const references = s.references ?? [];
    // As Jaeger UI: the parent is a reference to a span of this trace (CHILD_OF first); a CHILD_OF to a span not
    // here still names the missing parent.
    const parentRef =
      references.find((r) => r.refType === 'CHILD_OF' && inTrace.has(r.spanID)) ??
      references.find((r) => inTrace.has(r.spanID)) ??
      references.find((r) => r.refType === 'CHILD_OF');
    const process = trace.processes[s.processID];
    const statusCode = tag('otel.status_code')?.value;
    const isError = statusCode === 'ERROR' || tag('error')?.value === true || tag('error')?.value === 'true';
    return {
      traceId: normalizeTraceId(s.traceID),
      spanId: s.spanID,
      parentId: parentRef ? parentRef.spanID : '',
      name: s.operationName,
      service: process?.serviceName ?? 'unknown-service',
      kind: KINDS.find((k) => k !== '' && k === tag('span.kind')?.value) ?? '',
      startUs: s.startTime,
      durationUs: s.duration,
      status: isError ? 'ERROR' : statusCode === 'OK' ? 'OK' : '',
      statusMessage: String(tag('otel.status_description')?.value ?? ''),
      attributes: tags.filter((t) => !DERIVED_TAGS.has(t.key)),
      resource: [
        { key: 'service.name', value: process?.serviceName ?? '', type: 'string' as const },
        ...(process?.tags ?? []).map(jaegerKeyValue),
      ],
      scope: {
        name: String(tag('otel.scope.name')?.value ?? ''),
        version: String(tag('otel.scope.version')?.value ?? ''),
      },
      events: (s.logs ?? []).map((log) => {
        const fields = (log.fields ?? []).map(jaegerKeyValue);
        const name = fields.find((f) => f.key === 'event');
        return {
          timeUs: log.timestamp,
          name: name ? String(name.value) : '',
          attributes: fields.filter((f) => f !== name),
        };
      }),
      links: references
        .filter((r) => r !== parentRef)
        .map((r) => ({ traceId: normalizeTraceId(r.traceID), spanId: r.spanID, attributes: [] })),
      depth: 0,
      children: [],
      orphan: false,
    };
  });
  return buildTrace(traceId, spans);
}

// ---------------------------------------------------------------------------------------------------------------
// OTLP JSON (the protobuf JSON mapping: hex ids, times as decimal strings of nanoseconds)

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind?: number | string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  events?: { timeUnixNano: string | number; name: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string; traceState?: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
export interface OtlpTraces {
  resourceSpans: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
  }[];
}

function plainValue(v: OtlpAnyValue | undefined): unknown {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plainValue);
  if (v.kvlistValue)
    return Object.fromEntries((v.kvlistValue.values ?? []).map((kv) => [kv.key, plainValue(kv.value)]));
  return null;
}

function otlpKeyValue(kv: OtlpKeyValue): KeyValue {
  const v = kv.value ?? {};
  if (v.stringValue !== undefined) return { key: kv.key, value: v.stringValue, type: 'string' };
  if (v.boolValue !== undefined) return { key: kv.key, value: v.boolValue, type: 'bool' };
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return { key: kv.key, value: Number.isSafeInteger(n) ? n : String(v.intValue), type: 'int64' };
  }
  if (v.doubleValue !== undefined) return { key: kv.key, value: Number(v.doubleValue), type: 'float64' };
  if (v.bytesValue !== undefined) return { key: kv.key, value: v.bytesValue, type: 'binary' };
  return { key: kv.key, value: JSON.stringify(plainValue(v)), type: 'string' };
}

const nsToUs = (ns: string | number): number => Number(BigInt(ns) / 1000n);

const OTLP_KINDS: Record<string, SpanKindName> = {
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};

function otlpKind(kind: number | string | undefined): SpanKindName {
  if (typeof kind === 'number') return KINDS[kind] ?? '';
  return OTLP_KINDS[kind ?? ''] ?? '';
}

function otlpStatus(code: number | string | undefined): Span['status'] {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'ERROR';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'OK';
  return '';
}

/** OTLP JSON's ids are hex; a file written by a protobuf-JSON encoder that used base64 is read too. */
function otlpId(id: string | undefined, hexDigits: number): string {
  if (!id) return '';
  if (/^[0-9a-f]+$/i.test(id) && id.length === hexDigits) return id.toLowerCase();
  try {
    const bytes = atob(id);
    if (bytes.length * 2 === hexDigits) {
      return Array.from(bytes, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
    }
  } catch {
    // not base64 either: keep it as given
  }
  return id.toLowerCase();
}

/** OTLP JSON (one `ExportTraceServiceRequest`) as the page's traces, one per trace id, in order of appearance. */
export function fromOtlp(otlp: OtlpTraces): Trace[] {
  const byTrace = new Map<string, Span[]>();
  for (const rs of otlp.resourceSpans ?? []) {
    const resource = (rs.resource?.attributes ?? []).map(otlpKeyValue);
    const service = String(resource.find((kv) => kv.key === 'service.name')?.value ?? 'unknown-service');
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        const traceId = otlpId(s.traceId, 32);
        const startUs = nsToUs(s.startTimeUnixNano);
        const span: Span = {
          traceId,
          spanId: otlpId(s.spanId, 16),
          parentId: otlpId(s.parentSpanId, 16),
          name: s.name,
          service,
          kind: otlpKind(s.kind),
          startUs,
          durationUs: nsToUs(s.endTimeUnixNano) - startUs,
          status: otlpStatus(s.status?.code),
          statusMessage: s.status?.message ?? '',
          attributes: (s.attributes ?? []).map(otlpKeyValue),
          resource,
          scope,
          events: (s.events ?? []).map((e) => ({
            timeUs: nsToUs(e.timeUnixNano),
            name: e.name,
            attributes: (e.attributes ?? []).map(otlpKeyValue),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: otlpId(l.traceId, 32),
            spanId: otlpId(l.spanId, 16),
            attributes: (l.attributes ?? []).map(otlpKeyValue),
          })),
          depth: 0,
          children: [],
          orphan: false,
        };
        let list = byTrace.get(traceId);
        if (!list) byTrace.set(traceId, (list = []));
        list.push(span);
      }
    }
  }
  return [...byTrace].map(([traceId, spans]) => buildTrace(traceId, spans));
}

function toOtlpValue(kv: KeyValue): OtlpAnyValue {
  switch (kv.type) {
    case 'bool':
      return { boolValue: kv.value === true || kv.value === 'true' };
    case 'int64':
      return { intValue: String(kv.value) };
    case 'float64':
      return { doubleValue: Number(kv.value) };
    case 'binary':
      return { bytesValue: String(kv.value) };
    default:
      return { stringValue: String(kv.value) };
  }
}

const toOtlpAttributes = (list: readonly KeyValue[]): OtlpKeyValue[] =>
  list.map((kv) => ({ key: kv.key, value: toOtlpValue(kv) }));
const usToNs = (us: number): string => (BigInt(Math.round(us)) * 1000n).toString();

/** A trace as OTLP JSON (`{resourceSpans}`): the form `POST /v1/traces` takes and the page opens again. */
export function toOtlp(trace: Trace): OtlpTraces {
  const groups = new Map<
    string,
    { resource: readonly KeyValue[]; scopes: Map<string, { scope: Span['scope']; spans: OtlpSpan[] }> }
  >();
  for (const span of trace.spans) {
    const resourceKey = JSON.stringify(span.resource);
    let group = groups.get(resourceKey);
    if (!group) groups.set(resourceKey, (group = { resource: span.resource, scopes: new Map() }));
    const scopeKey = `${span.scope.name}\u0000${span.scope.version}`;
    let scope = group.scopes.get(scopeKey);
    if (!scope) group.scopes.set(scopeKey, (scope = { scope: span.scope, spans: [] }));
    scope.spans.push({
      traceId: span.traceId,
      spanId: span.spanId,
      ...(span.parentId !== '' ? { parentSpanId: span.parentId } : {}),
      name: span.name,
      kind: Math.max(0, KINDS.indexOf(span.kind)),
      startTimeUnixNano: usToNs(span.startUs),
      endTimeUnixNano: usToNs(span.startUs + span.durationUs),
      attributes: toOtlpAttributes(span.attributes),
      events: span.events.map((e) => ({
        timeUnixNano: usToNs(e.timeUs),
        name: e.name,
        attributes: toOtlpAttributes(e.attributes),
      })),
      links: span.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        attributes: toOtlpAttributes(l.attributes),
      })),
      status: {
        code: span.status === 'ERROR' ? 2 : span.status === 'OK' ? 1 : 0,
        ...(span.statusMessage ? { message: span.statusMessage } : {}),
      },
    });
  }
  return {
    resourceSpans: [...groups.values()].map((g) => ({
      resource: { attributes: toOtlpAttributes(g.resource) },
      scopeSpans: [...g.scopes.values()].map((s) => ({
        scope: { name: s.scope.name, ...(s.scope.version ? { version: s.scope.version } : {}) },
        spans: s.spans,
      })),
    })),
  };
}

/**
 * Reads a trace file: Jaeger's `{data:[Trace]}` (a download of `/api/traces`), a bare Jaeger `Trace` or array of
 * them, OTLP JSON `{resourceSpans}`, or OTLP JSON lines (one export per line, as the Collector's file exporter
 * writes). Throws an Error saying what was expected when it is none of these.
 */
export function parseTraceFile(text: string): Trace[] {
  const trimmed = text.trim();
  let documents: unknown[];
  try {
    documents = [JSON.parse(trimmed)];
  } catch {
    try {
      documents = trimmed
        .split(/\r?\n/)
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line));
    } catch {
      throw new Error('not JSON: expected OTLP JSON ({"resourceSpans": …}) or Jaeger JSON ({"data": [trace…]})');
    }
  }
  const traces = new Map<string, Trace[]>();
  const add = (list: Trace[]): void => {
    for (const t of list) {
      const same = traces.get(t.traceId);
      if (same) same.push(t);
      else traces.set(t.traceId, [t]);
    }
  };
  for (const doc of documents) {
    const d = doc as Record<string, unknown> | unknown[] | null;
    if (Array.isArray(d)) add(d.map((t) => fromJaeger(t as JaegerTrace)));
    else if (d && Array.isArray(d['resourceSpans'])) add(fromOtlp(d as unknown as OtlpTraces));
    else if (
      d &&
      typeof d['result'] === 'object' &&
      d['result'] &&
      Array.isArray((d['result'] as Record<string, unknown>)['resourceSpans'])
    ) {
      add(fromOtlp(d['result'] as OtlpTraces));
    } else if (d && Array.isArray(d['data']))
      add((d['data'] as JaegerTrace[]).filter((t) => t?.traceID).map(fromJaeger));
    else if (d && typeof d['traceID'] === 'string' && Array.isArray(d['spans']))
      add([fromJaeger(d as unknown as JaegerTrace)]);
    else
      throw new Error(
        'unrecognised file: expected OTLP JSON ({"resourceSpans": …}) or Jaeger JSON ({"data": [trace…]})',
      );
  }
  // Spans of one trace spread over several exports (JSON lines) become one trace.
  return [...traces].map(([traceId, parts]) =>
    parts.length === 1
      ? parts[0]!
      : buildTrace(
          traceId,
          parts.flatMap((p) => p.spans),
        ),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Critical path

/** A stretch of time a span spends on the critical path (not waiting on a child that finishes later). */
export interface PathSegment {
  readonly spanId: string;
  readonly startUs: number;
  readonly endUs: number;
}

/**
 * The critical path: walking back from each root's end, the time is the parent's own until the child that
 * finished last (before that point) ends; then it is that child's, recursively, down to the child's start.
 * A consumer span started by a producer does not block its producer, so it is not followed from one.
 */
export function criticalPath(trace: Trace): PathSegment[] {
  const segments: PathSegment[] = [];
  const walk = (span: Span, untilUs: number): void => {
    const spanEnd = span.startUs + span.durationUs;
    let cursor = Math.min(spanEnd, untilUs);
    const children = span.children
      .filter((c) => !(span.kind === 'producer' && c.kind === 'consumer'))
      .sort((a, b) => b.startUs + b.durationUs - (a.startUs + a.durationUs));
    for (const child of children) {
      if (cursor <= span.startUs) break;
      const childEnd = Math.min(child.startUs + child.durationUs, cursor);
      if (child.startUs >= cursor) continue;
      if (childEnd < cursor) segments.push({ spanId: span.spanId, startUs: childEnd, endUs: cursor });
      walk(child, childEnd);
      cursor = Math.max(child.startUs, span.startUs);
    }
    if (cursor > span.startUs) segments.push({ spanId: span.spanId, startUs: span.startUs, endUs: cursor });
  };
  for (const root of trace.roots) walk(root, root.startUs + root.durationUs);
  return segments.sort((a, b) => a.startUs - b.startUs);
}

/** The spans in the form ../phases.ts reads (times back in nanoseconds, from the page's microseconds). */
export function phaseSpans(trace: Trace): PhaseSpan[] {
  const ns = (us: number): bigint => BigInt(Math.round(us)) * 1000n;
  return trace.spans.map((span) => ({
    spanId: span.spanId,
    parentSpanId: span.parentId,
    name: span.name,
    startTimeUnixNano: ns(span.startUs),
    endTimeUnixNano: ns(span.startUs + span.durationUs),
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: ns(e.timeUs) })),
  }));
}
