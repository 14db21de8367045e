/**
 * `identity`: returns its input. A model folder holding its module directly is served as version 1.
 * The module's default export is what `triton.bind` takes, without the name and version (the folders give them).
 */
import { batch, ModelConfig, Tensor, type ModelBinding } from 'ts-triton';

export default {
  inferFunc: batch(({ input }) => ({ output: input! })),
  inputs: [Tensor({ name: 'input', dtype: 'FP32', shape: [-1] })],
  outputs: [Tensor({ name: 'output', dtype: 'FP32', shape: [-1] })],
  config: ModelConfig({ maxBatchSize: 64 }),
} satisfies ModelBinding;
