import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';
import { findSpan, spanNamesCount, startOtlpReceiver, StatusCodeNumber } from '../fixtures/otlp-receiver.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

describe('a traced request failed by the execution timeout', () => {
  it('exports its four spans, the callable one failed with the timeout, and ignores the abandoned call ending later', async () => {
    const receiver = await startOtlpReceiver();
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    const { promise: callEnded, resolve: endCall } = Promise.withResolvers<void>();
    const triton = new Triton({
      config: {
        httpPort: 0,
        httpAddress: '127.0.0.1',
        allowGrpc: false,
        allowMetrics: false,
        exitTimeoutSecs: 5,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
    });
    triton.bind({
      modelName: 'hangs',
      inferFunc: async (requests: Request[]) => {
        try {
          await released;
          return requests.map((r) => ({ y: r.data.x! }));
        } finally {
          endCall();
        }
      },
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0, executionTimeoutMicroseconds: 50_000 }),
    });
    try {
      await triton.run();
      const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/hangs/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [1] }] }),
      });
      assert.equal(response.status, 503);
      release();
      await callEnded;
      const spans = await receiver.waitForSpans(4, 5000);
      assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, hangs: 1, compute: 1, infer_callable: 1 });
      const callable = findSpan(spans, 'infer_callable');
      assert.equal(callable.status.code, StatusCodeNumber.ERROR);
      assert.match(callable.status.message, /Execution timeout expired/);
    } finally {
      release();
      await triton.stop();
      await receiver.close();
    }
    assert.equal(receiver.spans.length, 4, 'the abandoned call ending later added no span');
  });
});
