/**
 * Jaeger's v1 JSON API (the routes Jaeger UI up to 2.14 and Grafana's Jaeger data source call), answered from the
 * trace store with Jaeger's envelope, units and error bodies.
 *
 * @module
 */

import { decodeOtlpJsonText } from '../otlp/decode-json.ts';
import type { SpanRecord } from '../span-record.ts';
import type { TraceQuery } from '../store/trace-store.ts';
import { jaegerTraceId } from '../trace-ids.ts';
import { type Parsed, parseGoBool, parseGoDuration, parseGoInt, parseGoStringMap, parseTraceId } from './go-parse.ts';
import { type JaegerTrace, toJaegerTrace, toJaegerTraces } from './jaeger-json.ts';
import type { ApiRequest } from './request.ts';
import { type ApiResponse, envelope, jaegerError, type StructuredError } from './respond.ts';
import { kindName, operationsOfKind } from './span-kinds.ts';

/** `GET /api/services`: every service name; `total` is their count. */
export function services({ store, url }: ApiRequest): ApiResponse {
  const names = store.services();
  return envelope(names, url, { total: names.length });
}

/** `GET /api/services/{service}/operations`: the service's operation names, of every span kind, once each. */
export function serviceOperations({ store, url, params }: ApiRequest): ApiResponse {
  const names = [...new Set(store.operations(params['service']!).map((operation) => operation.name))];
  return envelope(names, url, { total: names.length });
}

/** `GET /api/operations?service=&spanKind=`: the service's operations with their kinds, of one kind or all. */
export function operations({ store, url }: ApiRequest): ApiResponse {
  const service = url.searchParams.get('service') ?? '';
  if (service === '') return jaegerError(400, "parameter 'service' is required");
  const data = operationsOfKind(store, service, url.searchParams.get('spanKind') ?? '').map((operation) => ({
    name: operation.name,
    spanKind: kindName(operation.kind),
  }));
  return envelope(data, url, { total: data.length });
}

/** Jaeger's defaults: a search looks 48 h back and returns at most 100 traces; dependencies look back 24 h. */
const SEARCH_LOOKBACK_US = 48 * 3600 * 1e6;
const DEFAULT_LIMIT = 100;
const DEPENDENCY_LOOKBACK_MS = 24 * 3600 * 1e3;

/** `GET /api/traces`: a search, or the traces of the `traceID` parameters (misses reported in `errors`). */
export function searchTraces({ store, url, nowMs }: ApiRequest): ApiResponse {
  const parsed = parseSearch(url, nowMs);
  if (!parsed.ok) return jaegerError(400, parsed.error);
  const { query, traceIds, raw } = parsed.value;
  if (traceIds.length > 0) {
    const errors: StructuredError[] = [];
    const traces: JaegerTrace[] = [];
    for (const traceId of traceIds) {
      const spans = store.trace(traceId);
      if (spans === undefined || spans.length === 0)
        errors.push({ msg: TRACE_NOT_FOUND, traceID: jaegerTraceId(traceId) });
      else traces.push(toJaegerTrace(spans, { raw }));
    }
    return envelope(traces, url, { errors: errors.length > 0 ? errors : null });
  }
  return envelope(
    store.search(query).map((spans) => toJaegerTrace(spans, { raw })),
    url,
  );
}

const TRACE_NOT_FOUND = 'trace not found';

interface SearchRequest {
  readonly query: TraceQuery;
  readonly traceIds: readonly string[];
  readonly raw: boolean;
}

