/**
 * The `/v2` route table: which path and method reach which endpoint, as Triton matches them.
 *
 * @module
 */

import type { ApiGroup } from '../../config/restricted-apis.ts';

/** Every endpoint the HTTP frontend serves. */
export type Endpoint =
  | 'server-metadata'
  | 'health-live'
  | 'health-ready'
  | 'model-metadata'
  | 'model-ready'
  | 'model-config'
  | 'infer'
  | 'generate'
  | 'generate-stream'
  | 'repository-index'
  | 'repository-load'
  | 'repository-unload'
  | 'repository-named'
  | 'trace-setting'
  | 'statistics'
  | 'model-statistics'
  | 'logging'
  | 'model-trace-setting';

/**
 * The API group of every endpoint (Triton's, for `httpRestrictedApi`), and the methods with which a request
 * changes the server (refused on a non-loopback address unless opened: see `AccessPolicy`).
 */
export const ENDPOINT_ACCESS: Readonly<
  Record<Endpoint, { readonly group: ApiGroup; readonly changes?: readonly string[] }>
> = {
  'server-metadata': { group: 'metadata' },
  'health-live': { group: 'health' },
  'health-ready': { group: 'health' },
  'model-metadata': { group: 'metadata' },
  'model-ready': { group: 'health' },
  'model-config': { group: 'model-config' },
  infer: { group: 'inference' },
  generate: { group: 'inference' },
  'generate-stream': { group: 'inference' },
  'repository-index': { group: 'model-repository' },
  'repository-load': { group: 'model-repository', changes: ['POST'] },
  'repository-unload': { group: 'model-repository', changes: ['POST'] },
  'repository-named': { group: 'model-repository' },
  'trace-setting': { group: 'trace', changes: ['POST'] },
  statistics: { group: 'statistics' },
  'model-statistics': { group: 'statistics' },
  logging: { group: 'logging', changes: ['POST'] },
  'model-trace-setting': { group: 'trace', changes: ['POST'] },
};

/** A matched route: the endpoint and the model and version from the path. */
export interface RouteMatch {
  readonly endpoint: Endpoint;
  /** The request's method. */
  readonly method: string;
  /** Model name from the path, or '' for server-level routes. */
  readonly modelName: string;
  /** Model version from the path, or -1 when absent. */
  readonly modelVersion: number;
}

/** The outcome of matching: a route, an unknown path, or a known path with the wrong method. */
export type RouteResult = RouteMatch | 'not-found' | 'method-not-allowed';

const MODEL_ROUTE =
  /^\/v2\/models\/([^/]+)(?:\/versions\/([0-9]+))?(?:\/(infer|generate|generate_stream|ready|config|stats))?$/;

const REPOSITORY_ROUTE = /^\/v2\/repository(?:\/([^/]+))?\/(?:index|models\/([^/]+)\/(load|unload))$/;

const MODEL_TRACE_ROUTE = /^\/v2\/models\/([^/]+)\/trace\/setting$/;

type RouteSpec = { endpoint: Endpoint; method: string | readonly string[] };

const MODEL_ENDPOINTS: Readonly<Record<string, RouteSpec>> = {
  '': { endpoint: 'model-metadata', method: 'GET' },
  infer: { endpoint: 'infer', method: 'POST' },
  generate: { endpoint: 'generate', method: 'POST' },
  generate_stream: { endpoint: 'generate-stream', method: 'POST' },
  ready: { endpoint: 'model-ready', method: 'GET' },
  config: { endpoint: 'model-config', method: 'GET' },
  stats: { endpoint: 'model-statistics', method: 'GET' },
};

const SERVER_ROUTES: Readonly<Record<string, RouteSpec>> = {
  '/v2': { endpoint: 'server-metadata', method: 'GET' },
  '/v2/health/live': { endpoint: 'health-live', method: 'GET' },
  '/v2/health/ready': { endpoint: 'health-ready', method: 'GET' },
  '/v2/trace/setting': { endpoint: 'trace-setting', method: ['GET', 'POST'] },
  '/v2/models/stats': { endpoint: 'statistics', method: 'GET' },
  '/v2/logging': { endpoint: 'logging', method: ['GET', 'POST'] },
};

function allows(spec: RouteSpec, method: string): boolean {
  return typeof spec.method === 'string' ? spec.method === method : spec.method.includes(method);
}

/** Recent outcomes by method, then URL: clients repeat the same few URLs, so most requests skip the regexes. */
const recent = new Map<string, Map<string, RouteResult>>();

/** URLs remembered per method; past it, the memory starts over (unbounded URLs must not grow it). */
const RECENT_LIMIT = 256;

/**
 * Matches a request's method and URL (query string ignored).
 * @param method - the HTTP method.
 * @param url - the request target, e.g. `/v2/models/m/versions/1/infer?x=1`.
 */
export function matchRoute(method: string, url: string): RouteResult {
  let urls = recent.get(method);
  const known = urls?.get(url);
  if (known !== undefined) return known;
  const route = matchUrl(method, url);
  if (!urls) recent.set(method, (urls = new Map()));
  else if (urls.size >= RECENT_LIMIT) urls.clear();
  urls.set(url, route);
  return route;
}

function matchUrl(method: string, url: string): RouteResult {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const server = SERVER_ROUTES[path];
  if (server) {
    return allows(server, method)
      ? { endpoint: server.endpoint, method, modelName: '', modelVersion: -1 }
      : 'method-not-allowed';
  }
  const repository = REPOSITORY_ROUTE.exec(path);
  if (repository) return matchRepository(method, repository);
  const traced = MODEL_TRACE_ROUTE.exec(path);
  if (traced) {
    if (method !== 'GET' && method !== 'POST') return 'method-not-allowed';
    return { endpoint: 'model-trace-setting', method, modelName: traced[1]!, modelVersion: -1 };
  }
  const m = MODEL_ROUTE.exec(path);
  if (!m) return 'not-found';
  const route = MODEL_ENDPOINTS[m[3] ?? '']!;
  if (!allows(route, method)) return 'method-not-allowed';
  return { endpoint: route.endpoint, method, modelName: m[1]!, modelVersion: m[2] === undefined ? -1 : Number(m[2]) };
}

function matchRepository(method: string, m: RegExpExecArray): RouteResult {
  if (method !== 'POST') return 'method-not-allowed';
  if (m[1] !== undefined) return { endpoint: 'repository-named', method, modelName: '', modelVersion: -1 };
  if (m[3] === undefined) return { endpoint: 'repository-index', method, modelName: '', modelVersion: -1 };
  return {
    endpoint: m[3] === 'load' ? 'repository-load' : 'repository-unload',
    method,
    modelName: m[2]!,
    modelVersion: -1,
  };
}
