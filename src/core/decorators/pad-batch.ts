/**
 * `padBatch`: pads a batch to a size the model prefers, and cuts the outputs back (PyTriton's `@pad_batch`).
 *
 * @module
 */

import type { ModelConfig } from '../model-config.ts';
import type { NDArray } from '../../tensor/ndarray.ts';
import { checkedOutputs } from './convert.ts';
import { batchingConfig, mapValues } from './helpers.ts';
import { batchRows, takeRows } from './rows.ts';
import type { BatchedFunc } from './types.ts';

/**
 * Pads a batch up to the next preferred batch size, or else the maximum batch size, by repeating its last row;
 * calls the wrapped function; and cuts the outputs back to the real rows (PyTriton's `@pad_batch`, which leaves
 * the cutting to the caller). Use it inside `batch` for models compiled for fixed batch sizes. A batch
 * already larger than every candidate size is passed on unpadded.
 *
 * @example
 * ```ts
 * const inferFunc = batch(padBatch(runFixedSizeEngine));
 * ```
 * @param fn - the batched function, called with the padded inputs.
 * @returns a batched function.
 * @throws {TritonError} (the returned function) INTERNAL when the model is unknown or does not batch, or when an
 *   output's first dimension is not the padded batch size.
 */
export function padBatch(fn: BatchedFunc): BatchedFunc {
  return async (inputs, context) => {
    const rows = batchRows(inputs);
    const target = paddedBatchSize(rows, batchingConfig('padBatch', context.model));
    if (target === rows) return fn(inputs, context);
    const padded = mapValues(inputs, (array) => repeatLastRow(array, target));
    const outputs = checkedOutputs('padBatch', await fn(padded, context), context.model, target);
    return mapValues(outputs, (array) => array.sliceRows(0, rows));
  };
}

/** The smallest preferred batch size or maximum batch size that holds `rows`; `rows` when none does. */
function paddedBatchSize(rows: number, config: ModelConfig): number {
  if (rows === 0) return 0;
  const candidates = [...config.batcher.preferredBatchSize, config.maxBatchSize].sort((a, b) => a - b);
  return candidates.find((size) => size >= rows) ?? rows;
}

/** `array` with its last row repeated until it has `rows` rows. */
function repeatLastRow(array: NDArray, rows: number): NDArray {
  const indices = Array.from({ length: rows }, (_, i) => Math.min(i, array.rows - 1));
  return takeRows(array, indices);
}
