/**
 * The metrics endpoint's request handler: `GET /metrics` renders a registry in the Prometheus text format;
 * any other path is 404 and any other method 405.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { log } from '../../logger.ts';

/** The one path the metrics endpoint serves. */
export const METRICS_PATH = '/metrics';

/**
 * Builds the request handler of a metrics server.
 * @param registry - the registry rendered on each scrape.
 */
export function createMetricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== METRICS_PATH) return sendText(res, 404, 'Not Found\n');
    if (req.method !== 'GET') return sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET' });
    void scrape(registry, res);
  };
}

async function scrape(registry: Registry, res: ServerResponse): Promise<void> {
  try {
    const body = await registry.metrics();
    sendText(res, 200, body, { 'Content-Type': registry.contentType });
  } catch (error) {
    log.error(`metrics scrape failed: ${error instanceof Error ? error.message : String(error)}`);
    sendText(res, 500, 'Internal Server Error\n');
  }
}

function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    ...headers,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
