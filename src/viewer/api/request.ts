/**
 * What a query API handler is given: the store, the request's URL and body, the path's parameters, the clock.
 *
 * @module
 */

import type { TraceStore } from '../store/trace-store.ts';
import type { ApiResponse } from './respond.ts';

/** One API request, as a handler sees it. */
export interface ApiRequest {
  readonly store: TraceStore;
  readonly url: URL;
  /** The path's `{name}` parts, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
  /** Milliseconds since the epoch, for the routes whose defaults are relative to now. */
  readonly nowMs: number;
}

/** A route's handler. */
export type ApiHandler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;
