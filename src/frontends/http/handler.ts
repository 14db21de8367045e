/**
 * The HTTP request handler: routes a request and answers it from the data plane.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InferenceService } from '../../core/inference-service.ts';
import type { InferenceRequest, InferenceResult } from '../../core/inference-request.ts';
import { ErrorCode, TritonError } from '../../errors.ts';
import { decodeGenerateRequest, encodeGenerateResponse } from '../../protocol/generate.ts';
import { modelConfigJson, modelMetadata } from '../../protocol/model-metadata.ts';
import { checkLoadRequest, parseIndexRequest, repositoryIndexJson } from '../../protocol/repository.ts';
import { logSettingsJson, parseLogSettingsUpdate } from '../../protocol/logging.ts';
import { statisticsJson } from '../../protocol/statistics.ts';
import { logSettings, updateLogSettings } from '../../logger.ts';
import { collectBody, parseJsonBody, readBody, sendEmpty, sendError, sendJson } from './body.ts';
import { decodeContentCoding } from './compression.ts';
import { InferExchange } from './infer-exchange.ts';
import { binaryDataOffset } from './inference-header.ts';
import { ENDPOINT_ACCESS, matchRoute, type RouteMatch } from './routes.ts';
import { type AccessPolicy, adminClosedMessage } from '../access.ts';
import { nowNs } from '../../core/clock.ts';
import { type FrontendTrace, type RequestEndpoint, splitHostPort } from '../../tracing/frontend-trace.ts';
import type { TraceManager } from '../../tracing/trace-manager.ts';

/** What the HTTP frontend needs from the server. */
export interface HttpContext {
  readonly service: InferenceService;
  /** Largest request body accepted, in bytes. */
  readonly maxInputSize: number;
  /** The server metadata object (`GET /v2`). */
  readonly serverMetadata: () => object;
  /** The server's tracing. */
  readonly tracing: TraceManager;
  /** Who may use which API group; undefined when every request is served. */
  readonly access?: AccessPolicy | undefined;
  /** Inference responses carry `traceparent` (traced requests) and `Server-Timing` (`responseTraceHeaders`). */
  readonly responseTraceHeaders?: boolean;
}

