/**
 * Every query API route, declared once: method, path pattern (`{name}` matches one path segment) and handler.
 *
 * @module
 */

import type { ApiHandler } from './request.ts';
import * as extensions from './extensions.ts';
import * as v1 from './jaeger-v1.ts';
import * as v3 from './jaeger-v3.ts';

/** One route of the table. */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handle: ApiHandler;
}

/** The routes: Jaeger's v1 JSON API, Jaeger's v3 HTTP gateway, ts-triton's extensions. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/services', handle: v1.services },
  { method: 'GET', path: '/api/services/{service}/operations', handle: v1.serviceOperations },
  { method: 'GET', path: '/api/operations', handle: v1.operations },
  { method: 'GET', path: '/api/traces', handle: v1.searchTraces },
  { method: 'GET', path: '/api/traces/{traceID}', handle: v1.getTrace },
  { method: 'GET', path: '/api/dependencies', handle: v1.dependencies },
  { method: 'POST', path: '/api/transform', handle: v1.transform },
  { method: 'GET', path: '/api/v3/services', handle: v3.services },
  { method: 'GET', path: '/api/v3/operations', handle: v3.operations },
  { method: 'GET', path: '/api/v3/traces', handle: v3.findTraces },
  { method: 'GET', path: '/api/v3/traces/{trace_id}', handle: v3.getTrace },
  { method: 'GET', path: '/api/v3/trace-summaries', handle: v3.findTraceSummaries },
  { method: 'GET', path: '/api/ts-triton/stats', handle: extensions.stats },
  { method: 'GET', path: '/api/ts-triton/rank', handle: extensions.rank },
  { method: 'GET', path: '/api/ts-triton/traces/{traceID}/ranks', handle: extensions.traceRanks },
  { method: 'GET', path: '/api/ts-triton/traces/{traceID}/phases', handle: extensions.tracePhases },
  { method: 'GET', path: '/api/ts-triton/models', handle: extensions.models },
];

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
});

/** A route and its path parameters; the methods a path allows; or no route. */
export type RouteMatch =
  | { readonly route: Route; readonly params: Readonly<Record<string, string>> }
  | { readonly allowed: readonly string[] }
  | 'not-found';

/** Finds the route of `method` and `path`. */
export function matchRoute(method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const { route, pattern, names } of COMPILED) {
    const found = pattern.exec(path);
    if (found === null) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = decodeSegment(found[i + 1]!)));
    return { route, params };
  }
  return allowed.length > 0 ? { allowed } : 'not-found';
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
