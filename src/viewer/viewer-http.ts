/**
 * The viewer's HTTP server: the query APIs under `/api/` (src/viewer/api) and the web page, built at package
 * build time into `<package>/dist/viewer-assets/` (`index.html` and `/assets/*`). Any other GET path is a route
 * of the page, answered with index.html. When the page is not built, a 503 page says how to build it.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../logger.ts';
import { handleApi } from './api/index.ts';
import { readBody } from './read-body.ts';
import type { TraceStore } from './store/trace-store.ts';

/**
 * The built page. This module is two levels below the package root both as source (src/viewer/) and as built
 * JavaScript (dist/viewer/), so the folder is found from either.
 */
export const VIEWER_ASSETS_DIR = fileURLToPath(new URL('../../dist/viewer-assets/', import.meta.url));

/** The command that builds the page, for the 503 page. */
const BUILD_COMMAND = 'npm run build:viewer';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Settings of the viewer's HTTP server. */
export interface ViewerHttpOptions {
  /** Largest API request body (POST /api/transform), in bytes. */
  readonly maxBodyBytes: number;
  /** Where the built page is (default {@link VIEWER_ASSETS_DIR}). */
  readonly assetsDir?: string;
}

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-length': bytes.length, 'x-content-type-options': 'nosniff', ...headers });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

const notBuiltPage = (dir: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ts-triton trace viewer: page not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>The trace viewer's page is not built</h1>
<p>The viewer is running and receiving traces (its API answers under <a href="/api/services">/api/</a>), but its web page
was not found in <code>${dir.replace(/[<>&]/g, '')}</code>.</p>
<p>Build it in the package's folder with <code>${BUILD_COMMAND}</code> (<code>npm start</code>, <code>npm test</code> and
<code>npm run build</code> run it too), then reload.</p>
</body></html>
`;

/** The file under `dir` that a page path names, or undefined for a path that leaves it. */
function assetPath(dir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = normalize(join(dir, decoded));
  return file.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? file : undefined;
}

async function servePage(req: IncomingMessage, res: ServerResponse, url: URL, dir: string): Promise<void> {
  const isAsset = url.pathname.startsWith('/assets/');
  const file = isAsset ? assetPath(dir, url.pathname) : join(dir, 'index.html');
  if (file === undefined) return send(req, res, 404, { 'content-type': 'text/plain; charset=utf-8' }, 'not found\n');
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    if (isAsset)
      return send(req, res, 404, { 'content-type': 'text/plain; charset=utf-8' }, `no asset ${url.pathname}\n`);
    return send(
      req,
      res,
      503,
      { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      notBuiltPage(dir),
    );
  }
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  send(req, res, 200, { 'content-type': type, 'cache-control': 'no-cache' }, content);
}

async function handle(
  store: TraceStore,
  options: ViewerHttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://viewer');
  const method = req.method ?? 'GET';
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
    let body: Buffer | undefined;
    if (method === 'POST' || method === 'PUT') {
      body = await readBody(req, options.maxBodyBytes);
      if (body === undefined) {
        return send(
          req,
          res,
          413,
          { 'content-type': 'text/plain; charset=utf-8', connection: 'close' },
          `request body over ${options.maxBodyBytes} bytes\n`,
        );
      }
    } else req.resume();
    const answer = await handleApi(store, method, url, body);
    if (answer !== undefined) return send(req, res, answer.status, { ...answer.headers }, answer.body);
  }
  req.resume();
  if (method !== 'GET' && method !== 'HEAD') {
    return send(
      req,
      res,
      405,
      { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' },
      'Method Not Allowed\n',
    );
  }
  await servePage(req, res, url, options.assetsDir ?? VIEWER_ASSETS_DIR);
}

/** The viewer's HTTP server (not yet listening). */
export function createViewerHttpServer(store: TraceStore, options: ViewerHttpOptions): Server {
  return createServer((req, res) => {
    handle(store, options, req, res).catch((error: unknown) => {
      if (!req.complete && req.destroyed) return; // the client went away mid-body
      log.error(`trace viewer: ${req.method} ${req.url} failed: ${(error as Error).stack ?? String(error)}`);
      send(req, res, 500, { 'content-type': 'text/plain; charset=utf-8' }, 'internal error\n');
    });
  });
}
