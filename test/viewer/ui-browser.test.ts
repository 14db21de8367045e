/**
 * The viewer's page in a real browser (Debian's Chromium through playwright-core), against the real viewer
 * component on port 0, filled by a real ts-triton server (the guide's traced-span example, traced into the
 * viewer's OTLP/HTTP receiver) and the guide's client-propagation client: search, open the guide's trace, see every
 * span of the client-propagation tree with its events, collapse and expand, follow a link, download the trace as
 * OTLP JSON and open the file again; new traces appear on the open search page; compare and models pages.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildViewer, VIEWER_ASSETS_DIR } from '../../scripts/build-viewer.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';
import { startTraceViewer, type TraceViewer } from '../../src/viewer/trace-viewer.ts';
import { DEFAULT_TRACE_VIEWER } from '../../src/viewer/viewer-settings.ts';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';
import { within } from '../helpers/within.ts';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const DEADLINE = 15_000;

/** The client-propagation tree: the client's two spans, then the server's (traced-span example). */
const GUIDE_SPANS = [
  'outgoing-request',
  'POST',
  'InferRequest',
  'passthrough',
  'compute',
  'infer_callable',
  'pass-through-get-data',
  'pass-through-sleep',
  'pass-through-append',
];
const INFER_REQUEST_EVENTS = [
  'HTTP_RECV_START',
  'HTTP_RECV_END',
  'INFER_RESPONSE_COMPLETE',
  'HTTP_SEND_START',
  'HTTP_SEND_END',
];
const COMPUTE_EVENTS = ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END'];

const traceConfig = (url: string): string =>
  JSON.stringify([
    'level=TIMESTAMPS',
    'rate=1',
    'mode=opentelemetry',
    `opentelemetry,url=${url}`,
    'opentelemetry,resource=service.name=test_server_with_passthrough',
    'opentelemetry,resource=test.key=test.value',
    'opentelemetry,bsp_schedule_delay=10',
  ]);

/** Resolves with the first stored trace `pick` accepts, waiting for arrivals (the store's subscribe) until the deadline. */
async function storedTrace(
  viewer: TraceViewer,
  pick: (spans: SpanRecord[][]) => SpanRecord[] | undefined,
  what: string,
): Promise<SpanRecord[]> {
  const check = (): SpanRecord[] | undefined => pick(viewer.store.search({ limit: 1000 }));
  const found = check();
  if (found) return found;
  let unsubscribe = (): void => {};
  try {
    return await within(
      new Promise<SpanRecord[]>((resolve) => {
        unsubscribe = viewer.store.subscribe(() => {
          const now = check();
          if (now) resolve(now);
        });
      }),
      DEADLINE,
      what,
    );
  } finally {
    unsubscribe();
  }
}

