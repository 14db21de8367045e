import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceRequest } from '../../src/core/inference-request.ts';
import { type ModelConfigOptions, ModelConfig } from '../../src/core/model-config.ts';
import { Model } from '../../src/core/model.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import type { Request } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import type { TritonError } from '../../src/errors.ts';
import { within } from '../helpers/within.ts';

/**
 * A model whose calls for x = 0 never finish until `release()` (they see their signals abort), and whose
 * other calls answer at once.
 */
function hangingModel(config: ModelConfigOptions) {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const signals: AbortSignal[] = [];
  const calls: number[][] = [];
  const model = new Model({
    modelName: 'hangs',
    inferFunc: async (requests: Request[]) => {
      calls.push(requests.map((r) => r.data.x!.toArray()[0] as number));
      if (requests.some((r) => r.data.x!.toArray()[0] === 0)) {
        signals.push(...requests.map((r) => r.signal));
        await released;
      }
      return requests.map((r) => ({ y: r.data.x! }));
    },
    inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    config: ModelConfig(config),
  });
  const infer = (x: number, parameters = {}): Promise<string> => {
    const request: InferenceRequest = {
      modelName: 'hangs',
      modelVersion: -1,
      id: '',
      inputs: { x: NDArray.from([[x]], 'INT32') },
      parameters,
      requestedOutputs: undefined,
    };
    return model.infer(request).then(
      (r) => `ok ${String(r.outputs[0]!.array.toArray()[0])}`,
      (e: TritonError) => `${e.code}: ${e.message}`,
    );
  };
  return { model, infer, signals, calls, release };
}

describe('timeouts', () => {
  it('executionTimeoutMicroseconds fails a call that runs too long, aborts its signals, and frees the instance', async () => {
    const m = hangingModel({ maxBatchSize: 1, executionTimeoutMicroseconds: 30_000 });
    try {
      const hung = m.infer(0);
      const next = m.infer(5); // queued behind the hung call on the only instance
      assert.equal(
        await within(hung, 5000, 'the hung request'),
        "UNAVAILABLE: Execution timeout expired: the infer function of model 'hangs' did not finish within its execution timeout of 30000 µs (ModelConfig.executionTimeoutMicroseconds)",
      );
      assert.equal(m.signals.length, 1);
      assert.equal(m.signals[0]!.aborted, true);
      assert.match(String(m.signals[0]!.reason), /Execution timeout expired/);
      assert.equal(await within(next, 5000, 'the request queued behind'), 'ok 5');
      assert.deepEqual(m.calls, [[0], [5]]);
      assert.equal(m.model.statistics.timeouts.execution, 1);
      assert.equal(m.model.statistics.failures.BACKEND, 1);
    } finally {
      m.release();
    }
    await within(m.model.whenIdle(), 5000, 'idle');
  });

  it('is off by default', () => {
    assert.equal(ModelConfig().executionTimeoutMicroseconds, 0);
    assert.throws(
      () => ModelConfig({ executionTimeoutMicroseconds: -1 }),
      /ModelConfig.executionTimeoutMicroseconds must be an integer >= 0; got -1/,
    );
  });

  it("a queued request's timeout expires on time while every instance is busy, naming the model and timeout", async () => {
    const m = hangingModel({ maxBatchSize: 1, batcher: { defaultQueuePolicy: { allowTimeoutOverride: true } } });
    try {
      void m.infer(0);
      const waiting = m.infer(7, { timeout: 20_000 });
      assert.equal(
        await within(waiting, 5000, 'the queued request'),
        "UNAVAILABLE: Request timeout expired: the request waited in the queue of model 'hangs' longer than its timeout of 20000 µs",
      );
      assert.equal(m.model.statistics.timeouts.queue, 1);
      assert.equal(m.model.statistics.failures.REJECTED, 1);
    } finally {
      m.release();
    }
    await within(m.model.whenIdle(), 5000, 'idle');
  });
});
