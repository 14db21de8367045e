/**
 * The HTTP request handler: routes a request and answers it from the data plane.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InferenceService } from '../../core/inference-service.ts';
import type { InferenceRequest } from '../../core/inference-request.ts';
import { ErrorCode, TritonError } from '../../errors.ts';
import { decodeGenerateRequest, encodeGenerateResponse } from '../../protocol/generate.ts';
import { decodeInferRequest, encodeInferResponse } from '../../protocol/json-infer.ts';
import { modelConfigJson, modelMetadata } from '../../protocol/model-metadata.ts';
import { parseJsonBody, readBody, sendEmpty, sendError, sendJson } from './body.ts';
import { matchRoute, type RouteMatch } from './routes.ts';

/** What the HTTP frontend needs from the server. */
export interface HttpContext {
  readonly service: InferenceService;
  /** Largest request body accepted, in bytes. */
  readonly maxInputSize: number;
  /** The server metadata object (`GET /v2`). */
  readonly serverMetadata: () => object;
}

type Handler = (ctx: HttpContext, route: RouteMatch, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const HANDLERS: Readonly<Record<RouteMatch['endpoint'], Handler>> = {
  'server-metadata': (ctx, _route, _req, res) => sendJson(res, 200, JSON.stringify(ctx.serverMetadata())),
  'health-live': (ctx, _route, _req, res) => sendEmpty(res, ctx.service.live ? 200 : 400),
  'health-ready': (ctx, _route, _req, res) => sendEmpty(res, ctx.service.ready ? 200 : 400),
  'model-metadata': (ctx, route, _req, res) => {
    const model = ctx.service.model(route.modelName, route.modelVersion);
    const versions = route.modelVersion === -1 ? ctx.service.versions(route.modelName).map((m) => m.version) : [model.version];
    sendJson(res, 200, JSON.stringify(modelMetadata(model, versions)));
  },
  'model-ready': (ctx, route, _req, res) => {
    ctx.service.model(route.modelName, route.modelVersion);
    if (ctx.service.ready) sendEmpty(res, 200);
    else sendError(res, new TritonError(ErrorCode.INVALID_ARG, 'Model version not ready'));
  },
  'model-config': (ctx, route, _req, res) => {
    const model = ctx.service.model(route.modelName, route.modelVersion);
    sendJson(res, 200, JSON.stringify(modelConfigJson(model, model.instanceCount)));
  },
  'repository-index': async (ctx, _route, req, res) => {
    await readBody(req, ctx.maxInputSize);
    const index = ctx.service.models().map((m) => ({ name: m.name, version: String(m.version), state: 'READY' }));
    sendJson(res, 200, JSON.stringify(index));
  },
  infer: (ctx, route, req, res) =>
    inferWith(ctx, route, req, res, (body) => decodeInferRequest(body, route), encodeInferResponse, true),
  generate: (ctx, route, req, res) =>
    inferWith(ctx, route, req, res, (body) => decodeGenerate(ctx, route, body), encodeGenerateResponse, false),
  'generate-stream': async (ctx, route, req, res) => {
    const request = decodeGenerate(ctx, route, parseJsonBody(await readBody(req, ctx.maxInputSize)));
    const result = await ctx.service.infer(request);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(`data: ${encodeGenerateResponse(result)}\n\n`);
  },
};

function decodeGenerate(ctx: HttpContext, route: RouteMatch, body: unknown): InferenceRequest {
  return decodeGenerateRequest(body, route, ctx.service.model(route.modelName, route.modelVersion));
}

async function inferWith(
  ctx: HttpContext,
  route: RouteMatch,
  req: IncomingMessage,
  res: ServerResponse,
  decode: (body: unknown) => InferenceRequest,
  encode: typeof encodeInferResponse,
  rejectDecoupled: boolean,
): Promise<void> {
  const model = ctx.service.model(route.modelName, route.modelVersion);
  if (rejectDecoupled && model.config.decoupled) {
    throw new TritonError(ErrorCode.UNSUPPORTED, "HTTP end point doesn't support models with decoupled transaction policy");
  }
  const request = decode(parseJsonBody(await readBody(req, ctx.maxInputSize)));
  const result = await ctx.service.infer(request);
  sendJson(res, 200, encode(result));
}

/** Builds the `node:http` request listener of the HTTP frontend. */
export function createHttpHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return function handleHttp(req, res) {
    const route = matchRoute(req.method ?? 'GET', req.url ?? '/');
    if (route === 'not-found') return sendJson(res, 404, '{"error":"Not Found"}');
    if (route === 'method-not-allowed') return sendJson(res, 405, '{"error":"Method Not Allowed"}');
    try {
      const done = HANDLERS[route.endpoint](ctx, route, req, res);
      if (done) done.catch((error: unknown) => respondWithError(req, res, error));
    } catch (error) {
      respondWithError(req, res, error);
    }
  };
}

function respondWithError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (!req.complete) res.setHeader('connection', 'close');
  sendError(res, error);
}
