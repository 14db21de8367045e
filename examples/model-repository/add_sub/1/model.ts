/**
 * `add_sub` version 1: the sum and the difference of two vectors. The folder's config.json serves the two latest
 * versions; a request without a version goes to the highest (2).
 */
import { batch, ModelConfig, NDArray, Tensor, type ModelBinding } from 'ts-triton';

const addSub = batch(({ a, b }) => {
  const x = a!.data as Float32Array;
  const y = b!.data as Float32Array;
  return {
    add: new NDArray(
      'FP32',
      x.map((v, i) => v + y[i]!),
      a!.shape,
    ),
    sub: new NDArray(
      'FP32',
      x.map((v, i) => v - y[i]!),
      a!.shape,
    ),
  };
});

export default {
  inferFunc: addSub,
  inputs: [Tensor({ name: 'a', dtype: 'FP32', shape: [-1] }), Tensor({ name: 'b', dtype: 'FP32', shape: [-1] })],
  outputs: [Tensor({ name: 'add', dtype: 'FP32', shape: [-1] }), Tensor({ name: 'sub', dtype: 'FP32', shape: [-1] })],
  config: ModelConfig({ maxBatchSize: 64, batcher: { maxQueueDelayMicroseconds: 1000 } }),
  strict: true,
} satisfies ModelBinding;
