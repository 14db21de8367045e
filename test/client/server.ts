/**
 * A server for the client tests: `add` (batching), `single` (no batching), `slow` (sleeps `ms` then echoes),
 * `counting` (decoupled: answers x times), `fails` (throws), on free local ports.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BindOptions,
  type DecoupledInferFunc,
  type InferFunc,
  ModelConfig,
  NDArray,
  Tensor,
  type Triton,
  type TritonConfig,
} from '../../src/index.ts';
import { startTriton } from '../helpers/server.ts';

const add: InferFunc = (requests) =>
  requests.map((r) => {
    const a = r.data.a!.data as Float32Array;
    const b = r.data.b!.data as Float32Array;
    return {
      sum: new NDArray(
        'FP32',
        a.map((v, i) => v + b[i]!),
        r.data.a!.shape,
      ),
    };
  });

const slow: InferFunc = async (requests) => {
  await sleep(Number(requests[0]!.data.ms!.at(0)));
  return requests.map((r) => ({ out: r.data.ms! }));
};

const counting: DecoupledInferFunc = async function* (requests) {
  const n = Number(requests[0]!.data.x!.at(0));
  for (let i = 0; i < n; i++) yield requests.map(() => ({ y: NDArray.from([i], 'INT32') }));
};

const fails: InferFunc = () => {
  throw new Error('model broke');
};

/** Starts the test server. */
export async function startTestServer(config: Partial<TritonConfig> = {}): Promise<Triton> {
  const ab = [Tensor({ name: 'a', dtype: 'FP32', shape: [-1] }), Tensor({ name: 'b', dtype: 'FP32', shape: [-1] })];
  const models: BindOptions[] = [
    {
      modelName: 'add',
      inferFunc: add,
      inputs: ab,
      outputs: [Tensor({ name: 'sum', dtype: 'FP32', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 8 }),
    },
    {
      modelName: 'single',
      inferFunc: add,
      inputs: ab,
      outputs: [Tensor({ name: 'sum', dtype: 'FP32', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    },
    {
      modelName: 'slow',
      inferFunc: slow,
      inputs: [Tensor({ name: 'ms', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'out', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    },
    {
      modelName: 'counting',
      inferFunc: counting,
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
    },
    {
      modelName: 'fails',
      inferFunc: fails,
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    },
  ];
  return (await startTriton({ models, config: { exitTimeoutSecs: 2, ...config } })).triton;
}

/** The client URLs of a running server. */
export function urlsOf(triton: Triton): { http: string; grpc: string } {
  return { http: `http://127.0.0.1:${triton.httpPort}`, grpc: `grpc://127.0.0.1:${triton.grpcPort}` };
}
