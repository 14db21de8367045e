import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';

// The same behaviour with the model on the main thread and on a worker thread.
for (const kind of ['KIND_CPU', 'KIND_WORKER'])
  describe(`examples/add-sub, ${kind}`, () => {
    let server: ExampleProcess;
    before(async () => {
      server = await startExample('examples/add-sub/server.ts', { EXAMPLE_INSTANCE_KIND: kind });
    });
    after(async () => {
      assert.equal(await server.stop(), 0);
    });

    const infer = async (a: number[], b: number[]) => {
      const response = await fetch(`${server.url}/v2/models/add_sub/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1, a.length], data: a },
            { name: 'b', datatype: 'FP32', shape: [1, b.length], data: b },
          ],
        }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { outputs: { name: string; data: number[]; shape: number[] }[] };
      return Object.fromEntries(body.outputs.map((o) => [o.name, o]));
    };

    it('adds and subtracts', async () => {
      const { add, sub } = await infer([1, 2.5], [3, 4]);
      assert.deepEqual(add!.data, [4, 6.5]);
      assert.deepEqual(sub!.data, [-2, -1.5]);
      assert.deepEqual(add!.shape, [1, 2]);
    });

    it('splits a dynamic batch back to each request', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => infer([i, i], [1, 2])));
      results.forEach((r, i) => {
        assert.deepEqual(r.add!.data, [i + 1, i + 2]);
        assert.deepEqual(r.sub!.data, [i - 1, i - 2]);
      });
    });
  });
