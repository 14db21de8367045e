/**
 * Tracing never fails a request or stops the server: with the span encoder throwing (while a request's tree is
 * written, inside the response's close callback, and while model code ends its spans) and with the transport
 * throwing at export, every request is answered, over HTTP and gRPC; the errors are counted in
 * `ts_triton_trace_errors_total` and logged, and once the fault is gone, requests are traced again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { DynamicBatcher, ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { CompactRequestTrace } from '../../src/tracing/compact-request-trace.ts';
import { RecordedSpan } from '../../src/tracing/otlp/recorded-span.ts';
import { ProtoWriter } from '../../src/wire/proto-writer.ts';
import { createSocketHttpTransport } from '../../src/tracing/otlp/socket-http-transport.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

/** The value of `ts_triton_trace_errors_total` on the server's metrics endpoint. */
async function traceErrors(triton: Triton): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${triton.metricsPort}/metrics`)).text();
  const line = /^ts_triton_trace_errors_total (\d+)$/m.exec(text);
  assert.ok(line, 'the metrics endpoint exports ts_triton_trace_errors_total');
  return Number(line[1]);
}

/** Replaces `object[key]` with `replacement` until the returned function is called. */
function patch<T extends object, K extends keyof T>(object: T, key: K, replacement: T[K]): () => void {
  const original = object[key];
  object[key] = replacement;
  return () => {
    object[key] = original;
  };
}

/** Polls `read` until it satisfies `done`, for at most 5 s. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('a failing tracing pipeline', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  let previousSink: LogSink;
  const errorLines: string[] = [];

  before(async () => {
    previousSink = setLogSink((level, message) => {
      if (level === 'error') errorLines.push(message);
    });
    receiver = await startOtlpReceiver();
    triton = new Triton({
      config: {
        httpPort: 0,
        grpcPort: 0,
        metricsPort: 0,
        httpAddress: '127.0.0.1',
        grpcAddress: '127.0.0.1',
        metricsAddress: '127.0.0.1',
        exitTimeoutSecs: 5,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
    });
    triton.bind({
      modelName: 'double',
      inferFunc: (requests) =>
        requests.map((r) => {
          // Model code that uses its span: the general path, and spans ended by model code.
          if (r.parameters.spans) r.tracedSpan('inner', () => r.span.setAttribute('touched', true));
          return {
            y: new NDArray(
              'FP32',
              (r.data.x!.data as Float32Array).map((v) => 2 * v),
              r.data.x!.shape,
            ),
          };
        }),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
      config: ModelConfig({ maxBatchSize: 8 }),
    });
    triton.bind({
      modelName: 'gathered',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
      // The batch leaves when its 4 rows are there.
      config: ModelConfig({ maxBatchSize: 4, batcher: DynamicBatcher({ maxQueueDelayMicroseconds: 30_000_000 }) }),
    });
    await triton.run();
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
    setLogSink(previousSink);
  });

  /** Sends plain requests and requests whose model code opens spans, over HTTP and gRPC; checks every answer. */
  async function inferAll(): Promise<void> {
    for (const url of [`http://127.0.0.1:${triton.httpPort}`, `grpc://127.0.0.1:${triton.grpcPort}`]) {
      await using client = new ModelClient(url, 'double');
      for (const spans of [false, true, false]) {
        const parameters: Record<string, boolean> = spans ? { spans: true } : {};
        const result = await client.inferSample({ x: new Float32Array([1, 2]) }, { parameters });
        assert.deepEqual(Array.from(result.y!.data as Float32Array), [2, 4]);
      }
    }
  }

  /** After a fault is gone: a request is traced again, its four spans exported whole. */
  async function tracedAgain(): Promise<void> {
    receiver.clear();
    await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'double');
    await client.inferSample({ x: new Float32Array([1, 2]) });
    const spans = await receiver.waitForSpans(4);
    assert.deepEqual(spans.map((s) => s.name).sort(), ['InferRequest', 'compute', 'double', 'infer_callable']);
  }

  it('answers every request while the span encoder throws, and counts and logs the errors', async () => {
    const before = await traceErrors(triton);
    errorLines.length = 0;
    const restore = patch(ProtoWriter.prototype, 'beginLarge', () => {
      throw new Error('injected encoder failure');
    });
    try {
      await inferAll();
    } finally {
      restore();
    }
    // Each request's trace fails once (the compact trees as they are written, the general path's spans as
    // they end); nothing reaches a request or the process.
    const after = await traceErrors(triton);
    assert.ok(after - before >= 6, `counted ${after - before} errors for 6 traced requests`);
    assert.ok(errorLines.some((line) => line.includes('injected encoder failure')));
    await tracedAgain();
  });

  it('answers every request while the transport throws, and counts the failed exports', async () => {
    const probe = createSocketHttpTransport({ url: new URL(receiver.url), headers: async () => ({}) });
    const prototype = Object.getPrototypeOf(probe) as { send: (...args: unknown[]) => unknown };
    probe.shutdown();
    const before = await traceErrors(triton);
    receiver.clear();
    const restore = patch(prototype, 'send', () => {
      throw new Error('injected transport failure');
    });
    let receivedWhileFailing = -1;
    try {
      await inferAll();
      await eventually(
        () => traceErrors(triton),
        (count) => count > before,
      );
      receivedWhileFailing = receiver.spans.length;
    } finally {
      restore();
    }
    assert.ok((await traceErrors(triton)) > before);
    // Nothing got through while the transport threw (spans still queued then go out once it works again).
    assert.equal(receivedWhileFailing, 0);
    await tracedAgain();
  });

  // What is exported then: the failed traces send nothing, the others are whole. A throwing link fails the
  // trace that starts the batch (its batch span is never ended); a throwing join fails each member's trace,
  // and the batch span is exported without links.
  for (const [what, target, key, exported] of [
    [
      'the batch span cannot take a link',
      RecordedSpan.prototype,
      'addLink',
      ['InferRequest', 'compute', 'gathered', 'infer_callable'].flatMap((n) => [n, n, n]),
    ],
    ['a member cannot join the batch', CompactRequestTrace.prototype, 'joinBatch', ['batch gathered']],
  ] as const) {
    it(`answers a batch's requests when ${what}, and counts the errors`, async () => {
      const before = await traceErrors(triton);
      receiver.clear();
      const restore = patch(target as unknown as Record<string, unknown>, key, () => {
        throw new Error(`injected failure: ${what}`);
      });
      try {
        await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'gathered');
        const results = await Promise.all([0, 1, 2, 3].map((i) => client.inferSample({ x: new Float32Array([i, i]) })));
        assert.deepEqual(
          results.map((r) => Array.from(r.y!.data as Float32Array)),
          [
            [0, 0],
            [1, 1],
            [2, 2],
            [3, 3],
          ],
        );
      } finally {
        restore();
      }
      assert.ok((await traceErrors(triton)) > before, 'the failure is counted');
      const spans = await receiver.waitForSpans(exported.length);
      assert.deepEqual(spans.map((s) => s.name).sort(), [...exported].sort());
      assert.ok(spans.every((s) => s.links.length === 0));
      await tracedAgain();
    });
  }
});
