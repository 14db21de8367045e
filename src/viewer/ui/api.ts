/**
 * The page's calls to the viewer's query APIs: Jaeger's v1 JSON API for search and traces, `/api/v3` for a
 * trace's OTLP JSON, and ts-triton's `/api/ts-triton/` extensions.
 *
 * @module
 */

import type { JaegerTrace, OtlpTraces } from './model.ts';

/** An API call that failed, with the message the API gave (Jaeger's `errors[].msg`) or the HTTP status. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { headers: { accept: 'application/json' }, signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, `the viewer's server did not answer (${(error as Error).message})`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const errors = (body as { errors?: { msg?: string }[] } | undefined)?.errors;
    const message = errors?.map((e) => e.msg).join('; ') || (body as { message?: string })?.message || text.trim();
    throw new ApiError(response.status, message || `HTTP ${response.status}`);
  }
  if (body === undefined) throw new ApiError(response.status, `${path} did not answer JSON`);
  return body as T;
}

interface Envelope<T> {
  data: T;
  errors: { msg: string }[] | null;
}

/** Services that sent spans. */
export async function services(): Promise<string[]> {
  return (await getJson<Envelope<string[]>>('/api/services')).data ?? [];
}

/** A service's operation names. */
export async function operations(service: string): Promise<string[]> {
  return (await getJson<Envelope<string[]>>(`/api/services/${encodeURIComponent(service)}/operations`)).data ?? [];
}

/** Trace search, as Jaeger UI sends it: `params` are `/api/traces` query parameters. */
export async function searchTraces(params: URLSearchParams, signal?: AbortSignal): Promise<JaegerTrace[]> {
  return (await getJson<Envelope<JaegerTrace[]>>(`/api/traces?${params}`, signal)).data ?? [];
}

/** One trace in Jaeger's JSON. */
export async function trace(traceId: string): Promise<JaegerTrace> {
  const found = (await getJson<Envelope<JaegerTrace[]>>(`/api/traces/${encodeURIComponent(traceId)}`)).data?.[0];
  if (!found) throw new ApiError(404, 'trace not found');
  return found;
}

/** One trace as OTLP JSON (`/api/v3/traces/{id}` answers `{result: {resourceSpans}}`). */
export async function otlpTrace(traceId: string): Promise<OtlpTraces> {
  const body = await getJson<{ result: OtlpTraces }>(`/api/v3/traces/${encodeURIComponent(traceId)}`);
  return body.result;
}

/** The store's counters (`/api/ts-triton/stats`). */
export interface StoreStats {
  readonly spans: number;
  readonly traces: number;
  readonly bytes: number;
  readonly maxSpans: number;
  readonly maxBytes: number;
  readonly evictedTraces: number;
  readonly evictedSpans: number;
}

export async function storeStats(): Promise<StoreStats> {
  return getJson<StoreStats>('/api/ts-triton/stats');
}

/** Spans received since the store started (stored plus evicted): it changes exactly when spans arrive. */
export async function arrivals(): Promise<number> {
  const stats = await storeStats();
  return stats.spans + stats.evictedSpans;
}

/** Where a duration stands among the stored spans of one service and operation. */
export interface DurationRank {
  /** Percent of those spans (0–100) no longer than the duration. */
  readonly percentile: number;
  readonly count: number;
}

/** Every span's duration rank in a stored trace, by span id (`/api/ts-triton/traces/{id}/ranks`). */
export async function traceRanks(traceId: string): Promise<Record<string, DurationRank>> {
  return (
    await getJson<{ ranks: Record<string, DurationRank> }>(`/api/ts-triton/traces/${encodeURIComponent(traceId)}/ranks`)
  ).ranks;
}

/** p50/p90/p99 in microseconds. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** One model's (and version's) latency breakdown (`/api/ts-triton/models`). */
export interface ModelBreakdown {
  readonly model: string;
  readonly version: number;
  readonly requests: number;
  readonly total: Percentiles;
  readonly phases: Readonly<Partial<Record<string, Percentiles & { readonly count: number }>>>;
  readonly batchSizes: readonly { readonly size: number; readonly executions: number }[];
}

/** The breakdown per model over the most recent `limit` traces (of `service` when given). */
export async function models(limit: number, service = ''): Promise<{ traces: number; models: ModelBreakdown[] }> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (service) q.set('service', service);
  return getJson(`/api/ts-triton/models?${q}`);
}
