/**
 * CPU-heavy pre-processing in JavaScript: turns each text into a 256-dimension feature vector (word tokens and
 * character trigrams, hashed, counted, L2-normalised), as a text model's tokeniser and featuriser would before
 * the model itself. All of it is synchronous JavaScript: on the main thread (KIND_CPU) every request holds the
 * event loop, so health checks and every other model wait behind it; on worker instances (KIND_WORKER, this
 * example's default) the main thread only parses, schedules and answers, and two instances use two cores.
 * bench/run.ts's `workers` group measures both.
 *
 * Run: node examples/text-features/server.ts   then
 *   curl -sS http://127.0.0.1:8000/v2/models/text_features/infer -d \
 *   '{"inputs":[{"name":"text","datatype":"BYTES","shape":[1,1],"data":["the quick brown fox"]}]}'
 * Environment: EXAMPLE_INSTANCE_KIND (default KIND_WORKER), EXAMPLE_INSTANCE_COUNT (default 2).
 */
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

/** Size of the feature vector. */
export const DIMENSIONS = 256;

const decoder = new TextDecoder();

/** 32-bit FNV-1a of `text` from `start` to `end`. */
function fnv1a(text: string, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The features of one text: hashed word and character-trigram counts, L2-normalised. */
export function textFeatures(text: string): Float32Array {
  const features = new Float32Array(DIMENSIONS);
  const normalised = text.normalize('NFKC').toLowerCase();
  for (const match of normalised.matchAll(/\p{L}[\p{L}\p{N}']*|\p{N}+/gu)) {
    const word = ` ${match[0]} `;
    features[fnv1a(word, 0, word.length) % DIMENSIONS]! += 1;
    for (let i = 0; i + 3 <= word.length; i++) {
      const hash = fnv1a(word, i, i + 3);
      features[hash % DIMENSIONS]! += hash & 1 ? 0.5 : -0.5;
    }
  }
  let norm = 0;
  for (const v of features) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < DIMENSIONS; i++) features[i]! /= norm;
  return features;
}

/** The infer function: the features of each request's texts. */
export function featurize(requests: Request[]): InferResponse[] {
  return requests.map((request) => {
    const texts = request.data.text!.data as Uint8Array[];
    const features = new Float32Array(texts.length * DIMENSIONS);
    texts.forEach((bytes, i) => features.set(textFeatures(decoder.decode(bytes)), i * DIMENSIONS));
    return { features: new NDArray('FP32', features, [texts.length, DIMENSIONS]) };
  });
}

/** The model as this example binds it. */
export function textFeaturesModel(instanceGroup = InstanceGroup({ kind: 'KIND_WORKER', count: 2 })): BindOptions {
  return {
    modelName: 'text_features',
    inferFunc: inferModule(import.meta.url, { featurize }),
    inputs: [Tensor({ name: 'text', dtype: 'BYTES', shape: [1] })],
    outputs: [Tensor({ name: 'features', dtype: 'FP32', shape: [DIMENSIONS] })],
    config: ModelConfig({ maxBatchSize: 8, instanceGroup }),
    strict: true,
  };
}

if (import.meta.main) {
  const triton = new Triton();
  triton.bind(
    textFeaturesModel(
      InstanceGroup({
        kind: (process.env.EXAMPLE_INSTANCE_KIND ?? 'KIND_WORKER') as InstanceKind,
        count: Number(process.env.EXAMPLE_INSTANCE_COUNT ?? 2),
      }),
    ),
  );
  await triton.serve();
}
