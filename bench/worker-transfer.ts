/**
 * What moving a 4 MB tensor to a worker instance and back saves over copying it: `node bench/worker-transfer.ts`
 * (also run by `npm run bench`'s `transfer` group). Measures, sequentially, the median of 200 round trips of a
 * 1M-element FP32 tensor:
 * - postMessage to a bare worker and back, structured-clone copies both ways, and transferred both ways;
 * - a KIND_WORKER echo model through the public API (Model.infer as the frontends call it), with the input's
 *   memory owned by the request (moved, as an HTTP body the server assembled is) and not (copied once);
 * - the same echo model with a 16-element tensor, KIND_CPU and KIND_WORKER: what the hop to a worker costs.
 * Prints one JSON object of medians in ms.
 */
import { Worker } from 'node:worker_threads';
import { Model } from '../src/core/model.ts';
import { markRequestOwned } from '../src/core/worker/transfer.ts';
import { inferModule, NDArray, Tensor } from '../src/index.ts';

const N = 1 << 20;
const ROUND_TRIPS = Number(process.env.BENCH_TRANSFER_ROUND_TRIPS ?? 200);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** An infer function that answers its input (the model the API measurement binds). */
export function echo(requests: { data: Record<string, NDArray> }[]): Record<string, NDArray>[] {
  return requests.map((r) => ({ y: r.data.x! }));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return Math.round(median(times) * 1000) / 1000;
}

async function bare(): Promise<{ clone: number; transfer: number }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', ({ data, move }) => parentPort.postMessage(data, move ? [data.buffer] : []));`,
    { eval: true },
  );
  const roundTrip = (data: Float32Array, move: boolean): Promise<Float32Array> =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ data, move }, move ? [data.buffer as ArrayBuffer] : []);
    });
  let data: Float32Array = new Float32Array(N);
  const clone = await timed(() => roundTrip(data, false));
  const transfer = await timed(async () => (data = await roundTrip(data, true)));
  await worker.terminate();
  return { clone, transfer };
}

function echoModel(kind: 'KIND_CPU' | 'KIND_WORKER'): Model {
  return new Model({
    modelName: 'echo',
    inferFunc: inferModule(import.meta.url, { echo }),
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
    config: { maxBatchSize: 0, instanceGroup: { kind, count: 1 } },
  });
}

const inferOn = (model: Model) => (data: Float32Array) =>
  model.infer({
    modelName: 'echo',
    modelVersion: -1,
    id: '',
    inputs: { x: new NDArray('FP32', data, [data.length]) },
    parameters: {},
    requestedOutputs: undefined,
  });

async function hop(): Promise<{ smallOnMain: number; smallOnWorker: number }> {
  const result = { smallOnMain: 0, smallOnWorker: 0 };
  for (const kind of ['KIND_CPU', 'KIND_WORKER'] as const) {
    const model = echoModel(kind);
    await model.ready();
    const infer = inferOn(model);
    result[kind === 'KIND_CPU' ? 'smallOnMain' : 'smallOnWorker'] = await timed(() => infer(new Float32Array(16)));
    await model.close();
  }
  return result;
}

async function api(): Promise<{ owned: number; copied: number }> {
  const model = echoModel('KIND_WORKER');
  await model.ready();
  const infer = inferOn(model);
  const shared = new Float32Array(N);
  const copied = await timed(() => infer(shared));
  const owned = await timed(() => {
    const data = new Float32Array(N); // a fresh body each time, as the HTTP frontend assembles one per request
    markRequestOwned(data.buffer);
    return infer(data);
  });
  const fresh = await timed(async () => new Float32Array(N)); // what allocating that body costs on its own
  await model.close();
  return { owned: Math.round((owned - fresh) * 1000) / 1000, copied };
}

if (import.meta.main) {
  const result = { tensorBytes: N * 4, ...(await bare()), ...(await api()), ...(await hop()) };
  console.log(JSON.stringify(result));
}
