/**
 * Jaeger's `/api/v3` HTTP gateway, the routes current Jaeger UI releases call: services, operations, a trace by id,
 * trace search and trace summaries, answered in OTLP's JSON with the gateway's parameter names (the current
 * lowerCamelCase ones and the older snake_case ones), RFC 3339 times and error bodies.
 *
 * @module
 */

import { type SpanRecord, StatusCode } from '../span-record.ts';
import type { TraceQuery } from '../store/trace-store.ts';
import { goQuote, type Parsed, parseGoBool, parseGoDuration, parseGoStringMap, parseTraceId } from './go-parse.ts';
import { toOtlpJson } from './otlp-json.ts';
import type { ApiRequest } from './request.ts';
import { type ApiResponse, gatewayError, json } from './respond.ts';
import { kindName, operationsOfKind } from './span-kinds.ts';

const DEFAULT_SEARCH_DEPTH = 100;

/** A parameter under its current name, else its older name; with the name the value came from. */
function param(params: URLSearchParams, name: string, older: string): [value: string, name: string] {
  const value = params.get(name) ?? '';
  return value !== '' ? [value, name] : [params.get(older) ?? '', older];
}

const malformed = (name: string, error: string): { ok: false; error: string } => ({
  ok: false,
  error: `malformed parameter ${name}: ${error}`,
});

/** `GET /api/v3/services`. */
export function services({ store }: ApiRequest): ApiResponse {
  return json({ services: store.services() });
}

/** `GET /api/v3/operations?service=&spanKind=` (or `span_kind`); an operation of no kind is `internal`. */
export function operations({ store, url }: ApiRequest): ApiResponse {
  const [spanKind] = param(url.searchParams, 'spanKind', 'span_kind');
  const found = operationsOfKind(store, url.searchParams.get('service') ?? '', spanKind);
  return json({ operations: found.map((op) => ({ name: op.name, spanKind: kindName(op.kind) || 'internal' })) });
}

/** `GET /api/v3/traces/{trace_id}?startTime=&endTime=&rawTraces=`. */
export function getTrace({ store, url, params }: ApiRequest): ApiResponse {
  const id = parseTraceId(params['trace_id']!);
  if (!id.ok) return gatewayError(400, malformed('trace_id', id.error).error);
  for (const [name, older] of [
    ['startTime', 'start_time'],
    ['endTime', 'end_time'],
  ] as const) {
    const [text, used] = param(url.searchParams, name, older);
    if (text === '') continue;
    const time = parseRfc3339(text);
    if (!time.ok) return gatewayError(400, malformed(used, time.error).error);
  }
  const [rawText, rawName] = param(url.searchParams, 'rawTraces', 'raw_traces');
  const raw = rawText === '' ? { ok: true as const, value: false } : parseGoBool(rawText);
  if (!raw.ok) return gatewayError(400, malformed(rawName, raw.error).error);
  const spans = store.trace(id.value);
  return traces(spans === undefined || spans.length === 0 ? [] : [spans], raw.value);
}

/** `GET /api/v3/traces?query.*`: the matching traces' spans, all in one `TracesData`. */
export function findTraces({ store, url }: ApiRequest): ApiResponse {
  const parsed = parseFindQuery(url.searchParams);
  if (!parsed.ok) return gatewayError(400, parsed.error);
  return traces(store.search(parsed.value.query), parsed.value.raw);
}

/** `GET /api/v3/trace-summaries?query.*`: one summary per matching trace. */
export function findTraceSummaries({ store, url }: ApiRequest): ApiResponse {
  const parsed = parseFindQuery(url.searchParams);
  if (!parsed.ok) return gatewayError(400, parsed.error);
  return json({ summaries: store.search(parsed.value.query).map(summarize) });
}

function traces(found: readonly (readonly SpanRecord[])[], raw: boolean): ApiResponse {
  if (found.length === 0) return gatewayError(404, 'No traces found');
  return json({ result: toOtlpJson(found.flat(), { sort: !raw }) });
}

