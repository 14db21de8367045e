/**
 * examples/text-features on worker instances: each text's features are the example's function run here, unit
 * length, equal for equal texts, different for different ones; several texts of one request each get theirs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { InstanceGroup, NDArray } from '../../src/index.ts';
import { DIMENSIONS, textFeatures, textFeaturesModel } from '../../examples/text-features/server.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';

describe('examples/text-features', () => {
  let server: TestServer;
  before(async () => {
    server = await startTriton({
      config: { allowGrpc: false },
      bind: (triton) => {
        triton.bind(textFeaturesModel(InstanceGroup({ kind: 'KIND_WORKER', count: 2 })));
      },
    });
  });
  after(() => server.stop());

  it('answers the features the example computes, one unit vector per text', async () => {
    await using client = new ModelClient(server.http, 'text_features');
    const texts = ['The quick brown fox', 'the QUICK brown fox', 'Lorem ipsum dolor sit amet, 2026'];
    const encoder = new TextEncoder();
    const result = await client.inferBatch({
      text: new NDArray(
        'BYTES',
        texts.map((t) => encoder.encode(t)),
        [3, 1],
      ),
    });
    const features = result.features!;
    assert.deepEqual(features.shape, [3, DIMENSIONS]);
    const rows = texts.map((_, i) =>
      Array.from((features.data as Float32Array).subarray(i * DIMENSIONS, (i + 1) * DIMENSIONS)),
    );
    rows.forEach((row, i) => {
      assert.deepEqual(row, Array.from(textFeatures(texts[i]!)));
      assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5, 'unit length');
    });
    assert.deepEqual(rows[0], rows[1], 'case does not matter');
    assert.notDeepEqual(rows[0], rows[2]);
  });
});
