/**
 * `npm start`'s configuration (examples/passthrough with its embedded trace viewer), on free ports: the guide's
 * request, then its trace found through the viewer's query API; the client-propagation example's
 * `upstream-service` spans join the server's trace there.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';

const run = promisify(execFile);

/** The script `npm start` runs. */
function startScript(): string {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const match = /^node (\S+\.ts)$/.exec(scripts.start ?? '');
  assert.ok(match, `npm start runs ${scripts.start}`);
  return match[1]!;
}

/** A port free at the moment (the exporter's URL must name the receiver's port before the server starts). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    processID: string;
    references: { refType: string; spanID: string }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}

/** Polls `url` until `accept` takes its envelope's data (every 50 ms, at most `ms`). */
async function pollApi<T>(url: string, accept: (data: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await fetch(url);
    if (response.status === 200) {
      last = ((await response.json()) as { data: T }).data;
      if (accept(last as T)) return last as T;
    } else last = `${response.status} ${await response.text()}`;
    await delay(50);
  }
  throw new Error(`${url} did not answer as expected within ${ms} ms; last: ${JSON.stringify(last)}`);
}

describe('npm start: the passthrough example with its embedded trace viewer', () => {
  let server: ExampleProcess;
  let viewerUrl: string;
  let otlpUrl: string;

  before(async () => {
    const otlpHttpPort = await freePort();
    otlpUrl = `http://localhost:${otlpHttpPort}/v1/traces`;
    server = await startExample(
      startScript(),
      {
        TS_TRITON_TRACE_VIEWER: JSON.stringify({ port: 0, otlpHttpPort, otlpGrpcPort: 0 }),
        // The example's trace configuration, exporting to this test's receiver port.
        TS_TRITON_TRACE_CONFIG: JSON.stringify([
          'level=TIMESTAMPS',
          'rate=1',
          'mode=opentelemetry',
          `opentelemetry,url=${otlpUrl}`,
          'opentelemetry,resource=service.name=test_server_with_passthrough',
          'opentelemetry,resource=test.key=test.value',
        ]),
        OTEL_BSP_SCHEDULE_DELAY: '20',
      },
      [],
      60_000,
    );
    const started =
      /Started trace viewer at (http:\/\/127\.0\.0\.1:\d+\/) \(OTLP receivers: http:\/\/127\.0\.0\.1:(\d+)\/v1\/traces/.exec(
        server.log(),
      );
    assert.ok(started, server.log());
    assert.equal(Number(started[2]), otlpHttpPort);
    viewerUrl = started[1]!;
  });
  after(async () => {
    // When the start failed, startExample has ended the process already.
    if ((server as ExampleProcess | undefined) !== undefined) assert.equal(await server.stop(), 0, server.log());
  });

  test("the guide's request: its trace is found through the viewer's API", async () => {
    const response = await fetch(`${server.url}/v2/models/passthrough/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sleep: 0.001, error: false }),
    });
    assert.equal(response.status, 200);
    const services = await pollApi<string[]>(`${viewerUrl}api/services`, (data) =>
      data.includes('test_server_with_passthrough'),
    );
    assert.ok(services.includes('test_server_with_passthrough'));
    const [found] = await pollApi<JaegerTrace[]>(
      `${viewerUrl}api/traces?service=test_server_with_passthrough&operation=InferRequest&limit=20`,
      (data) => data.length > 0 && data[0]!.spans.length >= 4,
    );
    assert.ok(found);
    const names = found.spans.map((s) => s.operationName).sort();
    assert.deepEqual(names, ['InferRequest', 'compute', 'infer_callable', 'passthrough']);
    const byId = new Map(found.spans.map((s) => [s.spanID, s]));
    const parentName = (name: string) => {
      const span = found.spans.find((s) => s.operationName === name)!;
      return byId.get(span.references.find((r) => r.refType === 'CHILD_OF')?.spanID ?? '')?.operationName;
    };
    assert.deepEqual(
      [parentName('passthrough'), parentName('compute'), parentName('infer_callable')],
      ['InferRequest', 'passthrough', 'compute'],
    );
    assert.deepEqual(
      Object.values(found.processes).map((p) => p.serviceName),
      ['test_server_with_passthrough'],
    );
    const page = await fetch(viewerUrl);
    assert.ok(page.status === 200 || page.status === 503, `the page answers ${page.status}`);
  });

  test("the client-propagation example's upstream-service spans join the server's trace", async () => {
    const { stdout } = await run(process.execPath, ['examples/client-propagation/client.ts'], {
      env: { ...process.env, SERVER_URL: server.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl },
    });
    assert.match(stdout, /model_name: 'passthrough'/);
    const [found] = await pollApi<JaegerTrace[]>(
      `${viewerUrl}api/traces?service=upstream-service&operation=outgoing-request&limit=1`,
      (data) => data.length > 0 && data[0]!.spans.some((s) => s.operationName === 'InferRequest'),
    );
    assert.ok(found);
    const services = new Set(found.spans.map((s) => found.processes[s.processID]!.serviceName));
    assert.deepEqual([...services].sort(), ['test_server_with_passthrough', 'upstream-service']);
    assert.deepEqual(found.spans.map((s) => s.operationName).sort(), [
      'InferRequest',
      'POST',
      'compute',
      'infer_callable',
      'outgoing-request',
      'passthrough',
    ]);
  });
});