/** A trace summary as the gateway writes it (zero counts left out). */
export function summarize(spans: readonly SpanRecord[]): Record<string, unknown> {
  const ids = new Set(spans.map((span) => span.spanId));
  const services = new Map<string, { spanCount: number; errorSpanCount: number }>();
  let root: SpanRecord | undefined;
  let minStart: bigint | undefined;
  let maxEnd: bigint | undefined;
  let errors = 0;
  let orphans = 0;
  for (const span of spans) {
    const name = span.resource.serviceName;
    let service = services.get(name);
    if (service === undefined) services.set(name, (service = { spanCount: 0, errorSpanCount: 0 }));
    service.spanCount++;
    if (span.statusCode === StatusCode.ERROR) {
      service.errorSpanCount++;
      errors++;
    }
    if (minStart === undefined || span.startTimeUnixNano < minStart) minStart = span.startTimeUnixNano;
    if (maxEnd === undefined || span.endTimeUnixNano > maxEnd) maxEnd = span.endTimeUnixNano;
    if (span.parentSpanId === '') {
      if (root === undefined || span.startTimeUnixNano < root.startTimeUnixNano) root = span;
    } else if (!ids.has(span.parentSpanId)) orphans++;
  }
  const summary: Record<string, unknown> = { traceId: spans[0]?.traceId ?? '' };
  if (root !== undefined && root.resource.serviceName !== '') summary.rootServiceName = root.resource.serviceName;
  if (root !== undefined && root.name !== '') summary.rootOperationName = root.name;
  if (minStart !== undefined) summary.minStartTimeUnixNano = minStart.toString();
  if (maxEnd !== undefined) summary.maxEndTimeUnixNano = maxEnd.toString();
  summary.spanCount = spans.length;
  if (errors > 0) summary.errorSpanCount = errors;
  if (orphans > 0) summary.orphanSpanCount = orphans;
  summary.services = [...services]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, counts]) => ({
      name,
      spanCount: counts.spanCount,
      ...(counts.errorSpanCount > 0 ? { errorSpanCount: counts.errorSpanCount } : {}),
    }));
  return summary;
}

/** The `query.*` parameters of a v3 search, checked in the gateway's order. */
function parseFindQuery(params: URLSearchParams): Parsed<{ query: TraceQuery; raw: boolean }> {
  const [service] = param(params, 'query.serviceName', 'query.service_name');
  const [operation] = param(params, 'query.operationName', 'query.operation_name');
  let tags: [string, string][] = [];
  const attributes = params.get('query.attributes') ?? '';
  if (attributes !== '') {
    const parsed = parseGoStringMap(attributes);
    if (!parsed.ok) return malformed('query.attributes', parsed.error);
    tags = Object.entries(parsed.value);
  }
  const [minText, minName] = param(params, 'query.startTimeMin', 'query.start_time_min');
  const [maxText, maxName] = param(params, 'query.startTimeMax', 'query.start_time_max');
  if (minText === '' || maxText === '')
    return { ok: false, error: 'query.startTimeMin and query.startTimeMax are required' };
  const min = parseRfc3339(minText);
  if (!min.ok) return malformed(minName, min.error);
  const max = parseRfc3339(maxText);
  if (!max.ok) return malformed(maxName, max.error);
  if (!(min.value < max.value)) return { ok: false, error: 'query.startTimeMin must be before query.startTimeMax' };
  let [depthText, depthName] = param(params, 'query.searchDepth', 'query.search_depth');
  if (depthText === '') [depthText, depthName] = [params.get('query.num_traces') ?? '', 'query.num_traces'];
  let limit = DEFAULT_SEARCH_DEPTH;
  if (depthText !== '') {
    if (!/^[+-]?[0-9]+$/.test(depthText))
      return malformed(depthName, `strconv.Atoi: parsing ${goQuote(depthText)}: invalid syntax`);
    limit = Number(depthText) > 0 ? Number(depthText) : DEFAULT_SEARCH_DEPTH;
  }
  const durations: number[] = [];
  for (const [name, older] of [
    ['query.durationMin', 'query.duration_min'],
    ['query.durationMax', 'query.duration_max'],
  ] as const) {
    const [text, used] = param(params, name, older);
    const parsed = text === '' ? { ok: true as const, value: 0 } : parseGoDuration(text);
    if (!parsed.ok) return malformed(used, parsed.error);
    durations.push(parsed.value);
  }
  const [rawText, rawName] = param(params, 'query.rawTraces', 'query.raw_traces');
  const raw = rawText === '' ? { ok: true as const, value: false } : parseGoBool(rawText);
  if (!raw.ok) return malformed(rawName, raw.error);
  const [minDuration, maxDuration] = durations as [number, number];
  const query: TraceQuery = {
    ...(service === '' ? {} : { service }),
    ...(operation === '' ? {} : { operation }),
    ...(tags.length === 0 ? {} : { tags }),
    startMinUs: min.value,
    startMaxUs: max.value,
    ...(minDuration === 0 ? {} : { minDurationUs: minDuration / 1000 }),
    ...(maxDuration === 0 ? {} : { maxDurationUs: maxDuration / 1000 }),
    limit,
  };
  return { ok: true, value: { query, raw: raw.value } };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Go's `time.Parse(time.RFC3339Nano, text)`, in microseconds since the epoch. */
export function parseRfc3339(text: string): Parsed<number> {
  const match = RFC3339.exec(text);
  const seconds = match === null ? NaN : Date.parse(`${match[1]}${match[3]}`);
  if (match === null || Number.isNaN(seconds)) {
    return {
      ok: false,
      error: `parsing time ${goQuote(text)} as "2006-01-02T15:04:05.999999999Z07:00": cannot parse ${goQuote(text)} as "2006"`,
    };
  }
  const fraction = Number(`0.${match[2] ?? '0'}`);
  return { ok: true, value: seconds * 1000 + fraction * 1e6 };
}