type Handler = (ctx: HttpContext, route: RouteMatch, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const HANDLERS: Readonly<Record<RouteMatch['endpoint'], Handler>> = {
  'server-metadata': (ctx, _route, _req, res) => sendJson(res, 200, JSON.stringify(ctx.serverMetadata())),
  'health-live': (ctx, _route, _req, res) => sendEmpty(res, ctx.service.live ? 200 : 400),
  'health-ready': (ctx, _route, _req, res) => sendEmpty(res, ctx.service.ready ? 200 : 400),
  'model-metadata': (ctx, route, _req, res) => {
    const model = ctx.service.model(route.modelName, route.modelVersion);
    const versions =
      route.modelVersion === -1 ? ctx.service.versions(route.modelName).map((m) => m.version) : [model.version];
    sendJson(res, 200, JSON.stringify(modelMetadata(model, versions)));
  },
  'model-ready': (ctx, route, _req, res) => {
    ctx.service.model(route.modelName, route.modelVersion);
    if (ctx.service.ready) sendEmpty(res, 200);
    else sendError(res, new TritonError(ErrorCode.INVALID_ARG, 'Model version not ready'));
  },
  'model-config': (ctx, route, _req, res) => {
    const model = ctx.service.model(route.modelName, route.modelVersion);
    sendJson(
      res,
      200,
      JSON.stringify(modelConfigJson(model, model.instanceCount, ctx.service.versionPolicy(model.name))),
    );
  },
  'repository-index': async (ctx, _route, req, res) => {
    const { readyOnly } = parseIndexRequest(await readOptionalJson(ctx, req));
    sendJson(res, 200, repositoryIndexJson(ctx.service.index(), readyOnly));
  },
  'repository-load': async (ctx, route, req, res) => {
    checkLoadRequest(await readOptionalJson(ctx, req));
    await ctx.service.load(route.modelName);
    sendEmpty(res, 200);
  },
  'repository-unload': async (ctx, route, req, res) => {
    await readOptionalJson(ctx, req);
    await ctx.service.unload(route.modelName);
    sendEmpty(res, 200);
  },
  statistics: (ctx, _route, _req, res) => sendJson(res, 200, statisticsJson(ctx.service.models())),
  'model-statistics': (ctx, route, _req, res) => {
    const model = ctx.service.model(route.modelName, route.modelVersion);
    const models = route.modelVersion === -1 ? ctx.service.versions(route.modelName) : [model];
    sendJson(res, 200, statisticsJson(models));
  },
  logging: async (ctx, route, req, res) => {
    if (route.method === 'GET') return sendJson(res, 200, logSettingsJson(logSettings()));
    const update = parseLogSettingsUpdate(await readOptionalJson(ctx, req));
    sendJson(res, 200, logSettingsJson(updateLogSettings(update)));
  },
  'repository-named': () => {
    throw new TritonError(ErrorCode.UNSUPPORTED, "'repository_name' specification is not supported");
  },
  infer: (ctx, route, req, res) => {
    let model: ReturnType<HttpContext['service']['model']>;
    try {
      model = ctx.service.model(route.modelName, route.modelVersion);
      if (model.config.decoupled) {
        throw new TritonError(
          ErrorCode.UNSUPPORTED,
          "HTTP end point doesn't support models with decoupled transaction policy",
        );
      }
    } catch (error) {
      return refuse(ctx, route, req, res, error);
    }
    const exchange = new InferExchange(model, route, req, res, ctx.maxInputSize);
    return serveInference(
      ctx,
      route,
      req,
      res,
      (body) => exchange.decode(body),
      respondOnce((_res, result) => exchange.send(result)),
    );
  },
  generate: (ctx, route, req, res) =>
    serveInference(
      ctx,
      route,
      req,
      res,
      (body) => decodeGenerate(ctx, route, req, res, body),
      respondOnce(sendGenerateResponse),
    ),
  'generate-stream': (ctx, route, req, res) =>
    serveInference(ctx, route, req, res, (body) => decodeGenerate(ctx, route, req, res, body), respondAsEvents),
  'trace-setting': (ctx, route, req, res) => serveTraceSettings(ctx, undefined, route, req, res),
  'model-trace-setting': (ctx, route, req, res) => {
    try {
      ctx.service.model(route.modelName);
    } catch {
      throw new TritonError(ErrorCode.INVALID_ARG, `Request for unknown model : ${route.modelName}`);
    }
    return serveTraceSettings(ctx, route.modelName, route, req, res);
  },
};

/** Reads a body that may be empty; an empty body reads as undefined. */
async function readOptionalJson(ctx: HttpContext, req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, ctx.maxInputSize);
  return body.length === 0 ? undefined : parseJsonBody(body);
}

async function serveTraceSettings(
  ctx: HttpContext,
  model: string | undefined,
  route: RouteMatch,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (route.method === 'GET') return sendJson(res, 200, ctx.tracing.settingsJson(model));
  sendJson(res, 200, ctx.tracing.updateSettings(model, await readOptionalJson(ctx, req)));
}

/** Decodes a generate request's body, decompressed first when its `Content-Encoding` says so (as `/infer`). */
function decodeGenerate(
  ctx: HttpContext,
  route: RouteMatch,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): InferenceRequest | Promise<InferenceRequest> {
  const decode = (plain: Buffer): InferenceRequest =>
    decodeGenerateRequest(parseJsonBody(plain), route, ctx.service.model(route.modelName, route.modelVersion));
  const plain = decodeContentCoding(req, res, body, ctx.maxInputSize);
  return plain instanceof Promise ? plain.then(decode) : decode(plain);
}

/**
 * Answers a decoded request: infers and writes the response. A failure before anything was written goes to
 * `fail`, synchronously or later; a responder that finishes later may instead return a promise that rejects.
 */
