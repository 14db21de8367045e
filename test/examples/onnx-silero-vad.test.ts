/**
 * examples/onnx-silero-vad: the example's server (worker instances, batched) answers the example client's real
 * audio with the probabilities the same ONNX model gives when run directly in this process, one window at a
 * time; the generated speech is found where it is; each traced request has the pre-processing, session.run and
 * post-processing spans under its infer_callable span.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ModelClient } from '../../src/client/index.ts';
import { InstanceGroup, Triton } from '../../src/index.ts';
import { detect, testSignal } from '../../examples/onnx-silero-vad/client.ts';
import { MODEL_PATH, SAMPLE_RATE, STATE_SIZE, vadModel, WINDOW } from '../../examples/onnx-silero-vad/server.ts';
import { type OtlpReceiver, parentMap, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

/** The probabilities of `pcm`, computed here with onnxruntime-node directly, batch 1, state carried. */
async function reference(session: ort.InferenceSession, pcm: Int16Array): Promise<number[]> {
  let state: Float32Array = new Float32Array(STATE_SIZE);
  const probabilities: number[] = [];
  for (let start = 0; start + WINDOW <= pcm.length; start += WINDOW) {
    const audio = Float32Array.from(pcm.subarray(start, start + WINDOW), (s) => s / 32768);
    const out = await session.run({
      input: new ort.Tensor('float32', audio, [1, WINDOW]),
      state: new ort.Tensor('float32', state, [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.of(BigInt(SAMPLE_RATE)), []),
    });
    probabilities.push((out.output!.data as Float32Array)[0]!);
    state = out.stateN!.data as Float32Array;
  }
  return probabilities;
}

describe('examples/onnx-silero-vad', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  let url: string;
  before(async () => {
    receiver = await startOtlpReceiver();
    triton = new Triton({
      config: {
        httpPort: 0,
        httpAddress: '127.0.0.1',
        allowGrpc: false,
        allowMetrics: false,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
    });
    triton.bind(vadModel({ instanceGroup: InstanceGroup({ kind: 'KIND_WORKER', count: 2 }) }));
    await triton.run();
    url = `http://127.0.0.1:${triton.httpPort}`;
  });
  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  it('answers four concurrent streams (batched on worker instances) as the model run directly does', async () => {
    const session = await ort.InferenceSession.create(MODEL_PATH);
    await using client = new ModelClient(url, 'silero_vad');
    const signals = [1, 2, 3, 4].map((seed) => testSignal(3, seed));
    const served = await Promise.all(signals.map((pcm) => detect(client, pcm)));
    for (const [i, pcm] of signals.entries()) {
      const expected = await reference(session, pcm);
      assert.equal(served[i]!.length, expected.length);
      served[i]!.forEach((p, w) =>
        assert.ok(Math.abs(p - expected[w]!) < 1e-4, `stream ${i} window ${w}: ${p} against ${expected[w]}`),
      );
      const windowsPerSecond = SAMPLE_RATE / WINDOW;
      const quiet = served[i]!.slice(0, Math.floor(windowsPerSecond));
      const voiced = served[i]!.slice(Math.ceil(windowsPerSecond) + 2, Math.floor(2 * windowsPerSecond));
      assert.ok(Math.max(...quiet) < 0.5, 'no speech in the first, quiet second');
      assert.ok(voiced.filter((p) => p > 0.5).length > voiced.length / 2, 'speech in the voiced second');
    }
    const statistics: unknown = await fetch(`${url}/v2/models/silero_vad/stats`).then((r) => r.json());
    const stats = (statistics as { model_stats: { inference_count: number; execution_count: number }[] })
      .model_stats[0]!;
    assert.ok(
      stats.execution_count < stats.inference_count,
      `windows were batched (${stats.inference_count} in ${stats.execution_count} runs)`,
    );
  });

  it('traces preprocess, session.run and postprocess under infer_callable, from the worker', async () => {
    receiver.clear();
    await using client = new ModelClient(url, 'silero_vad');
    await client.inferSample({ pcm: testSignal(1).subarray(0, WINDOW), state: new Float32Array(STATE_SIZE) });
    const spans = await receiver.waitForSpans(7, 10_000);
    assert.deepEqual(parentMap(spans), {
      InferRequest: ['silero_vad'],
      silero_vad: ['compute'],
      compute: ['infer_callable'],
      infer_callable: ['postprocess', 'preprocess', 'session.run'],
    });
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
  });
});
