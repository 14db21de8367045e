/**
 * Decorators: higher-order functions that adapt plain functions to the `InferFunc` a model is bound with
 * (PyTriton's `@batch`, `@sample`, `@group_by_keys`, `@group_by_values`, `@fill_optionals`, `@pad_batch` and
 * `@first_value`).
 *
 * They work at two levels:
 * - the request level, on `Request[]` (`InferFunc`): {@link batch}, {@link sample}, {@link groupByKeys},
 *   {@link fillOptionals};
 * - the batch level, on the inputs of all requests joined along the first dimension ({@link BatchedFunc}),
 *   so inside {@link batch}: {@link groupByValues}, {@link padBatch}, {@link firstValue}.
 *
 * Where PyTriton stacks decorators (`@batch` above `@group_by_values(...)`), the TypeScript form nests calls,
 * outermost first: `batch(groupByValues('k')(fn))`.
 *
 * @module
 */

export { batch } from './batch.ts';
export { sample, type SampleFunc } from './sample.ts';
export { groupByKeys } from './group-by-keys.ts';
export { groupByValues, type GroupByValuesOptions } from './group-by-values.ts';
export { ConstantPadder } from './constant-padder.ts';
export { fillOptionals } from './fill-optionals.ts';
export { padBatch } from './pad-batch.ts';
export { firstValue, type FirstValueOptions } from './first-value.ts';
export type { BatchContext, BatchedDecorator, BatchedFunc, BatchedInputs, BatchedOutputs, PadFn } from './types.ts';
