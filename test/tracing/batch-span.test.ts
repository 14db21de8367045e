/**
 * The span of a dynamic batch (span-tree.ts, BATCH_SPAN): one `batch <model>` span per execution of a batch of
 * two or more requests, in a trace of its own, linked to every traced member's model span, each member's
 * compute span linked back to it; none for a batch of one. Decoded by the fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { doubleRequests } from '../fixtures/models/double.ts';
import { DynamicBatcher, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { type OtlpReceiver, type OtlpSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

describe('the span of a dynamic batch', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  const batchSizes: number[] = [];

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = new Triton({ config: { ...LOCAL, traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] } });
    const io = {
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
    };
    triton.bind({
      modelName: 'gathered',
      inferFunc: (requests) => {
        batchSizes.push(requests.length);
        return doubleRequests(requests);
      },
      ...io,
      // A long queue delay: the batch leaves when its 8 rows are there.
      config: ModelConfig({ maxBatchSize: 8, batcher: DynamicBatcher({ maxQueueDelayMicroseconds: 30_000_000 }) }),
    });
    triton.bind({
      modelName: 'alone',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      ...io,
      config: ModelConfig({ maxBatchSize: 8 }),
    });
    await triton.run();
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  async function batchOf8(touch: boolean): Promise<OtlpSpan[]> {
    receiver.clear();
    batchSizes.length = 0;
    await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'gathered');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.inferSample({ x: new Float32Array([i, 1]) }, { parameters: { touch } }),
      ),
    );
    assert.deepEqual(batchSizes, [8]);
    return receiver.waitForSpans(8 * 4 + 1);
  }

  for (const touch of [false, true]) {
    it(`gives a batch of 8 one span linked to the 8 model spans, each compute span linked back (${touch ? 'general' : 'compact'} path)`, async () => {
      const spans = await batchOf8(touch);
      const batches = spans.filter((s) => s.name === 'batch gathered');
      assert.equal(batches.length, 1);
      const batch = batches[0]!;
      assert.equal(batch.parentSpanId, '', 'the batch span is the root of a trace of its own');
      const models = spans.filter((s) => s.name === 'gathered');
      assert.equal(models.length, 8);
      assert.equal(new Set(models.map((m) => m.traceId)).size, 8);
      assert.ok(models.every((m) => m.traceId !== batch.traceId));
      assert.deepEqual(
        batch.links.map((l) => `${l.traceId}/${l.spanId}`).sort(),
        models.map((m) => `${m.traceId}/${m.spanId}`).sort(),
      );
      const computes = spans.filter((s) => s.name === 'compute');
      assert.equal(computes.length, 8);
      for (const compute of computes) {
        assert.deepEqual(
          compute.links.map((l) => `${l.traceId}/${l.spanId}`),
          [`${batch.traceId}/${batch.spanId}`],
        );
        assert.ok(
          compute.startTimeUnixNano >= batch.startTimeUnixNano,
          'the batch span starts before its compute spans',
        );
      }
      const a = batch.attributes;
      assert.equal(a['triton.model_name'], 'gathered');
      assert.equal(a['triton.model_version'], 1);
      assert.equal(a['ts_triton.batch.size'], 8);
      assert.equal(a['ts_triton.batch.request_count'], 8);
      assert.equal(a['ts_triton.batch.instance'], 0);
      assert.equal(typeof a['ts_triton.batch.oldest_queue_duration'], 'number');
      assert.ok((a['ts_triton.batch.oldest_queue_duration'] as number) >= 0);
      assert.ok(batch.endTimeUnixNano >= batch.startTimeUnixNano);
    });
  }

  it('gives a batch of one request no batch span and no link', async () => {
    receiver.clear();
    await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'alone');
    await client.inferSample({ x: new Float32Array([1, 2]) });
    // A batch span would have ended (and been exported) before the request's tree.
    const spans = await receiver.waitForSpans(4);
    assert.deepEqual(spans.map((s) => s.name).sort(), ['InferRequest', 'alone', 'compute', 'infer_callable']);
    assert.ok(spans.every((s) => s.links.length === 0));
  });
});
