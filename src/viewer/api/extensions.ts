/**
 * ts-triton's own query routes, for the viewer's page (JSON, no envelope; times in microseconds):
 *
 * - `GET /api/ts-triton/stats` → the store's counters:
 *   `{"spans", "traces", "bytes", "maxSpans", "maxBytes", "evictedTraces", "evictedSpans"}`.
 *   `spans + evictedSpans` only grows: a page polls it to learn that new spans arrived.
 * - `GET /api/ts-triton/rank?service=&operation=&duration=<µs>` → `{"percentile": 0–100, "count"}`: the percent
 *   of the stored spans of that service and operation whose duration is at most `duration`, and how many there are.
 * - `GET /api/ts-triton/traces/{traceID}/ranks` → `{"ranks": {"<spanID>": {"percentile", "count"}}}`: the same for
 *   every span of a trace (404 as Jaeger's `trace not found` when the trace is not stored).
 * - `GET /api/ts-triton/traces/{traceID}/phases` → `{"requests": [RequestPhases]}`: each Triton request of the
 *   trace (an `InferRequest` span) split into phases, as `phases.ts` computes it, with times in µs:
 *   `{"requestSpanID", "modelSpanID", "model", "version", "protocol", "startTime", "total", "other",
 *     "phases": [{"name": "receive"|"queue"|"computeInput"|"infer"|"computeOutput"|"send", "startTime", "duration"}]}`.
 * - `GET /api/ts-triton/models?service=&limit=<traces, default 1000>` → the latency breakdown per model and version
 *   over the most recent `limit` traces (of `service` when given):
 *   `{"traces": <traces read>, "models": [{"model", "version", "requests",
 *     "total": {"p50", "p90", "p99"}, "phases": {"<phase>": {"p50", "p90", "p99", "count"}},
 *     "batchSizes": [{"size", "executions"}]}]}`, models sorted by name then version. A batch size is the number
 *   of traced requests that shared one execution (their COMPUTE_START at the same instant); requests not traced
 *   are not seen, so with a sampling rate above 1 it is a lower bound.
 *
 * Errors are Jaeger's (the v1 envelope with one error).
 *
 * @module
 */

import { PHASES, type PhaseName, requestPhases, type RequestPhases } from '../phases.ts';
import type { SpanRecord } from '../span-record.ts';
import { parseGoInt, parseTraceId } from './go-parse.ts';
import type { ApiRequest } from './request.ts';
import { type ApiResponse, jaegerError, json, wantsPrettyPrint } from './respond.ts';

const DEFAULT_MODEL_TRACES = 1000;
const MAX_MODEL_TRACES = 100_000;

/** `GET /api/ts-triton/stats`. */
export function stats({ store, url }: ApiRequest): ApiResponse {
  return json(store.stats(), wantsPrettyPrint(url));
}

/** `GET /api/ts-triton/rank?service=&operation=&duration=`. */
export function rank({ store, url }: ApiRequest): ApiResponse {
  const params = url.searchParams;
  for (const name of ['service', 'operation', 'duration']) {
    if ((params.get(name) ?? '') === '') return jaegerError(400, `parameter '${name}' is required`);
  }
  const duration = Number(params.get('duration'));
  if (!Number.isFinite(duration) || duration < 0) {
    return jaegerError(
      400,
      `parameter 'duration' must be a number of microseconds, got ${JSON.stringify(params.get('duration'))}`,
    );
  }
  return json(store.rankDuration(params.get('service')!, params.get('operation')!, duration), wantsPrettyPrint(url));
}

/** Reads `{traceID}` and the trace, or answers as Jaeger does when either fails. */
function storedTrace({ store, params }: ApiRequest): SpanRecord[] | ApiResponse {
  const id = parseTraceId(params['traceID']!);
  if (!id.ok) return jaegerError(400, id.error);
  const spans = store.trace(id.value);
  return spans === undefined || spans.length === 0 ? jaegerError(404, 'trace not found') : spans;
}

