import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCacheConfig } from '../../src/config/cache-config.ts';
import { ResponseCache } from '../../src/core/response-cache.ts';
import { ModelConfig, NDArray, Tensor } from '../../src/index.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';

describe('response cache', () => {
  let server: TestServer;
  let base: string;
  const calls: number[] = [];
  before(async () => {
    server = await startTriton({
      config: { allowGrpc: false, cacheConfig: ['local,size=1048576'] },
      bind: (triton) => {
        for (const [name, responseCache] of [
          ['cached', true],
          ['uncached', false],
        ] as const) {
          triton.bind({
            modelName: name,
            inferFunc: (requests) =>
              requests.map((r) => {
                calls.push(Number(r.data.x!.at(0)));
                return { y: NDArray.from([[Number(r.data.x!.at(0)) * 2]], 'INT32') };
              }),
            inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
            outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
            config: ModelConfig({ maxBatchSize: 4, responseCache }),
          });
        }
      },
    });
    base = `${server.http}/v2/models`;
  });
  after(() => server.stop());

  const infer = async (model: string, x: number, id: string) => {
    const response = await fetch(`${base}/${model}/infer`, {
      method: 'POST',
      body: JSON.stringify({ id, inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 1], data: [x] }] }),
    });
    return (await response.json()) as { id: string; outputs: { data: number[] }[] };
  };
  const stats = async (model: string) =>
    (
      (await (await fetch(`${base}/${model}/stats`)).json()) as {
        model_stats: { inference_stats: Record<string, { count: number }> }[];
      }
    ).model_stats[0]!.inference_stats;

  it('answers a repeated request from the cache, with its own id', async () => {
    calls.length = 0;
    const first = await infer('cached', 21, 'a');
    const second = await infer('cached', 21, 'b');
    const other = await infer('cached', 5, 'c');
    assert.deepEqual(first.outputs[0]!.data, [42]);
    assert.deepEqual(second.outputs[0]!.data, [42]);
    assert.equal(second.id, 'b');
    assert.deepEqual(other.outputs[0]!.data, [10]);
    assert.deepEqual(calls, [21, 5], 'the repeated request did not reach the infer function');
    const s = await stats('cached');
    assert.equal(s.cache_hit!.count, 1);
    assert.equal(s.cache_miss!.count, 2);
    assert.equal(s.success!.count, 3);
    assert.equal(s.compute_infer!.count, 2, 'compute phases exclude cache hits');
  });

  it('does not cache models without responseCache', async () => {
    calls.length = 0;
    await infer('uncached', 7, 'a');
    await infer('uncached', 7, 'b');
    assert.deepEqual(calls, [7, 7]);
    assert.equal((await stats('uncached')).cache_hit!.count, 0);
  });

  it('evicts the least recently used entries to stay within its size', () => {
    const result = (n: number) => ({
      modelName: 'm',
      modelVersion: 1,
      id: '',
      outputs: [{ name: 'y', array: NDArray.zeros('FP32', [n]) }],
      parameters: undefined,
    });
    const cache = new ResponseCache(2 * (256 + 400));
    cache.put('a', result(100));
    cache.put('b', result(100));
    cache.get('a');
    cache.put('c', result(100));
    assert.ok(cache.get('a'), 'recently used entry kept');
    assert.equal(cache.get('b'), undefined, 'least recently used entry evicted');
    assert.ok(cache.usedBytes <= 2 * (256 + 400));
    cache.put('huge', result(10_000));
    assert.equal(cache.get('huge'), undefined, 'an entry larger than the cache is not stored');
  });

  it('keeps its own copy of outputs that are views on a request body', () => {
    const body = new Float32Array(1024);
    const view = new NDArray('FP32', body.subarray(8, 12), [4]);
    const cache = new ResponseCache(1 << 20);
    cache.put('k', {
      modelName: 'm',
      modelVersion: 1,
      id: '',
      outputs: [{ name: 'y', array: view }],
      parameters: undefined,
    });
    body.fill(7);
    const cached = cache.get('k')!.outputs[0]!.array.data as Float32Array;
    assert.equal(cached.buffer.byteLength, 16, 'the cached output owns just its bytes');
    assert.deepEqual([...cached], [0, 0, 0, 0]);
  });

  it("parses Triton's cache configuration", () => {
    assert.equal(parseCacheConfig(['local,size=1048576']).localSizeBytes, 1048576);
    assert.equal(parseCacheConfig([]).localSizeBytes, 0);
    assert.throws(() => parseCacheConfig(['redis,host=x']), /only the 'local' cache is supported/);
    assert.throws(() => parseCacheConfig(['local,size=lots']), /local,size must be a number of bytes/);
    assert.throws(() => parseCacheConfig(['size=1']), /<cache>,<setting>=<value>/);
  });
});
