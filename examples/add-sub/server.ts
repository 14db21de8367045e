/**
 * Two inputs, two outputs, the `batch` decorator: the requests of a dynamic batch arrive concatenated
 * along the batch dimension, and the outputs are split back per request.
 *
 * Run: node examples/add-sub/server.ts   then
 *   curl -sS http://127.0.0.1:8000/v2/models/add_sub/infer -d \
 *   '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,2],"data":[1,2]},{"name":"b","datatype":"FP32","shape":[1,2],"data":[3,4]}]}'
 */
import { batch, inferModule, ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import { exampleInstanceGroup } from '../instance-group.ts';

/** The infer function (bound by module, so that EXAMPLE_INSTANCE_KIND=KIND_WORKER can run it on a worker thread). */
export const addSub = batch(({ a, b }) => {
  const x = a!.data as Float32Array;
  const y = b!.data as Float32Array;
  const sum = x.map((v, i) => v + y[i]!);
  const difference = x.map((v, i) => v - y[i]!);
  return { add: new NDArray('FP32', sum, a!.shape), sub: new NDArray('FP32', difference, a!.shape) };
});

// Importing this module (as a worker instance does) serves nothing.
if (import.meta.main) {
  const triton = new Triton();
  triton.bind({
    modelName: 'add_sub',
    inferFunc: inferModule(import.meta.url, { addSub }),
    inputs: [Tensor({ name: 'a', dtype: 'FP32', shape: [-1] }), Tensor({ name: 'b', dtype: 'FP32', shape: [-1] })],
    outputs: [Tensor({ name: 'add', dtype: 'FP32', shape: [-1] }), Tensor({ name: 'sub', dtype: 'FP32', shape: [-1] })],
    config: ModelConfig({
      maxBatchSize: 64,
      batcher: { maxQueueDelayMicroseconds: 1000 },
      instanceGroup: exampleInstanceGroup(),
    }),
    strict: true,
  });
  await triton.serve();
}
