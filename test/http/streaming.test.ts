import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DecoupledInferFunc, type InferFunc, ModelConfig, NDArray, type Request, Tensor, Triton } from '../../src/index.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

describe('streaming and cancellation over HTTP', () => {
  let triton: Triton;
  let url: string;
  const seen: { id: string; aborted: boolean }[] = [];
  const started: string[] = [];
  let release = (): void => {};

  /** Blocks until released; records which requests it ran and whether they were cancelled by then. */
  const blocking: InferFunc = async (requests: Request[]) => {
    started.push(...requests.map((r) => r.id));
    await new Promise<void>((resolve) => {
      release = resolve;
      for (const r of requests) r.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    for (const r of requests) seen.push({ id: r.id, aborted: r.signal.aborted });
    return requests.map((r) => ({ y: r.data.x! }));
  };

  const counting: DecoupledInferFunc = async function* (requests) {
    const n = Number(requests[0]!.data.x!.at(0));
    for (let i = 0; i < n; i++) yield requests.map(() => ({ y: NDArray.from([[i]], 'INT32') }));
    if (requests[0]!.parameters.fail) throw new Error('stream broke');
  };

  before(async () => {
    triton = new Triton({ config: LOCAL });
    const io = {
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    };
    triton.bind({ modelName: 'blocking', inferFunc: blocking, ...io, config: ModelConfig({ maxBatchSize: 0 }) });
    triton.bind({ modelName: 'counting', inferFunc: counting, ...io, config: ModelConfig({ decoupled: true, maxBatchSize: 1 }) });
    await triton.run();
    url = `http://127.0.0.1:${triton.httpPort}/v2/models`;
  });
  after(() => triton.stop());

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
      ['{"model_name":"counting","model_version":"1","y":0}', '{"model_name":"counting","model_version":"1","y":1}', '{"model_name":"counting","model_version":"1","y":2}']
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
    const response = await fetch(`${url}/counting/generate_stream`, { method: 'POST', body: JSON.stringify({ x: 0, fail: true }) });
    assert.equal(response.status, 500);
    assert.match(((await response.json()) as { error: string }).error, /stream broke/);
  });

  it('a running request sees request.signal abort when its client disconnects', async () => {
    seen.length = 0;
    const client = new AbortController();
    const pending = inferBlocking('running', client.signal).catch(() => 'aborted');
    while (!started.includes('running')) await sleep(5);
    client.abort();
    assert.equal(await pending, 'aborted');
    while (seen.length === 0) await sleep(5);
    assert.deepEqual(seen, [{ id: 'running', aborted: true }]);
  });

  it('a queued request leaves the queue when its client disconnects', async () => {
    seen.length = 0;
    const first = inferBlocking('first');
    while (!started.includes('first')) await sleep(5);
    const client = new AbortController();
    const queued = inferBlocking('queued', client.signal).catch(() => 'aborted');
    await sleep(50);
    client.abort();
    assert.equal(await queued, 'aborted');
    await sleep(20);
    release();
    assert.equal((await first).status, 200);
    await sleep(50);
    assert.deepEqual(seen.map((s) => s.id), ['first']);
    assert.ok(!started.includes('queued'), 'the cancelled request never reached the infer function');
  });
});
