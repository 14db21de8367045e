import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { within } from '../helpers/within.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

const simple: InferFunc = (requests) => requests.map((r) => ({ y: r.data.x! }));

/** A server tracing every request to `url`, with metrics on. */
async function tracedServer(url: string): Promise<Triton> {
  const triton = new Triton({
    config: {
      httpPort: 0,
      httpAddress: '127.0.0.1',
      metricsPort: 0,
      metricsAddress: '127.0.0.1',
      allowGrpc: false,
      exitTimeoutSecs: 5,
      traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(url)],
    },
  });
  triton.bind({
    modelName: 'simple',
    inferFunc: simple,
    inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  });
  await triton.run();
  return triton;
}

const infer = (triton: Triton) =>
  fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/simple/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [1] }] }),
  });

/** Runs `fn` with the log's warnings collected; `lost()` resolves with the first warning about lost spans. */
async function withWarnings(fn: (lost: () => Promise<string>) => Promise<void>): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<string>();
  const previous: LogSink = setLogSink((level, message) => {
    if (level === 'warn' && message.includes('spans not exported')) resolve(message);
  });
  try {
    await fn(() => within(promise, 8000, 'the warning about spans not exported'));
  } finally {
    setLogSink(previous);
  }
}

describe('spans that do not reach the collector', () => {
  it('the warning names the collector URL and its HTTP status; the metric counts the spans', async () => {
    const receiver = await startOtlpReceiver({ status: 400 });
    try {
      await withWarnings(async (lost) => {
        await using triton = await tracedServer(receiver.url);
        assert.equal((await infer(triton)).status, 200);
        const warning = await lost();
        assert.ok(warning.includes(receiver.url), warning);
        assert.match(warning, /the collector answered HTTP 400/);
        const text = await (await fetch(`http://127.0.0.1:${triton.metricsPort}/metrics`)).text();
        assert.match(text, /^ts_triton_trace_spans_lost_total\{reason="export_failed"\} 4$/m);
        assert.match(text, /^ts_triton_trace_spans_lost_total\{reason="queue_full"\} 0$/m);
      });
    } finally {
      await receiver.close();
    }
  });

  it('the warning names the network error code when the collector is unreachable', async () => {
    const down = await startOtlpReceiver();
    const url = down.url;
    await down.close();
    await withWarnings(async (lost) => {
      const triton = await tracedServer(url);
      try {
        assert.equal((await infer(triton)).status, 200);
      } finally {
        await triton.stop();
      }
      const warning = await lost();
      assert.ok(warning.includes(url), warning);
      assert.match(warning, /ECONNREFUSED/);
    });
  });
});
