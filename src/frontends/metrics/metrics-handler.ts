/**
 * The metrics endpoint's request handler: `GET /metrics` renders a registry in the Prometheus text format, or
 * in the OpenMetrics format (with exemplars) when the scraper's `Accept` asks for it; any other path is 404
 * and any other method 405.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type OpenMetricsContentType, Registry } from 'prom-client';
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
    void scrape(registry, res, acceptsOpenMetrics(req.headers.accept));
  };
}

/** Whether an `Accept` header lists the OpenMetrics text format (with a quality above 0), as Prometheus sends. */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'application/openmetrics-text' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

type RenderableMetric = Parameters<Registry['registerMetric']>[0] & { readonly type?: string };

/**
 * `registry` in the OpenMetrics text format. Rendered through a registry of that format over the same metric
 * objects; `Registry.metrics()` itself is not used, because it renames counters ending in `_total` in place,
 * which would change the Prometheus text of every later scrape.
 */
export async function openMetricsText(registry: Registry): Promise<string> {
  const view = new Registry<OpenMetricsContentType>() as Registry<OpenMetricsContentType> & {
    getMetricsAsString(metric: unknown): Promise<string>;
  };
  view.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const parts = await Promise.all(
    (registry.getMetricsAsArray() as unknown as RenderableMetric[]).map((metric) =>
      view.getMetricsAsString(metric.type === 'counter' ? counterWithoutTotal(metric) : metric),
    ),
  );
  return `${parts.join('\n')}\n# EOF\n`;
}

/** A counter whose samples are named without `_total` (the OpenMetrics renderer adds it). */
function counterWithoutTotal(metric: RenderableMetric): { get(): Promise<unknown> } {
  return {
    async get() {
      const data = (await metric.get()) as { name: string };
      return { ...data, name: data.name.replace(/_total$/, '') };
    },
  };
}

async function scrape(registry: Registry, res: ServerResponse, openMetrics: boolean): Promise<void> {
  try {
    const body = openMetrics ? await openMetricsText(registry) : await registry.metrics();
    sendText(res, 200, body, {
      'Content-Type': openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : registry.contentType,
    });
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
