/**
 * Types shared by the decorators: the batch-level function contract ({@link BatchedFunc} and what it receives and
 * returns), the pad function of `groupByValues`, and the `[...keys, options?]` argument form.
 *
 * @module
 */

import type { ArrayInput, NDArray } from '../../tensor/ndarray.ts';
import type { ModelInfo, Request } from '../request.ts';

/** Inputs of a whole batch: input name → the arrays of every request, joined along the first dimension. */
export type BatchedInputs = Readonly<Record<string, NDArray>>;

/** Outputs of a whole batch: output name → an array whose first dimension covers every row of the batch. */
export type BatchedOutputs = Record<string, NDArray | ArrayInput>;

/** What a batched function knows besides its inputs: the requests it serves and their model. */
export interface BatchContext {
  /** The requests whose inputs were joined, in order. */
  readonly requests: readonly Request[];
  /** The model serving them; undefined when the requests were built without one. */
  readonly model: ModelInfo | undefined;
}

/** A function of one whole batch, as `batch` calls it. */
export type BatchedFunc = (inputs: BatchedInputs, context: BatchContext) => BatchedOutputs | Promise<BatchedOutputs>;

/** Wraps a batched function in another (the form of `groupByValues`, `padBatch`, `firstValue`). */
export type BatchedDecorator = (fn: BatchedFunc) => BatchedFunc;

/**
 * Makes the outputs of the groups of `groupByValues` joinable: receives each group's outputs and returns them
 * with equal datatypes and trailing shapes per output. The batch dimension must be left as it is.
 */
export type PadFn = (groups: readonly Readonly<Record<string, NDArray>>[]) => Record<string, NDArray>[];

/** Input names, optionally followed by an options object (the arguments of `groupByValues` and `firstValue`). */
export type KeysThenOptions<O> = [...keys: string[], options: O] | string[];