async function infer(server: ExampleProcess): Promise<void> {
  const response = await fetch(`${server.url}/v2/models/passthrough/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sleep: 0.001, error: false }),
  });
  assert.equal(response.status, 200);
}

describe(
  'viewer page in Chromium',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (.ci/run installs it)` },
  () => {
    let viewer: TraceViewer;
    let server: ExampleProcess;
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    let guide: SpanRecord[];
    let guideId: string;
    let linkingTraceId: string;

    before(async () => {
      if (!existsSync(join(VIEWER_ASSETS_DIR, 'index.html'))) await buildViewer();
      viewer = await startTraceViewer({ ...DEFAULT_TRACE_VIEWER, port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 });
      server = await startExample('examples/traced-span/server.ts', {
        TS_TRITON_TRACE_CONFIG: traceConfig(viewer.otlpHttpUrl),
      });
      const { stdout } = await run(process.execPath, ['examples/client-propagation/client.ts'], {
        env: { ...process.env, SERVER_URL: server.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: viewer.otlpHttpUrl },
        timeout: DEADLINE,
      });
      assert.match(stdout, /model_name: 'passthrough'/);
      guide = await storedTrace(
        viewer,
        (traces) =>
          traces.find(
            (t) => t.some((s) => s.resource.serviceName === 'upstream-service') && t.length === GUIDE_SPANS.length,
          ),
        "the guide's client-propagation trace",
      );
      guideId = guide[0]!.traceId;
      // Another service's span linked to the guide's InferRequest span (an OTLP link), sent as OTLP JSON.
      const inferRequest = guide.find((s) => s.name === 'InferRequest')!;
      linkingTraceId = 'f'.repeat(16) + guideId.slice(16);
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const exported = await fetch(viewer.otlpHttpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'batch-auditor' } }] },
              scopeSpans: [
                {
                  scope: { name: 'auditor' },
                  spans: [
                    {
                      traceId: linkingTraceId,
                      spanId: '1111111111111111',
                      name: 'audit-request',
                      kind: 1,
                      startTimeUnixNano: String(nowNs),
                      endTimeUnixNano: String(nowNs + 2_000_000n),
                      links: [
                        {
                          traceId: guideId,
                          spanId: inferRequest.spanId,
                          attributes: [{ key: 'reason', value: { stringValue: 'audited' } }],
                        },
                      ],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      assert.equal(exported.status, 200);
      profile = await mkdtemp(join(tmpdir(), 'ts-triton-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
        viewport: { width: 1400, height: 900 },
        acceptDownloads: true,
        timeout: DEADLINE,
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(DEADLINE);
      page.on('pageerror', (error) => assert.fail(`page error: ${error.message}`));
    });

    after(async () => {
      await context?.close();
      if (profile) await rm(profile, { recursive: true, force: true });
      if (server) assert.equal(await server.stop(), 0, server.log());
      await viewer?.close();
    });

    it("searches by service and shows the guide's trace in the list and the scatter plot; new traces appear live", async () => {
      await page.goto(viewer.url);
      await page.locator('select[name=service] option[value="upstream-service"]').waitFor({ state: 'attached' });
      await page.selectOption('select[name=service]', 'upstream-service');
      await page.locator('select[name=operation] option[value="outgoing-request"]').waitFor({ state: 'attached' });
      await page.click('button[type=submit]');
      await page.waitForURL(/\/search\?service=upstream-service/);
      const result = page.locator(`.result[data-trace-id="${guideId}"]`);
      await result.waitFor();
      assert.match(await result.innerText(), /upstream-service\s+outgoing-request[\s\S]*9 spans/);
      await page.locator(`.scatter circle[data-trace-id="${guideId}"]`).waitFor();

      // Attribute and duration filters from the form (one span must meet them all): the client's POST span has the
      // response's status code; no span of upstream-service lasts an hour.
      await page.fill('input[name=tags]', 'http.response.status_code=200');
      await page.click('button[type=submit]');
      await page.waitForURL(/tags=http\.response\.status_code%3D200/);
      await page.locator(`.result[data-trace-id="${guideId}"]`).waitFor();
      await page.fill('input[name=minDuration]', '1h');
      await page.click('button[type=submit]');
      await page.waitForURL(/minDuration=1h/);
      await page.locator('.search-status', { hasText: /^0 traces$/ }).waitFor();

      // Live: a request sent while the page is open shows up without a reload, marked new.
      await page.goto(`${viewer.url}search?service=test_server_with_passthrough&lookback=1h`);
      await page.locator('.result').first().waitFor();
      const before = await page.locator('.result').count();
      await infer(server);
      await page.locator('.result.fresh').waitFor();
      assert.equal(await page.locator('.result').count(), before + 1);
      assert.match(await page.locator('.search-status').innerText(), /1 new/);
    });

    it('opens the trace: every span of the client-propagation tree, its events, phases, details, collapse and expand', async () => {
      await page.goto(`${viewer.url}search?service=upstream-service`);
      await page.click(`.result[data-trace-id="${guideId}"] .result-link`);
      await page.waitForURL(new RegExp(`/trace/${guideId}$`));
      await page
        .locator('.wf-row')
        .nth(GUIDE_SPANS.length - 1)
        .waitFor();
      const names = await page
        .locator('.wf-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-operation')));
      assert.deepEqual(names.slice(0, 6), GUIDE_SPANS.slice(0, 6));
      assert.deepEqual([...names.slice(6)].sort(), GUIDE_SPANS.slice(6).sort());
      const marks = (op: string) =>
        page
          .locator(`.wf-row[data-operation="${op}"] .wf-event`)
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-event')));
      assert.deepEqual(await marks('InferRequest'), INFER_REQUEST_EVENTS);
      assert.deepEqual(await marks('compute'), COMPUTE_EVENTS);
      assert.equal(await page.locator('.wf-row[data-operation="POST"] .kind').innerText(), 'client');
      assert.ok((await page.locator('.wf-critical').count()) > 0, 'the critical path is drawn');
      // The inference phases of the request, from the span events.
      const phases = await page
        .locator('[data-testid=phases] .phase-key')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')));
      assert.deepEqual(phases, ['receive', 'queue', 'computeInput', 'infer', 'computeOutput', 'send', 'other']);

      // A span's details: events, attributes, resource, the duration's rank among its operation's spans.
      await page.click('.wf-row[data-operation="InferRequest"]');
      const detail = page.locator(`.wf-detail[data-span-id="${guide.find((s) => s.name === 'InferRequest')!.spanId}"]`);
      await detail.waitFor();
      const eventNames = await detail
        .locator('table.events tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event')));
      assert.deepEqual(eventNames, INFER_REQUEST_EVENTS);
      assert.match(await detail.innerText(), /test\.key\s+test\.value/);
      await detail.locator('.rank', { hasText: /stored span|spans$/ }).waitFor();
      // The parent (the client's POST span, another service) is focused in place, its details open.
      await detail.locator('.fact a.span-link').click();
      await page.locator('.wf-row.focused[data-operation="POST"]').waitFor();
      await page.locator(`.wf-detail[data-span-id="${guide.find((s) => s.name === 'POST')!.spanId}"]`).waitFor();
      assert.match(page.url(), new RegExp(`/trace/${guideId}$`));
      // Zoom to the span: its bar fills the ruler; the whole trace again after.
      await detail.locator('.zoom-span').click();
      await page.locator('.zoom-note').waitFor();
      const widths = await page
        .locator('.wf-row[data-operation="InferRequest"] .wf-track')
        .evaluate((track) => [track.clientWidth, track.querySelector('.wf-bar')!.getBoundingClientRect().width]);
      assert.ok(widths[1]! > widths[0]! * 0.9, `the zoomed bar is ${widths[1]} of ${widths[0]} px`);
      await page.click('text=Show whole trace');
      await page.locator('.zoom-note').waitFor({ state: 'hidden' });

      // Collapse InferRequest: its six descendants hide; expand: they are back.
      await page.click('.wf-row[data-operation="InferRequest"] .wf-toggle');
      await page.locator('.wf-row[data-operation="compute"]').waitFor({ state: 'hidden' });
      assert.equal(await page.locator('.wf-row:visible').count(), 3);
      await page.click('.wf-row[data-operation="InferRequest"] .wf-toggle');
      await page.locator('.wf-row[data-operation="pass-through-sleep"]').waitFor({ state: 'visible' });
      assert.equal(await page.locator('.wf-row:visible').count(), GUIDE_SPANS.length);
      // Find: the spans mentioning an event name are marked.
      await page.fill('input.find', 'compute_input_end');
      assert.equal(await page.locator('.find-count').innerText(), '1 span');
      assert.deepEqual(
        await page.locator('.wf-row.match').evaluateAll((els) => els.map((e) => e.getAttribute('data-operation'))),
        ['compute'],
      );
      await page.fill('input.find', '');
      await page.click('text=Collapse all');
      assert.equal(await page.locator('.wf-row:visible').count(), 1);
      await page.click('text=Expand all');
      assert.equal(await page.locator('.wf-row:visible').count(), GUIDE_SPANS.length);
      // The same from the keyboard: left folds, right unfolds, down moves to the next row.
      await page.focus('.wf-row[data-operation="InferRequest"]');
      await page.keyboard.press('ArrowLeft');
      await page.locator('.wf-row[data-operation="compute"]').waitFor({ state: 'hidden' });
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.locator('.wf-row:focus').getAttribute('data-operation'), 'passthrough');
      assert.equal(await page.locator('.wf-row:visible').count(), GUIDE_SPANS.length);
    });

    it("follows a span link to the linked trace's span", async () => {
      await page.goto(`${viewer.url}trace/${linkingTraceId}`);
      await page.click('.wf-row[data-operation="audit-request"]');
      const link = page.locator('ul.links a.span-link');
      const inferRequest = guide.find((s) => s.name === 'InferRequest')!;
      assert.equal(await link.getAttribute('data-span-id'), inferRequest.spanId);
      await link.click();
      await page.waitForURL(new RegExp(`/trace/${guideId}\\?span=${inferRequest.spanId}$`));
      await page.locator(`.wf-row.focused[data-span-id="${inferRequest.spanId}"]`).waitFor();
      await page.locator(`.wf-detail[data-span-id="${inferRequest.spanId}"]`).waitFor();
    });

    it('offers the spans of an open trace that arrive after it was shown', async () => {
      await page.goto(`${viewer.url}trace/${linkingTraceId}`);
      await page.locator('.wf-row[data-operation="audit-request"]').waitFor();
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const late = await fetch(viewer.otlpHttpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'batch-auditor' } }] },
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: linkingTraceId,
                      spanId: '2222222222222222',
                      parentSpanId: '1111111111111111',
                      name: 'write-report',
                      startTimeUnixNano: String(nowNs),
                      endTimeUnixNano: String(nowNs + 1_000_000n),
                    },
                  ],
                },
              ],
            },
          ],
        }),
      });
      assert.equal(late.status, 200);
      await page.click('.notice button');
      await page.locator('.wf-row[data-operation="write-report"]').waitFor();
      assert.equal(await page.locator('.wf-row').count(), 2);
    });

    it('downloads the trace as OTLP JSON and opens the downloaded file', async () => {
      await page.goto(`${viewer.url}trace/${guideId}`);
      await page.locator('.wf-row').first().waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Download OTLP JSON')]);
      assert.equal(download.suggestedFilename(), `trace-${guideId}.json`);
      const file = await download.path();
      const otlp = JSON.parse(await readFile(file, 'utf8')) as {
        resourceSpans: { scopeSpans: { spans: { traceId: string; name: string }[] }[] }[];
      };
      const spans = otlp.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      assert.deepEqual(spans.map((s) => s.name).sort(), [...GUIDE_SPANS].sort());
      assert.ok(spans.every((s) => s.traceId === guideId));

      await page.setInputFiles('input[type=file]', file);
      await page.waitForURL(new RegExp(`/trace/${guideId}\\?file=1$`));
      await page.locator('.trace-header .badge', { hasText: 'from file' }).waitFor();
      assert.equal(await page.locator('.wf-row').count(), GUIDE_SPANS.length);
      assert.deepEqual(
        await page
          .locator('.wf-row[data-operation="compute"] .wf-event')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-event'))),
        COMPUTE_EVENTS,
      );
    });

    it('compares two traces side by side and shows the models breakdown', async () => {
      await infer(server);
      const other = await storedTrace(
        viewer,
        (traces) => traces.find((t) => t.length === GUIDE_SPANS.length - 2 && t[0]!.traceId !== guideId),
        'a trace of one request',
      );
      await page.goto(`${viewer.url}compare/${guideId}/${other[0]!.traceId}`);
      await page.locator('.compare-side .waterfall').nth(1).waitFor();
      assert.match(await page.locator('.compare-table').innerText(), /outgoing-request[\s\S]*only in A/);
      assert.equal(
        await page.locator('[data-testid=compare-phases] .compare-phase-row').count(),
        2,
        "both traces' requests split into phases",
      );

      await page.goto(`${viewer.url}models`);
      const card = page.locator('.model-card[data-model="passthrough"]');
      await card.waitFor();
      const rows = await card
        .locator('tr[data-phase]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-phase')));
      assert.deepEqual(rows, ['receive', 'queue', 'computeInput', 'infer', 'computeOutput', 'send']);
      await card.locator('.batch-chart rect').first().waitFor();
    });
  },
);
