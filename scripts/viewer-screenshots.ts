/**
 * Takes the viewer screenshots of docs/images from the real page: a trace viewer on free ports, filled by the
 * guide's traced-span example server (traced into the viewer) with a run of requests and the client-propagation
 * client, photographed by Debian's Chromium through playwright-core.
 *
 * Run: node scripts/viewer-screenshots.ts   (writes docs/images/viewer-search.png, viewer-trace.png, viewer-models.png)
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startExample } from '../test/helpers/example-process.ts';
import { startTraceViewer } from '../src/viewer/trace-viewer.ts';
import { DEFAULT_TRACE_VIEWER } from '../src/viewer/viewer-settings.ts';
import { buildViewer } from './build-viewer.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const images = join(root, 'docs', 'images');

await buildViewer();
const viewer = await startTraceViewer({ ...DEFAULT_TRACE_VIEWER, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
const server = await startExample(join(root, 'examples/traced-span/server.ts'), {
  TS_TRITON_TRACE_CONFIG: JSON.stringify([
    'level=TIMESTAMPS',
    'rate=1',
    'mode=opentelemetry',
    `opentelemetry,url=${viewer.otlpHttpUrl}`,
    'opentelemetry,resource=service.name=test_server_with_passthrough',
    'opentelemetry,resource=test.key=test.value',
    'opentelemetry,bsp_schedule_delay=10',
  ]),
});
const profile = await mkdtemp(join(tmpdir(), 'ts-triton-shots-'));
try {
  const infer = (seconds: number, error = false): Promise<Response> =>
    fetch(`${server.url}/v2/models/passthrough/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sleep: seconds, error }),
    });
  // Requests over a few seconds: single ones of varied length, bursts that share executions, two failures.
  for (let i = 0; i < 24; i++) {
    if (i % 6 === 5) await Promise.all(Array.from({ length: 4 + (i % 4) }, () => infer(0.004)));
    else await infer(0.001 + ((i * 7) % 11) / 1000, i === 9 || i === 22);
    await sleep(150);
  }
  const client = async (): Promise<void> => {
    await run(process.execPath, [join(root, 'examples/client-propagation/client.ts')], {
      env: { ...process.env, SERVER_URL: server.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: viewer.otlpHttpUrl },
    });
  };
  await client();
  await sleep(500);
  const guide = viewer.store.search({ service: 'upstream-service', limit: 1 })[0];
  if (!guide) throw new Error('the client-propagation trace did not arrive');

  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    viewport: { width: 1360, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);

  await page.goto(`${viewer.url}search?service=test_server_with_passthrough&lookback=15m&limit=40`);
  await page.locator('.scatter circle').first().waitFor();
  await page.screenshot({ path: join(images, 'viewer-search.png') });

  const inferRequest = guide.find((s) => s.name === 'InferRequest')!;
  await page.goto(`${viewer.url}trace/${guide[0]!.traceId}`);
  await page
    .locator('.wf-row')
    .nth(guide.length - 1)
    .waitFor();
  await page.click(`.wf-row[data-span-id="${inferRequest.spanId}"]`);
  await page.locator('.wf-detail .rank').filter({ hasText: /\S/ }).waitFor();
  // The client's first call includes its connection set-up; zoomed into the server's part, its spans are legible.
  await page.click('.wf-detail .zoom-span');
  await page.locator('.zoom-note').waitFor();
  await page.screenshot({ path: join(images, 'viewer-trace.png'), fullPage: true });

  await page.setViewportSize({ width: 1360, height: 560 });
  await page.goto(`${viewer.url}models`);
  await page.locator('.model-card .batch-chart').waitFor();
  await page.screenshot({ path: join(images, 'viewer-models.png'), fullPage: true });
  await context.close();
  console.log(`screenshots written to ${images}`);
} finally {
  await rm(profile, { recursive: true, force: true });
  await server.stop();
  await viewer.close();
}
