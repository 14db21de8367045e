/**
 * Less or more detail on demand: `opentelemetry,detail=full|model|root` (compact and general path, HTTP and
 * gRPC), `opentelemetry,honor_sampled` (a traceparent with sampled=0 is traced by default, as Triton does, and
 * not traced when honoured), and per-model trace rates under a reduced detail. Decoded by the fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { doubleModel } from '../fixtures/models/double.ts';
import type { Triton } from '../../src/index.ts';
import { otlpTraceConfig, startTriton } from '../helpers/server.ts';
import { parseTraceConfig } from '../../src/tracing/trace-config.ts';
import { type OtlpReceiver, type OtlpSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';

const TREES = {
  full: ['InferRequest', 'compute', 'double', 'infer_callable'],
  model: ['InferRequest', 'double'],
  root: ['InferRequest'],
} as const;

async function startServer(receiver: OtlpReceiver, extra: readonly string[]): Promise<Triton> {
  const server = await startTriton({
    config: { traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url), ...extra] },
    models: [doubleModel(2, 'double'), doubleModel(2, 'other')],
  });
  return server.triton;
}

/** An HTTP inference request to `model` with `headers`. */
async function infer(triton: Triton, model: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/${model}/infer`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
  });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
}

/** Waits for the root span of a request to `model` over HTTP, and returns every span received by then. */
async function spansUpTo(receiver: OtlpReceiver, model: string): Promise<OtlpSpan[]> {
  for (let n = 1; ; n++) {
    const spans = await receiver.waitForSpans(n);
    if (spans.some((s) => s.name === 'InferRequest' && s.attributes['url.path'] === `/v2/models/${model}/infer`))
      return spans;
  }
}

for (const detail of ['full', 'model', 'root'] as const) {
  describe(`opentelemetry,detail=${detail}`, () => {
    let receiver: OtlpReceiver;
    let triton: Triton;

    before(async () => {
      receiver = await startOtlpReceiver();
      triton = await startServer(receiver, detail === 'full' ? [] : [`opentelemetry,detail=${detail}`]);
    });

    after(async () => {
      await triton.stop();
      await receiver.close();
    });

    for (const url of ['http', 'grpc'] as const) {
      for (const touch of [false, true]) {
        it(`exports ${TREES[detail].join(', ')} (${url}, ${touch ? 'general' : 'compact'} path), each under its parent`, async () => {
          receiver.clear();
          const port = url === 'http' ? triton.httpPort : triton.grpcPort;
          await using client = new ModelClient(`${url}://127.0.0.1:${port}`, 'double');
          await client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch } });
          // A request to the other model after it: once its root is in, every span of the first is.
          await infer(triton, 'other');
          const all = await spansUpTo(receiver, 'other');
          const root = all.find(
            (s) => s.name === 'InferRequest' && s.attributes['url.path'] !== '/v2/models/other/infer',
          )!;
          const spans = all.filter((s) => s.traceId === root.traceId);
          assert.deepEqual(spans.map((s) => s.name).sort(), [...TREES[detail]]);
          const ids = new Set(spans.map((s) => s.spanId));
          for (const span of spans)
            if (span !== root) assert.ok(ids.has(span.parentSpanId), `${span.name}'s parent is exported`);
          if (detail !== 'root')
            assert.equal(spans.find((s) => s.name === 'double')!.attributes['triton.model_name'], 'double');
        });
      }
    }
  });
}

describe('per-model trace rates under opentelemetry,detail=root', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = await startServer(receiver, ['opentelemetry,detail=root']);
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  it('traces every 3rd request of a model whose setting says trace_rate=3, the others at the global rate', async () => {
    const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/double/trace/setting`, {
      method: 'POST',
      body: JSON.stringify({ trace_rate: '3' }),
    });
    assert.equal(response.status, 200);
    receiver.clear();
    for (let i = 0; i < 7; i++) await infer(triton, 'double');
    await infer(triton, 'other');
    const spans = await spansUpTo(receiver, 'other');
    const roots = spans.filter((s) => s.attributes['url.path'] === '/v2/models/double/infer');
    assert.equal(roots.length, 2, 'the 3rd and 6th of 7 requests');
    assert.ok(spans.every((s) => s.name === 'InferRequest'));
  });
});

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

for (const honor of [false, true]) {
  describe(honor ? 'opentelemetry,honor_sampled=true' : 'without honor_sampled (Triton)', () => {
    let receiver: OtlpReceiver;
    let triton: Triton;

    before(async () => {
      receiver = await startOtlpReceiver();
      triton = await startServer(receiver, ['rate=1000000', ...(honor ? ['opentelemetry,honor_sampled=true'] : [])]);
    });

    after(async () => {
      await triton.stop();
      await receiver.close();
    });

    it(`${honor ? 'does not trace' : 'traces'} a request whose traceparent has sampled=0, and traces sampled=1`, async () => {
      receiver.clear();
      await infer(triton, 'double', { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` });
      const sampledTrace = TRACE_ID.replace(/^0/, '1');
      await infer(triton, 'other', { traceparent: `00-${sampledTrace}-${PARENT_ID}-01` });
      const spans = await spansUpTo(receiver, 'other');
      assert.ok(
        spans.some((s) => s.traceId === sampledTrace),
        'the sampled request is traced',
      );
      assert.equal(
        spans.some((s) => s.traceId === TRACE_ID),
        !honor,
      );
    });
  });
}