type Responder = (
  ctx: HttpContext,
  request: InferenceRequest,
  res: ServerResponse,
  trace: FrontendTrace | undefined,
  fail: (error: unknown) => void,
) => Promise<void> | void;

/**
 * Runs one inference request: samples it for tracing, cancels it when the client goes away, reads and decodes
 * the body, and answers with `respond` (or Triton's error body), reporting each step to the request's trace.
 * Uses plain callbacks rather than `async`/`await`: each avoided promise hop is per-request work.
 */
function serveInference(
  ctx: HttpContext,
  route: RouteMatch,
  req: IncomingMessage,
  res: ServerResponse,
  decode: (body: Buffer) => InferenceRequest | Promise<InferenceRequest>,
  respond: Responder,
): void {
  const trace = ctx.tracing.start(route.modelName, (name) => req.headers[name], 'HTTP');
  trace?.describe?.(httpEndpoint(req, route));
  const cancel = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) {
      cancel.abort();
      trace?.failed?.(
        new TritonError(ErrorCode.CANCELLED, 'the client closed the connection before the response was sent'),
        nowNs(),
      );
    } else trace?.answered?.(res.statusCode);
    trace?.sendEnd(nowNs());
  });
  const fail = (error: unknown): void => {
    trace?.failed?.(error, nowNs());
    markResponding(trace);
    respondWithError(req, res, error);
  };
  const onTiming = ctx.responseTraceHeaders ? correlationHeaders(res, trace) : undefined;
  const answer = (decoded: InferenceRequest): void => {
    const done = respond(ctx, { ...decoded, trace, signal: cancel.signal, onTiming }, res, trace, fail);
    if (done) done.then(undefined, fail);
  };
  const onBody = (body: Buffer): void => {
    try {
      trace?.received(nowNs());
      const decoded = decode(body);
      if (decoded instanceof Promise) decoded.then(answer).then(undefined, fail);
      else answer(decoded);
    } catch (error) {
      fail(error);
    }
  };
  collectBody(req, ctx.maxInputSize, binaryDataOffset(req.headers), onBody, fail);
}

/** The route templates of the traced endpoints: without a version in the path, and with one. */
const ROUTE_TEMPLATES: Partial<Record<RouteMatch['endpoint'], readonly [string, string]>> = Object.fromEntries(
  (
    [
      ['infer', 'infer'],
      ['generate', 'generate'],
      ['generate-stream', 'generate_stream'],
    ] as const
  ).map(([endpoint, end]) => [
    endpoint,
    [`/v2/models/{model_name}/${end}`, `/v2/models/{model_name}/versions/{model_version}/${end}`],
  ]),
);

/** Where an HTTP request came in, for its trace's root span. */
function httpEndpoint(req: IncomingMessage, route: RouteMatch): RequestEndpoint {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const host = splitHostPort(req.headers.host);
  return {
    method: req.method,
    route: ROUTE_TEMPLATES[route.endpoint]?.[route.modelVersion === -1 ? 0 : 1],
    path: query < 0 ? url : url.slice(0, query),
    serverAddress: host.address,
    serverPort: host.port ?? req.socket.localPort,
    clientAddress: req.socket.remoteAddress,
  };
}

/** Answers an inference request refused before its body is read with `error`; traced when sampled. */
function refuse(ctx: HttpContext, route: RouteMatch, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const trace = ctx.tracing.start(route.modelName, (name) => req.headers[name], 'HTTP');
  if (trace !== undefined) {
    trace.describe?.(httpEndpoint(req, route));
    res.on('close', () => {
      trace.answered?.(res.statusCode);
      trace.sendEnd(nowNs());
    });
    trace.failed?.(error, nowNs());
    markResponding(trace);
  }
  respondWithError(req, res, error);
}

/**
 * Sets `traceparent` on the response of a traced request now (its root span's ids, sampled), and returns what
 * sets `Server-Timing` once the core tells the request's queue and compute durations (total: from receipt).
 */
