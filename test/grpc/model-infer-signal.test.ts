/**
 * The request signal of ModelInfer once the call is answered: grpc-js reports the end of every call's stream
 * as `cancelled`, which must not abort the signal of a request already answered.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { ModelConfig, type Request, Tensor } from '../../src/index.ts';
import { callCancellation } from '../../src/frontends/grpc/model-infer-rpc.ts';
import { numericRaw, startServer } from './helpers.ts';

describe('ModelInfer request signal', () => {
  it('stays unaborted after the call is answered', async () => {
    const signals: AbortSignal[] = [];
    const server = await startServer((triton) =>
      triton.bind({
        modelName: 'keeps',
        inferFunc: (requests: Request[]) =>
          requests.map((r) => {
            signals.push(r.signal);
            return { y: r.data.x! };
          }),
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      }),
    );
    try {
      for (let i = 0; i < 3; i++) {
        await server.client.call('modelInfer', {
          modelName: 'keeps',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
          rawInputContents: [numericRaw('FP32', [i])],
        });
      }
      // One more exchange on the same connection: the server has handled the end of the calls before it.
      await server.client.healthCheck();
      assert.equal(signals.length, 3);
      assert.deepEqual(
        signals.map((s) => s.aborted),
        [false, false, false],
      );
    } finally {
      await server.stop();
    }
  });
});

describe('callCancellation', () => {
  it('aborts the signal when the call is cancelled before the answer', () => {
    const call = new EventEmitter();
    const { signal } = callCancellation(call);
    call.emit('cancelled');
    assert.equal(signal.aborted, true);
  });

  it('lets go of the call once answered: no listener left, a later cancelled does not abort', () => {
    const call = new EventEmitter();
    const cancellation = callCancellation(call);
    assert.equal(call.listenerCount('cancelled'), 1);
    cancellation.answered();
    assert.equal(call.listenerCount('cancelled'), 0);
    call.emit('cancelled');
    assert.equal(cancellation.signal.aborted, false);
  });
});
