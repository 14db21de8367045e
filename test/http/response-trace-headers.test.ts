/**
 * `responseTraceHeaders`: HTTP inference responses carry `Server-Timing` with the queue, compute and total
 * durations, and `traceparent` naming the root span of a traced request (checked against the exported span);
 * nothing of it by default.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { DynamicBatcher, type InferFunc, ModelConfig, Tensor, type Triton } from '../../src/index.ts';
import { otlpTraceConfig, startTriton } from '../helpers/server.ts';
import { findSpan, type OtlpReceiver, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c12666c';

const slow: InferFunc = async (requests) => {
  await sleep(20);
  return requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));
};

async function startServer(responseTraceHeaders: boolean | undefined, receiver?: OtlpReceiver): Promise<Triton> {
  const server = await startTriton({
    env: {},
    config: {
      allowGrpc: false,
      ...(responseTraceHeaders !== undefined && { responseTraceHeaders }),
      ...(receiver && { traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] }),
    },
    models: [
      {
        modelName: 'slow',
        inferFunc: slow,
        inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [1] })],
        outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      },
    ],
  });
  return server.triton;
}

async function infer(triton: Triton, headers: Record<string, string> = {}, datatype = 'INT32'): Promise<Response> {
  const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/slow/infer`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype, shape: [1], data: [1] }] }),
  });
  await response.arrayBuffer();
  return response;
}

/** `queue;dur=1.2, compute;dur=3.4, total;dur=5.6` as numbers by metric name. */
function serverTiming(header: string | null): Record<string, number> {
  assert.ok(header, 'Server-Timing is set');
  const out: Record<string, number> = {};
  for (const entry of header.split(',')) {
    const match = /^\s*([a-z]+);dur=(\d+(?:\.\d+)?)\s*$/.exec(entry);
    assert.ok(match, `Server-Timing entry ${JSON.stringify(entry)}`);
    out[match[1]!] = Number(match[2]);
  }
  return out;
}

describe('response trace headers', () => {
  it('a traced request: traceparent names its InferRequest span; Server-Timing gives queue, compute and total', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await startServer(true, receiver);
    try {
      const response = await infer(triton, { traceparent: `00-${CLIENT_TRACE}-b7ad6b7169242424-01` });
      assert.equal(response.status, 200);
      const spans = await receiver.waitForSpans(4);
      const root = findSpan(spans, 'InferRequest');
      assert.equal(root.traceId, CLIENT_TRACE);
      assert.equal(response.headers.get('traceparent'), `00-${CLIENT_TRACE}-${root.spanId}-01`);
      const timing = serverTiming(response.headers.get('server-timing'));
      assert.deepEqual(Object.keys(timing), ['queue', 'compute', 'total']);
      assert.ok(timing.compute! >= 19, `compute ${timing.compute} ms covers the 20 ms infer function`);
      assert.ok(timing.total! >= timing.compute!, `total ${timing.total} >= compute ${timing.compute}`);
      // A request without a propagated context starts a trace of its own, and says which.
      const own = await infer(triton);
      const [, traceId, spanId, flags] = (own.headers.get('traceparent') ?? '').split('-');
      assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
      assert.notEqual(traceId, CLIENT_TRACE);
      assert.equal(flags, '01');
      const ownRoot = (await receiver.waitForSpans(8)).find((s) => s.name === 'InferRequest' && s.traceId === traceId);
      assert.equal(ownRoot?.spanId, spanId);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('requests batched together, on the compact and the general path: each traceparent names its exported root', async () => {
    const receiver = await startOtlpReceiver();
    await using server = await startTriton({
      env: {},
      config: {
        allowGrpc: false,
        responseTraceHeaders: true,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
      models: [
        {
          modelName: 'gathered',
          // Model code using request.span takes the general path.
          inferFunc: (requests) =>
            requests.map(
              (r) => (r.parameters.touch && r.span.setAttribute('touched', true), { OUTPUT0: r.data.INPUT0! }),
            ),
          inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [1] })],
          outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [1] })],
          // The batch leaves when its 4 rows are there.
          config: ModelConfig({ maxBatchSize: 4, batcher: DynamicBatcher({ maxQueueDelayMicroseconds: 30_000_000 }) }),
        },
      ],
    });
    try {
      const responses = await Promise.all(
        [false, true, false, true].map((touch) =>
          fetch(`${server.http}/v2/models/gathered/infer`, {
            method: 'POST',
            body: JSON.stringify({
              inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 1], data: [1] }],
              parameters: { touch },
            }),
          }),
        ),
      );
      const spans = await receiver.waitForSpans(4 * 4 + 1);
      const batch = findSpan(spans, 'batch gathered');
      for (const response of responses) {
        assert.equal(response.status, 200);
        const [, traceId, spanId] = (response.headers.get('traceparent') ?? '').split('-');
        const root = spans.find((s) => s.name === 'InferRequest' && s.traceId === traceId);
        assert.equal(root?.spanId, spanId, `the root of trace ${traceId} is the span the header names`);
        assert.ok(
          batch.links.some((l) => l.traceId === traceId),
          'the batch span links into the same trace',
        );
      }
    } finally {
      await server.stop();
      await receiver.close();
    }
  });

  it('a failed traced request still names its trace, without Server-Timing', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await startServer(true, receiver);
    try {
      const response = await infer(triton, {}, 'FP32');
      assert.equal(response.status, 400);
      assert.match(response.headers.get('traceparent') ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.equal(response.headers.get('server-timing'), null);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('without tracing: Server-Timing only', async () => {
    const triton = await startServer(true);
    try {
      const response = await infer(triton);
      assert.equal(response.headers.get('traceparent'), null);
      assert.ok(serverTiming(response.headers.get('server-timing')).compute! >= 19);
    } finally {
      await triton.stop();
    }
  });

  it('by default: neither header, traced or not', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await startServer(undefined, receiver);
    try {
      const response = await infer(triton, { traceparent: `00-${CLIENT_TRACE}-b7ad6b7169242424-01` });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('traceparent'), null);
      assert.equal(response.headers.get('server-timing'), null);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });
});
