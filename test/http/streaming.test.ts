import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type DecoupledInferFunc,
  type InferFunc,
  ModelConfig,
  NDArray,
  type Request,
  Tensor,
} from '../../src/index.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';
import { Recorder, until, within } from '../helpers/within.ts';

describe('streaming and cancellation over HTTP', () => {
  let server: TestServer;
  let url: string;
  const seen = new Recorder<{ id: string; aborted: boolean }>();
  const started = new Recorder<string>();
  let release = (): void => {};

  /** Blocks until released; records which requests it ran and whether they were cancelled by then. */
  const blocking: InferFunc = async (requests: Request[]) => {
    started.push(...requests.map((r) => r.id));
    await new Promise<void>((resolve) => {
      release = resolve;
      for (const r of requests) r.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    seen.push(...requests.map((r) => ({ id: r.id, aborted: r.signal.aborted })));
    return requests.map((r) => ({ y: r.data.x! }));
  };

  const counting: DecoupledInferFunc = async function* (requests) {
    const n = Number(requests[0]!.data.x!.at(0));
    for (let i = 0; i < n; i++) yield requests.map(() => ({ y: NDArray.from([[i]], 'INT32') }));
    if (requests[0]!.parameters.fail) throw new Error('stream broke');
  };

  before(async () => {
    const io = {
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    };
    server = await startTriton({
      // The metrics endpoint tells when a request waits in the model's queue.
      config: { allowGrpc: false, allowMetrics: true, metricsPort: 0 },
      models: [
        { modelName: 'blocking', inferFunc: blocking, ...io, config: ModelConfig({ maxBatchSize: 0 }) },
        {
          modelName: 'counting',
          inferFunc: counting,
          ...io,
          config: ModelConfig({ decoupled: true, maxBatchSize: 1 }),
        },
      ],
    });
    url = `${server.http}/v2/models`;
  });
  after(() => server.stop());

  /** Requests of model `blocking` waiting in its queue (`nv_inference_pending_request_count`). */
  async function queued(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${server.triton.metricsPort}/metrics`)).text();
    const match = /^nv_inference_pending_request_count\{[^}]*model="blocking"[^}]*\} (\d+)$/m.exec(text);
    return Number(match?.[1] ?? 0);
  }

  const inferBlocking = (id: string, signal?: AbortSignal) =>
    fetch(`${url}/blocking/infer`, {
      method: 'POST',
      signal,
      body: JSON.stringify({ id, inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [1] }] }),
    });

  it('streams every response of a decoupled model, and an error after the first as an event', async () => {
    const stream = async (body: object) =>
      (await fetch(`${url}/counting/generate_stream`, { method: 'POST', body: JSON.stringify(body) })).text();
    assert.equal(
      await stream({ x: 3 }),
      [
        '{"model_name":"counting","model_version":"1","y":0}',
        '{"model_name":"counting","model_version":"1","y":1}',
        '{"model_name":"counting","model_version":"1","y":2}',
      ]
        .map((e) => `data: ${e}\n\n`)
        .join(''),
    );
    assert.equal(
      await stream({ x: 1, fail: true }),
      'data: {"model_name":"counting","model_version":"1","y":0}\n\n' +
        'data: {"error":"Failed to process the request(s) for model \'counting\', message: Error: stream broke"}\n\n',
    );
  });

  it('answers an error before the first response as an ordinary error', async () => {
    const response = await fetch(`${url}/counting/generate_stream`, {
      method: 'POST',
      body: JSON.stringify({ x: 0, fail: true }),
    });
    assert.equal(response.status, 500);
    assert.match(((await response.json()) as { error: string }).error, /stream broke/);
  });

  it('a running request sees request.signal abort when its client disconnects', async () => {
    seen.clear();
    const client = new AbortController();
    const pending = inferBlocking('running', client.signal).catch(() => 'aborted');
    await started.includes('running');
    client.abort();
    assert.equal(await within(pending), 'aborted');
    assert.deepEqual(await seen.until((s) => s.length > 0), [{ id: 'running', aborted: true }]);
  });

  it('a queued request leaves the queue when its client disconnects', async () => {
    seen.clear();
    const first = inferBlocking('first');
    await started.includes('first');
    const client = new AbortController();
    const second = inferBlocking('queued', client.signal).catch(() => 'aborted');
    await until(async () => (await queued()) === 1, 5000, "the second request to wait in the model's queue");
    client.abort();
    assert.equal(await within(second), 'aborted');
    await until(async () => (await queued()) === 0, 5000, 'the cancelled request to leave the queue');
    release();
    assert.equal((await within(first)).status, 200);
    assert.deepEqual(
      seen.values.map((s) => s.id),
      ['first'],
    );
    assert.ok(!started.values.includes('queued'), 'the cancelled request never reached the infer function');
  });
});