function correlationHeaders(
  res: ServerResponse,
  trace: FrontendTrace | undefined,
): (queueMs: number, computeMs: number) => void {
  const ids = trace?.rootSpanContext?.();
  if (ids !== undefined) res.setHeader('traceparent', `00-${ids.traceId}-${ids.spanId}-01`);
  const receivedAt = performance.now();
  return (queueMs, computeMs) => {
    const total = performance.now() - receivedAt;
    if (!res.headersSent) {
      res.setHeader(
        'Server-Timing',
        `queue;dur=${queueMs.toFixed(3)}, compute;dur=${computeMs.toFixed(3)}, total;dur=${total.toFixed(3)}`,
      );
    }
  };
}

/** Marks a request's response complete and its sending started (one clock reading for both). */
function markResponding(trace: FrontendTrace | undefined): void {
  if (trace === undefined) return;
  const ns = nowNs();
  trace.responseComplete(ns);
  trace.sendStart(ns);
}

/** Answers with the one response of the request, written by `send`. */
function respondOnce(send: (res: ServerResponse, result: InferenceResult) => void | Promise<void>): Responder {
  return (ctx, request, res, trace, fail) => {
    const onResult = (result: InferenceResult): void => {
      try {
        markResponding(trace);
        const sent = send(res, result);
        if (sent) sent.then(undefined, fail);
      } catch (error) {
        fail(error);
      }
    };
    ctx.service.infer(request).then(onResult, fail);
  };
}

function sendGenerateResponse(res: ServerResponse, result: InferenceResult): void {
  sendJson(res, 200, encodeGenerateResponse(result));
}

/**
 * Answers with server-sent events, one `data: {...}` per response as the model produces it. An error before
 * the first response is an ordinary error response; after it, a `data: {"error": ...}` event.
 */
const respondAsEvents: Responder = async (ctx, request, res, trace) => {
  const start = (): void => {
    if (res.headersSent) return;
    trace?.sendStart(nowNs());
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  };
  try {
    await ctx.service.stream(request, (result) => {
      start();
      res.write(`data: ${encodeGenerateResponse(result)}\n\n`);
    });
  } catch (error) {
    if (!res.headersSent) throw error;
    trace?.failed?.(error, nowNs());
    res.write(`data: ${JSON.stringify({ error: TritonError.from(error).message })}\n\n`);
  }
  trace?.responseComplete(nowNs());
  start();
  res.end();
};

/** Builds the `node:http` request listener of the HTTP frontend. */
export function createHttpHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return function handleHttp(req, res) {
    const route = matchRoute(req.method ?? 'GET', req.url ?? '/');
    if (route === 'not-found') return sendJson(res, 404, '{"error":"Not Found"}');
    if (route === 'method-not-allowed') return sendJson(res, 405, '{"error":"Method Not Allowed"}');
    if (ctx.access && refused(ctx.access, route, req, res)) return;
    try {
      const done = HANDLERS[route.endpoint](ctx, route, req, res);
      if (done) done.catch((error: unknown) => respondWithError(req, res, error));
    } catch (error) {
      respondWithError(req, res, error);
    }
  };
}

/** Answers a request the access policy refuses (Triton's 403 for a restricted API); true when refused. */
function refused(access: AccessPolicy, route: RouteMatch, req: IncomingMessage, res: ServerResponse): boolean {
  const { group, changes } = ENDPOINT_ACCESS[route.endpoint];
  const denial = access.denial(group, changes?.includes(route.method) ?? false, (name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  });
  if (denial === undefined) return false;
  const message =
    denial.kind === 'restricted'
      ? `This API is restricted, expecting header '${denial.header}'`
      : adminClosedMessage(denial.group, access.address, 'httpRestrictedApi');
  if (!req.complete) res.setHeader('connection', 'close');
  sendJson(res, 403, JSON.stringify({ error: message }));
  return true;
}

function respondWithError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (!req.complete) res.setHeader('connection', 'close');
  sendError(res, error);
}
