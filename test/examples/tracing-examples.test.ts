import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type OtlpReceiver, type OtlpSpan, findSpan, parentMap, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { startOtlpGrpcReceiver } from '../fixtures/otlp-grpc-receiver.ts';
import { startExample } from '../helpers/example-process.ts';

const run = promisify(execFile);

/** The guide's trace configuration, exporting to `url`. */
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

const SERVER_TREE = {
  InferRequest: ['passthrough'],
  passthrough: ['compute'],
  compute: ['infer_callable'],
};

const USER_SPANS = { infer_callable: ['pass-through-append', 'pass-through-get-data', 'pass-through-sleep'] };

/** Starts `script` tracing to the receiver, sends the guide's request (or runs `client`), stops it, returns spans. */
async function spansOf(receiver: OtlpReceiver, kind: string, script: string, client?: string): Promise<OtlpSpan[]> {
  receiver.clear();
  const server = await startExample(script, {
    TS_TRITON_TRACE_CONFIG: traceConfig(receiver.url),
    EXAMPLE_INSTANCE_KIND: kind,
  });
  try {
    if (client) {
      const { stdout } = await run(process.execPath, [client], {
        env: { ...process.env, SERVER_URL: server.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url },
      });
      assert.match(stdout, /model_name: 'passthrough'/);
    } else {
      const response = await fetch(`${server.url}/v2/models/passthrough/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sleep: 0.001, error: false }),
      });
      assert.equal(response.status, 200);
    }
  } finally {
    assert.equal(await server.stop(), 0, server.log());
  }
  return receiver.spans;
}

function assertServerResource(spans: OtlpSpan[]): void {
  const root = findSpan(spans, 'InferRequest');
  assert.equal(root.resource['service.name'], 'test_server_with_passthrough');
  assert.equal(root.resource['test.key'], 'test.value');
}

// The same span trees whether the model runs on the main thread or on a worker thread.
for (const kind of ['KIND_CPU', 'KIND_WORKER'])
  describe(`tracing examples, ${kind}`, () => {
    let receiver: OtlpReceiver;
    before(async () => {
      receiver = await startOtlpReceiver();
    });
    after(() => receiver.close());

    it('examples/passthrough exports InferRequest → passthrough → compute → infer_callable', async () => {
      const spans = await spansOf(receiver, kind, 'examples/passthrough/server.ts');
      assert.deepEqual(parentMap(spans), SERVER_TREE);
      assert.equal(spans.length, 4);
      assertServerResource(spans);
    });

    it('examples/traced-span nests the three pass-through spans under infer_callable, within its time', async () => {
      const spans = await spansOf(receiver, kind, 'examples/traced-span/server.ts');
      assert.deepEqual(parentMap(spans), { ...SERVER_TREE, ...USER_SPANS });
      assertServerResource(spans);
      // On a worker thread too: its clock's wall-time offset is its own reading of the same clocks (≤ 50 µs apart).
      const callable = findSpan(spans, 'infer_callable');
      const slack = 50_000n;
      for (const name of USER_SPANS.infer_callable) {
        const span = findSpan(spans, name);
        assert.ok(
          span.startTimeUnixNano + slack >= callable.startTimeUnixNano &&
            span.endTimeUnixNano <= callable.endTimeUnixNano + slack,
          `${name} [${span.startTimeUnixNano}, ${span.endTimeUnixNano}] within infer_callable [${callable.startTimeUnixNano}, ${callable.endTimeUnixNano}]`,
        );
      }
    });

    it('examples/otel-api nests its OpenTelemetry API spans under infer_callable', async () => {
      const spans = await spansOf(receiver, kind, 'examples/otel-api/server.ts');
      assert.deepEqual(parentMap(spans), { ...SERVER_TREE, ...USER_SPANS });
      assertServerResource(spans);
    });

    it("examples/client-propagation puts the server's spans under the client's outgoing-request", async () => {
      const spans = await spansOf(
        receiver,
        kind,
        'examples/traced-span/server.ts',
        'examples/client-propagation/client.ts',
      );
      assert.deepEqual(parentMap(spans), {
        'outgoing-request': ['POST'],
        POST: ['InferRequest'],
        ...SERVER_TREE,
        ...USER_SPANS,
      });
      const outgoing = findSpan(spans, 'outgoing-request');
      assert.equal(outgoing.resource['service.name'], 'upstream-service');
      assert.equal(outgoing.parentSpanId, '');
      assert.ok(
        spans.every((s) => s.traceId === outgoing.traceId),
        'one trace from client to server',
      );
      assertServerResource(spans);
    });
  });

describe('tracing examples against any collector, through the OTEL_EXPORTER_OTLP_* environment only', () => {
  /** Starts `script` unchanged with `env`, sends the guide's request, stops it. */
  async function runExample(script: string, env: Record<string, string>): Promise<void> {
    const server = await startExample(script, { OTEL_BSP_SCHEDULE_DELAY: '10', ...env });
    try {
      const response = await fetch(`${server.url}/v2/models/passthrough/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sleep: 0.001, error: false }),
      });
      assert.equal(response.status, 200);
    } finally {
      assert.equal(await server.stop(), 0, server.log());
    }
  }

  it('examples/traced-span exports over gRPC to OTEL_EXPORTER_OTLP_ENDPOINT with OTEL_EXPORTER_OTLP_PROTOCOL=grpc', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      await runExample('examples/traced-span/server.ts', {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      });
      const spans = await receiver.waitForSpans(7);
      assert.deepEqual(parentMap(spans), { ...SERVER_TREE, ...USER_SPANS });
      assertServerResource(spans);
    } finally {
      await receiver.close();
    }
  });

  it('examples/passthrough exports OTLP/JSON to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces', async () => {
    const receiver = await startOtlpReceiver();
    try {
      await runExample('examples/passthrough/server.ts', {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      });
      const spans = await receiver.waitForSpans(4);
      assert.deepEqual(parentMap(spans), SERVER_TREE);
      assert.ok(receiver.requests.every((request) => request.contentType === 'application/json'));
    } finally {
      await receiver.close();
    }
  });
});