/** Reads the search parameters in Jaeger's order, so that the first bad one is the one reported. */
function parseSearch(url: URL, nowMs: number): Parsed<SearchRequest> {
  const params = url.searchParams;
  const nowUs = nowMs * 1000;
  const start = microsParam(params, 'start', nowUs - SEARCH_LOOKBACK_US);
  if (!start.ok) return start;
  const end = microsParam(params, 'end', nowUs);
  if (!end.ok) return end;
  const tags = parseTags(params.getAll('tag'), params.getAll('tags'));
  if (!tags.ok) return tags;
  let limit = DEFAULT_LIMIT;
  const limitText = params.get('limit') ?? '';
  if (limitText !== '') {
    const parsed = parseGoInt(limitText, 32);
    if (!parsed.ok) return parsed;
    limit = parsed.value > 0 ? parsed.value : DEFAULT_LIMIT;
  }
  const minDuration = durationParam(params, 'minDuration');
  if (!minDuration.ok) return minDuration;
  const maxDuration = durationParam(params, 'maxDuration');
  if (!maxDuration.ok) return maxDuration;
  const traceIds: string[] = [];
  for (const text of params.getAll('traceID')) {
    const id = parseTraceId(text);
    if (!id.ok) return { ok: false, error: `cannot parse traceID param: ${id.error}` };
    traceIds.push(id.value);
  }
  const raw = boolParam(params, 'raw');
  if (!raw.ok) return raw;
  const service = params.get('service') ?? '';
  if (traceIds.length === 0 && service === '') return { ok: false, error: "parameter 'service' is required" };
  if (minDuration.value !== 0 && maxDuration.value !== 0 && maxDuration.value < minDuration.value) {
    return { ok: false, error: "'maxDuration' should be greater than 'minDuration'" };
  }
  const operation = params.get('operation') ?? '';
  const query: TraceQuery = {
    service,
    ...(operation === '' ? {} : { operation }),
    ...(tags.value.length === 0 ? {} : { tags: tags.value }),
    startMinUs: start.value,
    startMaxUs: end.value,
    ...(minDuration.value === 0 ? {} : { minDurationUs: minDuration.value / 1000 }),
    ...(maxDuration.value === 0 ? {} : { maxDurationUs: maxDuration.value / 1000 }),
    limit,
  };
  return { ok: true, value: { query, traceIds, raw: raw.value } };
}

/** `tag=key:value` (split at the first colon) then `tags={json}`; a later value of a key wins, as in Go's map. */
function parseTags(simple: readonly string[], json: readonly string[]): Parsed<[string, string][]> {
  const tags = new Map<string, string>();
  for (const tag of simple) {
    const colon = tag.indexOf(':');
    if (colon < 0) return { ok: false, error: `malformed 'tag' parameter, expecting key:value, received: ${tag}` };
    tags.set(tag.slice(0, colon), tag.slice(colon + 1));
  }
  for (const text of json) {
    const parsed = parseGoStringMap(text);
    if (!parsed.ok) return { ok: false, error: `malformed 'tags' parameter, cannot unmarshal JSON: ${parsed.error}` };
    for (const [key, value] of Object.entries(parsed.value)) tags.set(key, value);
  }
  return { ok: true, value: [...tags] };
}

function paramError(name: string, error: string): { ok: false; error: string } {
  return { ok: false, error: `unable to parse param '${name}': ${error}` };
}

/** An integer parameter in `unitUs` microseconds, or `fallback` when absent. */
function microsParam(params: URLSearchParams, name: string, fallback: number, unitUs = 1): Parsed<number> {
  const text = params.get(name) ?? '';
  if (text === '') return { ok: true, value: fallback };
  const parsed = parseGoInt(text);
  return parsed.ok ? { ok: true, value: parsed.value * unitUs } : paramError(name, parsed.error);
}

/** A Go duration parameter in nanoseconds, 0 when absent. */
function durationParam(params: URLSearchParams, name: string): Parsed<number> {
  const text = params.get(name) ?? '';
  if (text === '') return { ok: true, value: 0 };
  const parsed = parseGoDuration(text);
  return parsed.ok ? parsed : paramError(name, parsed.error);
}

function boolParam(params: URLSearchParams, name: string): Parsed<boolean> {
  const text = params.get(name) ?? '';
  if (text === '') return { ok: true, value: false };
  const parsed = parseGoBool(text);
  return parsed.ok ? parsed : paramError(name, parsed.error);
}

