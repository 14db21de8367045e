/**
 * The viewer's query APIs as one function the viewer's HTTP server calls for every request: Jaeger's v1 JSON API,
 * Jaeger's `/api/v3` HTTP gateway and ts-triton's own `/api/ts-triton/` routes (see routes.ts).
 *
 * @module
 */

import type { TraceStore } from '../store/trace-store.ts';
import type { ApiRequest } from './request.ts';
import { type ApiResponse, methodNotAllowed, pageNotFound } from './respond.ts';
import { matchRoute } from './routes.ts';

export type { ApiResponse } from './respond.ts';

/** Options of {@link handleApi}; tests pin the clock. */
export interface ApiOptions {
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Answers one request if its path is an API path (`/api` or under `/api/`), else returns undefined so that the
 * server serves something else (the page, its assets). Unknown API paths get Go's `404 page not found`, as Jaeger
 * answers them; a known path asked with another method gets 405.
 *
 * @param body the request body, already read and bounded by the server (POST routes only).
 */
export async function handleApi(
  store: TraceStore,
  method: string,
  url: URL,
  body?: Uint8Array,
  options: ApiOptions = {},
): Promise<ApiResponse | undefined> {
  if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return undefined;
  const match = matchRoute(method === 'HEAD' ? 'GET' : method, url.pathname);
  if (match === 'not-found') return pageNotFound();
  if ('allowed' in match) return methodNotAllowed(match.allowed);
  const request: ApiRequest = { store, url, params: match.params, body, nowMs: (options.now ?? Date.now)() };
  return match.route.handle(request);
}
