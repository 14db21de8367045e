/**
 * `batch`: turns a function of whole batches into an infer function (PyTriton's `@batch`).
 *
 * @module
 */

import { invalidArg } from '../../errors.ts';
import { NDArray } from '../../tensor/ndarray.ts';
import type { InferResponse, Request } from '../request.ts';
import { checkedOutputs } from './convert.ts';
import { mapValues, namesId, sortedKeys, sum } from './helpers.ts';
import { requestBatchSize } from './rows.ts';
import type { BatchedFunc } from './types.ts';

/**
 * Turns a function of whole batches into an infer function (PyTriton's `@batch`).
 *
 * The inputs of all requests are joined along the first dimension and `fn` is called once. Each output is then
 * split back by the requests' batch sizes (the first dimension of each request's first input; 1 for a request
 * without inputs). Outputs that are not NDArrays are converted to the output's declared datatype, or to one
 * inferred from the value when the model is unknown (see `asNDArray`).
 *
 * @example
 * ```ts
 * const double = batch(({ x }) => ({
 *   y: NDArray.from(Array.from(x!.data as Float32Array, (v) => v * 2), 'FP32', x!.shape),
 * }));
 * ```
 * @param fn - the function of one whole batch; it also receives a `BatchContext`.
 * @returns an infer function answering each request with its rows of the outputs.
 * @throws {TritonError} (the returned function) INVALID_ARG when the requests have different input names
 *   (wrap with `groupByKeys`) or inputs that cannot be joined; INTERNAL when an output's first dimension
 *   is not the sum of the requests' batch sizes.
 */
export function batch(fn: BatchedFunc): (requests: Request[]) => Promise<InferResponse[]> {
  return async (requests) => {
    if (requests.length === 0) return [];
    const inputs = joinInputs(requests, commonInputNames(requests));
    const model = requests[0]!.model;
    const result = await fn(inputs, { requests, model });
    const sizes = requests.map(requestBatchSize);
    return splitOutputs(checkedOutputs('batch', result, model, sum(sizes)), sizes);
  };
}

/** The input names every request has; throws INVALID_ARG naming the difference when they are not the same. */
function commonInputNames(requests: readonly Request[]): string[] {
  const expected = sortedKeys(requests[0]!.data);
  requests.forEach((request, i) => {
    const actual = sortedKeys(request.data);
    if (namesId(actual) !== namesId(expected)) {
      throw invalidArg(
        `batch: request ${i} has inputs [${actual.join(', ')}] but request 0 has [${expected.join(', ')}]` +
          ` (${describeNameDifference(expected, actual)}); requests with different inputs cannot be batched` +
          ' together, wrap the infer function with groupByKeys',
      );
    }
  });
  return expected;
}

/** `missing a, b; extra c`: the names `actual` lacks and has beyond `expected`. */
function describeNameDifference(expected: readonly string[], actual: readonly string[]): string {
  const missing = expected.filter((name) => !actual.includes(name));
  const extra = actual.filter((name) => !expected.includes(name));
  const parts = [];
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`extra ${extra.join(', ')}`);
  return parts.join('; ');
}

/** Each named input of all requests, joined along the first dimension; INVALID_ARG when they cannot be. */
function joinInputs(requests: readonly Request[], names: readonly string[]): Record<string, NDArray> {
  const inputs: Record<string, NDArray> = {};
  for (const name of names) {
    try {
      inputs[name] = NDArray.concat(requests.map((request) => request.data[name]!));
    } catch (error) {
      throw invalidArg(`batch: input '${name}' cannot be batched: ${(error as Error).message}`);
    }
  }
  return inputs;
}

/** One response per request: consecutive slices of the outputs' rows, `sizes[i]` rows for request `i`. */
function splitOutputs(outputs: Readonly<Record<string, NDArray>>, sizes: readonly number[]): InferResponse[] {
  let start = 0;
  return sizes.map((size) => {
    const end = start + size;
    const response = mapValues(outputs, (array) => array.sliceRows(start, end));
    start = end;
    return response;
  });
}
