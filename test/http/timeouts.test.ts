import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';
import { within } from '../helpers/within.ts';

describe('timeouts over HTTP, and their metric', () => {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  const triton = new Triton({
    config: { httpPort: 0, httpAddress: '127.0.0.1', metricsPort: 0, metricsAddress: '127.0.0.1', allowGrpc: false },
  });
  let api = '';

  before(async () => {
    triton.bind({
      modelName: 'hangs',
      // x = 0 never answers (until the test ends); any other x answers at once.
      inferFunc: async (requests: Request[]) => {
        if (requests.some((r) => r.data.x!.toArray()[0] === 0)) await released;
        return requests.map((r) => ({ y: r.data.x! }));
      },
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({
        maxBatchSize: 0,
        executionTimeoutMicroseconds: 200_000,
        batcher: { defaultQueuePolicy: { allowTimeoutOverride: true } },
      }),
    });
    await triton.run();
    api = `http://127.0.0.1:${triton.httpPort}/v2/models/hangs/infer`;
  });
  after(async () => {
    release();
    await triton.stop();
  });

  const infer = async (x: number, parameters = {}): Promise<[number, string]> => {
    const response = await fetch(api, {
      method: 'POST',
      body: JSON.stringify({ parameters, inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [x] }] }),
    });
    return [response.status, ((await response.json()) as { error?: string }).error ?? 'ok'];
  };

  it('a request whose timeout parameter expires in the queue gets 503 naming the model and timeout; the hung call gets 503 naming the execution timeout', async () => {
    const hung = infer(0);
    const queued = infer(1, { timeout: 20_000 });
    assert.deepEqual(await within(queued, 5000, 'the queued request'), [
      503,
      "Request timeout expired: the request waited in the queue of model 'hangs' longer than its timeout of 20000 µs",
    ]);
    const [status, message] = await within(hung, 5000, 'the hung request');
    assert.equal(status, 503);
    assert.match(
      message,
      /^Execution timeout expired: the infer function of model 'hangs' did not finish within its execution timeout of 200000 µs/,
    );
    assert.deepEqual(await within(infer(2), 5000, 'the next request'), [200, 'ok']);
  });

  it('counts both in ts_triton_request_timeouts_total', async () => {
    const text = await (await fetch(`http://127.0.0.1:${triton.metricsPort}/metrics`)).text();
    assert.match(text, /^ts_triton_request_timeouts_total\{model="hangs",version="1",kind="queue"\} 1$/m);
    assert.match(text, /^ts_triton_request_timeouts_total\{model="hangs",version="1",kind="execution"\} 1$/m);
  });
});