/** `GET /api/traces/{traceID}`: one trace, as an array of one; 404 `trace not found`. */
export function getTrace({ store, url, params }: ApiRequest): ApiResponse {
  const id = parseTraceId(params['traceID']!);
  if (!id.ok) return jaegerError(400, id.error);
  for (const name of ['start', 'end']) {
    const time = microsParam(url.searchParams, name, 0);
    if (!time.ok) return jaegerError(400, time.error);
  }
  const raw = boolParam(url.searchParams, 'raw');
  if (!raw.ok) return jaegerError(400, raw.error);
  const spans = store.trace(id.value);
  if (spans === undefined || spans.length === 0) return jaegerError(404, TRACE_NOT_FOUND);
  return envelope([toJaegerTrace(spans, { raw: raw.value })], url);
}

/** `POST /api/transform`: an OTLP/JSON export in Jaeger's model, one trace per trace id. */
export function transform({ url, body }: ApiRequest): ApiResponse {
  let decoded: SpanRecord[];
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body ?? new Uint8Array());
    decoded = decodeExports(text);
  } catch (error) {
    return jaegerError(400, error instanceof Error ? error.message : String(error));
  }
  return envelope(toJaegerTraces(decoded), url);
}

/** One OTLP/JSON export, or JSON Lines of them (one export per line, as files of the OTLP file exporter). */
function decodeExports(text: string): SpanRecord[] {
  try {
    return [...decodeOtlpJsonText(text).spans];
  } catch (error) {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length <= 1) throw error;
    return lines.flatMap((line) => decodeOtlpJsonText(line).spans);
  }
}

/**
 * `GET /api/dependencies?endTs=&lookback=&service=`: calls between services, counted from the spans (started in
 * the window) whose parent, in the same trace, belongs to another service.
 */
export function dependencies({ store, url, nowMs }: ApiRequest): ApiResponse {
  const end = microsParam(url.searchParams, 'endTs', nowMs * 1000, 1000);
  if (!end.ok) return jaegerError(400, end.error);
  const lookbackText = url.searchParams.get('lookback') ?? '';
  const lookback =
    lookbackText === '' ? { ok: true as const, value: DEPENDENCY_LOOKBACK_MS } : parseGoInt(lookbackText);
  if (!lookback.ok) return jaegerError(400, paramError('lookback', lookback.error).error);
  const service = url.searchParams.get('service') ?? '';
  const traces = store.search({
    startMinUs: end.value - lookback.value * 1000,
    startMaxUs: end.value,
    limit: Number.MAX_SAFE_INTEGER,
  });
  const links = serviceCalls(traces).filter(
    (link) => service === '' || link.parent === service || link.child === service,
  );
  return envelope(links, url);
}

/** A dependency link: `parent` called `child` `callCount` times. */
export interface DependencyLink {
  readonly parent: string;
  readonly child: string;
  readonly callCount: number;
}

/** The parent→child service calls of some traces, sorted by parent then child. */
export function serviceCalls(traces: readonly (readonly SpanRecord[])[]): DependencyLink[] {
  const counts = new Map<string, DependencyLink & { callCount: number }>();
  for (const spans of traces) {
    const serviceOf = new Map(spans.map((span) => [span.spanId, span.resource.serviceName]));
    for (const span of spans) {
      const parent = span.parentSpanId === '' ? undefined : serviceOf.get(span.parentSpanId);
      const child = span.resource.serviceName;
      if (parent === undefined || parent === child) continue;
      const key = JSON.stringify([parent, child]);
      const link = counts.get(key);
      if (link === undefined) counts.set(key, { parent, child, callCount: 1 });
      else link.callCount++;
    }
  }
  return [...counts.values()].sort((a, b) => compare(a.parent, b.parent) || compare(a.child, b.child));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
