/**
 * The HTTP frontend without a socket, for protocol cases that only check request → response bytes.
 *
 * The request goes through the same code as over TCP: node:http's client writes it as HTTP/1.1 bytes into one
 * end of an in-memory duplex pair, and a node:http server (not listening) parses the other end and hands it to
 * the frontend's handler (`createHttpHandler`); the response bytes come back the same way. What it leaves out is what is about sockets: the listening port,
 * the connection cap and the drain on shutdown (those are tested over real sockets), and the server metadata of
 * `GET /v2` (a Triton's own).
 */
import { createServer, request, type Server } from 'node:http';
import { duplexPair } from 'node:stream';
import { InferenceService } from '../../src/core/inference-service.ts';
import { type BindOptions, Model } from '../../src/core/model.ts';
import { createHttpHandler } from '../../src/frontends/http/handler.ts';
import { parseTraceConfig } from '../../src/tracing/trace-config.ts';
import { TraceManager } from '../../src/tracing/trace-manager.ts';

/** `fetch` against the in-process frontend: only the path of the URL counts. */
export type InProcessFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** An HTTP frontend served in process. */
export interface InProcessHttp extends AsyncDisposable {
  /** Base URL to prefix paths with (no server listens there; {@link InProcessHttp.fetch} routes it in process). */
  readonly base: string;
  readonly fetch: InProcessFetch;
  close(): Promise<void>;
}

/** Largest request body, as `TritonConfig.httpMaxInputSize` defaults to. */
const MAX_INPUT_SIZE = 64 * 1024 * 1024;

/** Serves `models` through the HTTP frontend's handler over in-memory connections. */
export async function inProcessHttp(
  models: readonly BindOptions[],
  traceConfig: readonly string[] = [],
): Promise<InProcessHttp> {
  const service = new InferenceService();
  for (const options of models) service.add(new Model(options));
  await Promise.all(service.models().map((model) => model.ready()));
  const tracing = await TraceManager.start(parseTraceConfig(traceConfig, {}));
  service.setState('ready');
  const handler = createHttpHandler({
    service,
    maxInputSize: MAX_INPUT_SIZE,
    serverMetadata: () => ({ name: 'triton', version: 'in-process', extensions: [] }),
    tracing,
  });
  const server: Server = createServer({ requireHostHeader: false }, handler);
  const base = 'http://in-process.invalid';
  const fetch: InProcessFetch = (path, init = {}) => exchange(server, new URL(path, base), init);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      server.closeAllConnections();
      await Promise.all(service.models().map((model) => model.close()));
      await tracing.shutdown(1000);
    })());
  return { base, fetch, close, [Symbol.asyncDispose]: close };
}

/** Bodies the in-process fetch sends. */
type Body = string | Uint8Array;

/** One request over a fresh in-memory connection to `server`, answered as a fetch `Response`. */
function exchange(server: Server, url: URL, init: RequestInit): Promise<Response> {
  const body = init.body ?? undefined;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('the in-process fetch sends string or byte bodies');
  }
  const headers = Object.fromEntries(new Headers(init.headers));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: init.method ?? 'GET',
        path: url.pathname + url.search,
        headers: {
          host: url.host,
          ...headers,
          ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body as Body)) }),
        },
        createConnection: () => {
          const [client, serverSide] = duplexPair();
          server.emit('connection', serverSide);
          return client as never;
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of [value ?? []].flat()) responseHeaders.append(name, v);
          }
          const status = res.statusCode ?? 0;
          const nullBody = status === 204 || status === 304 || init.method === 'HEAD';
          resolve(new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
