/**
 * The requests of a gRPC stream share the stream's abort signal; none may stay attached to it once answered,
 * or a long-lived stream keeps every request it carried (the soak run found the server's heap growing by
 * about 2 KB per stream request).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import type { InferenceRequest } from '../../src/core/inference-request.ts';
import { ModelConfig } from '../../src/core/model-config.ts';
import { Model } from '../../src/core/model.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';

describe('a signal shared by many requests', () => {
  const model = new Model({
    modelName: 'm',
    inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
    inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 4 }),
  });
  const request = (id: string, signal: AbortSignal): InferenceRequest => ({
    modelName: 'm',
    modelVersion: -1,
    id,
    inputs: { x: NDArray.from([[1]], 'INT32', [1, 1]) },
    parameters: {},
    requestedOutputs: undefined,
    signal,
  });

  it('keeps no listener of an answered request', async () => {
    const stream = new AbortController();
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => model.infer(request(`${round}.${i}`, stream.signal))));
    }
    assert.equal(getEventListeners(stream.signal, 'abort').length, 0);
  });

  it('still cancels the requests queued when it aborts', async () => {
    const stream = new AbortController();
    const pending = Array.from({ length: 8 }, (_, i) => model.infer(request(String(i), stream.signal)));
    stream.abort();
    const outcomes = await Promise.allSettled(pending);
    assert.ok(outcomes.some((o) => o.status === 'rejected'));
    assert.equal(getEventListeners(stream.signal, 'abort').length, 0);
  });
});
