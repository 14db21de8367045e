/**
 * The OTLP/HTTP trace receiver: `POST /v1/traces` with a protobuf (`application/x-protobuf`) or OTLP/JSON
 * (`application/json`) body, plain or gzip, answered as the OTLP specification asks: 200 with an
 * `ExportTraceServiceResponse` (its `partial_success` counting refused spans), 400 with a `google.rpc.Status` for
 * a malformed export, 413 for a body over the limit, 415 for another content type or coding, in the request's
 * encoding.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { contentType, exportResponse, type OtlpEncoding, RpcCode, rpcStatus } from '../otlp/export-response.ts';
import type { TraceStore } from '../store/trace-store.ts';
import { ingest, tooLargeMessage } from './ingest.ts';
import { readBody } from '../read-body.ts';

const gunzipAsync = promisify(gunzip);

/** The path OTLP/HTTP exporters post traces to. */
export const TRACES_PATH = '/v1/traces';

/** Settings of the receiver. */
export interface OtlpHttpOptions {
  /** Largest body accepted, in bytes, before and after gunzip. */
  readonly maxBodyBytes: number;
}

/** The encoding of a `Content-Type`, or undefined for one OTLP does not define. */
function encodingOf(header: string | undefined): OtlpEncoding | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function send(
  res: ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType(encoding), 'content-length': body.length, ...headers });
  res.end(body);
}

function fail(
  res: ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  code: number,
  message: string,
  headers?: Record<string, string>,
): void {
  send(res, status, encoding, rpcStatus(encoding, code, message), headers);
}

/** The request handler of the receiver (also usable on another node:http server). */
export function otlpHttpHandler(
  store: TraceStore,
  options: OtlpHttpOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(store, options, req, res).catch(() => {
      // A client that goes away mid-body: nothing to answer.
      if (!res.headersSent) res.destroy();
    });
  };
}

async function handle(
  store: TraceStore,
  options: OtlpHttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  const encoding = encodingOf(req.headers['content-type']);
  const answerIn = encoding ?? 'json';
  if (path !== TRACES_PATH) {
    req.resume();
    return fail(
      res,
      404,
      answerIn,
      RpcCode.UNIMPLEMENTED,
      `no OTLP endpoint at ${path}; traces are posted to ${TRACES_PATH}`,
    );
  }
  if (req.method !== 'POST') {
    req.resume();
    return fail(res, 405, answerIn, RpcCode.UNIMPLEMENTED, `${TRACES_PATH} takes POST, not ${req.method}`, {
      allow: 'POST',
    });
  }
  if (encoding === undefined) {
    req.resume();
    const type = req.headers['content-type'] ?? '(none)';
    return fail(
      res,
      415,
      'json',
      RpcCode.INVALID_ARGUMENT,
      `unsupported Content-Type '${type}'; OTLP/HTTP takes application/x-protobuf or application/json`,
    );
  }
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity' && coding !== 'gzip' && coding !== '') {
    req.resume();
    return fail(
      res,
      415,
      encoding,
      RpcCode.INVALID_ARGUMENT,
      `unsupported Content-Encoding '${coding}'; gzip or none is accepted`,
      { 'accept-encoding': 'gzip' },
    );
  }
  const tooLarge = tooLargeMessage(options.maxBodyBytes);
  let body = await readBody(req, options.maxBodyBytes);
  if (body === undefined) {
    return fail(res, 413, encoding, RpcCode.RESOURCE_EXHAUSTED, tooLarge, { connection: 'close' });
  }
  if (coding === 'gzip') {
    try {
      body = await gunzipAsync(body, { maxOutputLength: options.maxBodyBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return fail(res, 413, encoding, RpcCode.RESOURCE_EXHAUSTED, tooLarge);
      }
      return fail(
        res,
        400,
        encoding,
        RpcCode.INVALID_ARGUMENT,
        `the gzip body could not be inflated: ${(error as Error).message}`,
      );
    }
  }
  const result = ingest(store, encoding, body);
  if (result.ok) return send(res, 200, encoding, exportResponse(encoding, result.rejected, result.message));
  if (result.malformed) return fail(res, 400, encoding, RpcCode.INVALID_ARGUMENT, result.message);
  return fail(res, 500, encoding, RpcCode.INTERNAL, result.message);
}

/** A listening OTLP/HTTP receiver. */
export interface OtlpHttpReceiver {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the receiver on `host:port` (0 picks a free port). */
export async function startOtlpHttpReceiver(
  store: TraceStore,
  host: string,
  port: number,
  options: OtlpHttpOptions,
): Promise<OtlpHttpReceiver> {
  const server = createServer({ keepAliveTimeout: 30_000 }, otlpHttpHandler(store, options));
  const bound = await listen(server, host, port);
  return { port: bound, close: () => closeServer(server) };
}

/** Listens on `host:port`; resolves with the port bound. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Closes a server and its open connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