describe('the detail and honor_sampled settings', () => {
  it('default to full and false', () => {
    const { otel } = parseTraceConfig(['mode=opentelemetry'], {});
    assert.equal(otel.detail, 'full');
    assert.equal(otel.honorSampled, false);
    const set = parseTraceConfig(
      ['mode=opentelemetry', 'opentelemetry,detail=root', 'opentelemetry,honor_sampled=true'],
      {},
    ).otel;
    assert.equal(set.detail, 'root');
    assert.equal(set.honorSampled, true);
  });

  it('refuse another value with a message naming the setting and its values', () => {
    assert.throws(() => parseTraceConfig(['mode=opentelemetry', 'opentelemetry,detail=all'], {}), {
      message:
        'Bad option: "--trace-config opentelemetry,detail".\ninvalid value for detail: all. Available options are "full", "model" and "root"',
    });
    assert.throws(() => parseTraceConfig(['mode=opentelemetry', 'opentelemetry,honor_sampled=yes'], {}), {
      message:
        'Bad option: "--trace-config opentelemetry,honor_sampled".\ninvalid value for honor_sampled: yes. Available options are "false" and "true"',
    });
  });
});

for (const detail of ['full', 'model'] as const) {
  describe(`opentelemetry,events=false with detail=${detail}`, () => {
    let receiver: OtlpReceiver;
    let triton: Triton;

    before(async () => {
      receiver = await startOtlpReceiver();
      triton = await startServer(receiver, ['opentelemetry,events=false', `opentelemetry,detail=${detail}`]);
    });

    after(async () => {
      await triton.stop();
      await receiver.close();
    });

    for (const url of ['http', 'grpc'] as const) {
      for (const touch of [false, true]) {
        it(`exports ${TREES[detail].join(', ')} without events, attributes kept (${url}, ${touch ? 'general' : 'compact'} path)`, async () => {
          receiver.clear();
          const port = url === 'http' ? triton.httpPort : triton.grpcPort;
          await using client = new ModelClient(`${url}://127.0.0.1:${port}`, 'double');
          await client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch } });
          await infer(triton, 'other');
          const all = await spansUpTo(receiver, 'other');
          const root = all.find(
            (s) => s.name === 'InferRequest' && s.attributes['url.path'] !== '/v2/models/other/infer',
          )!;
          const spans = all.filter((s) => s.traceId === root.traceId);
          assert.deepEqual(spans.map((s) => s.name).sort(), [...TREES[detail]]);
          for (const span of spans) assert.deepEqual(span.events, [], `${span.name} has no events`);
          assert.equal(spans.find((s) => s.name === 'double')!.attributes['triton.model_name'], 'double');
          assert.ok(root.attributes[url === 'http' ? 'http.route' : 'rpc.method'] !== undefined);
          if (touch && detail === 'full')
            assert.equal(spans.find((s) => s.name === 'infer_callable')!.attributes['touched'], true);
        });
      }
    }
  });
}

describe('events are kept by default', () => {
  it('as Triton exports them', () => {
    assert.equal(parseTraceConfig(['mode=opentelemetry'], {}).otel.events, true);
    assert.equal(parseTraceConfig(['mode=opentelemetry', 'opentelemetry,events=false'], {}).otel.events, false);
    assert.throws(() => parseTraceConfig(['mode=opentelemetry', 'opentelemetry,events=no'], {}), {
      message:
        'Bad option: "--trace-config opentelemetry,events".\ninvalid value for events: no. Available options are "true" and "false"',
    });
  });
});
