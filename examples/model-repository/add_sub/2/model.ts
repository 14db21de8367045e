/**
 * `add_sub` version 2: as version 1, plus the element-wise product; its helper module reloads with it when the
 * folder changes (poll mode).
 */
import { batch, ModelConfig, NDArray, Tensor, type ModelBinding } from 'ts-triton';
import { elementwise } from './elementwise.ts';

const addSubMul = batch(({ a, b }) => ({
  add: new NDArray(
    'FP32',
    elementwise(a!, b!, (x, y) => x + y),
    a!.shape,
  ),
  sub: new NDArray(
    'FP32',
    elementwise(a!, b!, (x, y) => x - y),
    a!.shape,
  ),
  mul: new NDArray(
    'FP32',
    elementwise(a!, b!, (x, y) => x * y),
    a!.shape,
  ),
}));

const vector = (name: string) => Tensor({ name, dtype: 'FP32', shape: [-1] });

export default {
  inferFunc: addSubMul,
  inputs: [vector('a'), vector('b')],
  outputs: [vector('add'), vector('sub'), vector('mul')],
  config: ModelConfig({ maxBatchSize: 64, batcher: { maxQueueDelayMicroseconds: 1000 } }),
  strict: true,
} satisfies ModelBinding;
