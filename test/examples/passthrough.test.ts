import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { passthrough, passthroughModel } from '../../examples/passthrough/server.ts';
import { NDArray, Request, Triton } from '../../src/index.ts';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';

describe('examples/passthrough', () => {
  let server: ExampleProcess;
  before(async () => {
    // The example exports spans to localhost:4318; with no collector there, stop() need not wait long.
    server = await startExample('examples/passthrough/server.ts', { TS_TRITON_EXIT_TIMEOUT_SECS: '1' });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  const generate = (body: object) =>
    fetch(`${server.url}/v2/models/passthrough/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("answers the guide's curl request", async () => {
    const response = await generate({ sleep: 0.001, error: false });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{"model_name":"passthrough","model_version":"1","sleep":0.001,"error":false}');
  });

  it('fails with Requested Error, then keeps serving', async () => {
    const failed = await generate({ sleep: 0.001, error: true });
    assert.equal(failed.status, 500);
    assert.match(((await failed.json()) as { error: string }).error, /Requested Error/);
    const next = await generate({ sleep: 0, error: false });
    assert.equal(next.status, 200);
  });
});

describe('examples/passthrough, bound in process', () => {
  const request = (sleepSeconds: number, error: boolean): Request =>
    new Request({ data: { sleep: NDArray.from([[sleepSeconds]], 'FP32'), error: NDArray.from([[error]], 'BOOL') } });

  it('does not wait for a timer when sleep is 0', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    await passthrough([request(0, false), request(0, false)]);
    order.push('answered');
    assert.deepEqual(order, ['answered'], 'answered before the event loop turned');
  });

  it('a request with error: true fails alone; the good requests of its batch are answered', async () => {
    await using triton = new Triton({
      config: { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false },
    });
    triton.bind(passthroughModel);
    await triton.run();
    const generate = (body: object) =>
      fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/passthrough/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // The first request holds the only instance, so the next 21 queue up and are batched together.
    const holding = generate({ sleep: 0.2, error: false });
    const batch = [
      ...Array.from({ length: 10 }, () => generate({ sleep: 0, error: false })),
      generate({ sleep: 0, error: true }),
    ];
    batch.push(...Array.from({ length: 10 }, () => generate({ sleep: 0, error: false })));
    const statuses = await Promise.all(batch.map(async (r) => (await r).status));
    assert.equal((await holding).status, 200);
    assert.deepEqual(statuses, [...Array<number>(10).fill(200), 500, ...Array<number>(10).fill(200)]);
  });
});
