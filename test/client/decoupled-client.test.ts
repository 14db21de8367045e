/**
 * DecoupledModelClient over gRPC: responses as an async iterator ending on the final response, HTTP refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Triton } from '../../src/index.ts';
import { ClientValueError, DecoupledModelClient } from '../../src/client/index.ts';
import { startTestServer, urlsOf } from './server.ts';

let triton: Triton;
before(async () => {
  triton = await startTestServer();
});
after(() => triton.stop());

describe('DecoupledModelClient', () => {
  it('yields every response of a decoupled model, then ends', async () => {
    await using client = new DecoupledModelClient(urlsOf(triton).grpc, 'counting');
    const ys: number[] = [];
    for await (const { y } of client.inferSample({ x: new Int32Array([3]) })) ys.push(Number(y!.at(0)));
    assert.deepEqual(ys, [0, 1, 2]);
    const none: unknown[] = [];
    for await (const r of client.inferSample({ x: new Int32Array([0]) })) none.push(r);
    assert.deepEqual(none, [], 'an empty final response is not yielded');
  });

  it('runs concurrent streams', async () => {
    await using client = new DecoupledModelClient(urlsOf(triton).grpc, 'counting');
    const collect = async (n: number): Promise<number> => {
      let count = 0;
      for await (const _ of client.inferSample({ x: new Int32Array([n]) })) count++;
      return count;
    };
    assert.deepEqual(await Promise.all([collect(2), collect(5)]), [2, 5]);
  });

  it('refuses HTTP URLs, non-decoupled models, and inferBatch on non-batching models', async () => {
    assert.throws(() => new DecoupledModelClient(urlsOf(triton).http, 'counting'), ClientValueError);
    await using plain = new DecoupledModelClient(urlsOf(triton).grpc, 'single');
    await assert.rejects(plain.inferSample({ a: new Float32Array([1]) }).next(), /not decoupled/);
    await using client = new DecoupledModelClient(urlsOf(triton).grpc, 'counting');
    await assert.rejects(client.inferBatch({ x: new Int32Array([1]) }).next(), ClientValueError);
  });
});