/** `GET /api/ts-triton/traces/{traceID}/ranks`. */
export function traceRanks(request: ApiRequest): ApiResponse {
  const spans = storedTrace(request);
  if (!Array.isArray(spans)) return spans;
  const ranks: Record<string, unknown> = {};
  for (const span of spans) {
    const durationUs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1000;
    ranks[span.spanId] = request.store.rankDuration(span.resource.serviceName, span.name, Math.max(0, durationUs));
  }
  return json({ ranks }, wantsPrettyPrint(request.url));
}

/** `GET /api/ts-triton/traces/{traceID}/phases`. */
export function tracePhases(request: ApiRequest): ApiResponse {
  const spans = storedTrace(request);
  if (!Array.isArray(spans)) return spans;
  return json({ requests: requestPhases(spans).map(phasesJson) }, wantsPrettyPrint(request.url));
}

const us = (ns: bigint | number): number => Number(ns) / 1000;

function phasesJson(request: RequestPhases): Record<string, unknown> {
  return {
    requestSpanID: request.requestSpanId,
    modelSpanID: request.modelSpanId,
    model: request.model,
    version: request.version,
    protocol: request.protocol,
    startTime: us(request.startUnixNano),
    total: us(request.totalNs),
    other: us(request.otherNs),
    phases: request.phases.map((phase) => ({
      name: phase.name,
      startTime: us(phase.startUnixNano),
      duration: us(phase.durationNs),
    })),
  };
}

/** `GET /api/ts-triton/models?service=&limit=`. */
export function models({ store, url }: ApiRequest): ApiResponse {
  const limitText = url.searchParams.get('limit') ?? '';
  let limit = DEFAULT_MODEL_TRACES;
  if (limitText !== '') {
    const parsed = parseGoInt(limitText);
    if (!parsed.ok) return jaegerError(400, `unable to parse param 'limit': ${parsed.error}`);
    limit = Math.min(Math.max(parsed.value, 1), MAX_MODEL_TRACES);
  }
  const service = url.searchParams.get('service') ?? '';
  const traces = store.search({ ...(service === '' ? {} : { service }), limit });
  const requests = traces.flatMap((spans) => requestPhases(spans));
  return json({ traces: traces.length, models: modelBreakdown(requests) }, wantsPrettyPrint(url));
}

/** Percentiles (nearest rank) of some durations in µs. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** The latency breakdown per model and version of some requests (see the module comment for the shape). */
export function modelBreakdown(requests: readonly RequestPhases[]): Record<string, unknown>[] {
  const byModel = new Map<string, RequestPhases[]>();
  for (const request of requests) {
    const key = `${request.model}\u0000${request.version}`;
    const group = byModel.get(key);
    if (group === undefined) byModel.set(key, [request]);
    else group.push(request);
  }
  const entries = [...byModel.values()].sort((a, b) =>
    a[0]!.model < b[0]!.model ? -1 : a[0]!.model > b[0]!.model ? 1 : a[0]!.version - b[0]!.version,
  );
  return entries.map((group) => {
    const phases: Record<string, unknown> = {};
    for (const name of PHASES) {
      const durations = group.flatMap((request) =>
        request.phases.filter((phase) => phase.name === name).map((phase) => us(phase.durationNs)),
      );
      if (durations.length > 0)
        phases[name satisfies PhaseName] = { ...percentiles(durations), count: durations.length };
    }
    return {
      model: group[0]!.model,
      version: group[0]!.version,
      requests: group.length,
      total: percentiles(group.map((request) => us(request.totalNs))),
      phases,
      batchSizes: batchSizes(group),
    };
  });
}

/** Nearest-rank p50/p90/p99 of a non-empty list. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { p50: at(50), p90: at(90), p99: at(99) };
}

function batchSizes(requests: readonly RequestPhases[]): { size: number; executions: number }[] {
  const perExecution = new Map<string, number>();
  for (const request of requests) {
    if (request.executionKey !== '')
      perExecution.set(request.executionKey, (perExecution.get(request.executionKey) ?? 0) + 1);
  }
  const executionsBySize = new Map<number, number>();
  for (const size of perExecution.values()) executionsBySize.set(size, (executionsBySize.get(size) ?? 0) + 1);
  return [...executionsBySize].sort(([a], [b]) => a - b).map(([size, executions]) => ({ size, executions }));
}
