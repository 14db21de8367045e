/**
 * `groupByKeys`: calls an infer function once per group of requests with the same input names (PyTriton's
 * `@group_by_keys`).
 *
 * @module
 */

import { ErrorCode, TritonError } from '../../errors.ts';
import type { InferOutcome, Request } from '../request.ts';
import { describeValue, groupIndices, namesId, sortedKeys } from './helpers.ts';

/**
 * Calls an infer function once per group of requests with the same input names (PyTriton's `@group_by_keys`), and
 * returns the responses in the original request order. Put it outside `batch` when inputs are optional.
 *
 * @example
 * ```ts
 * const inferFunc = groupByKeys(batch(({ x, bias }) => ({ y: bias ? add(x!, bias) : x! })));
 * ```
 * @param inferFunc - called once per group, in order of each group's first request.
 * @returns an infer function over requests that may differ in their input names.
 * @throws {TritonError} (the returned function) INTERNAL when `inferFunc` returns the wrong number of responses.
 */
export function groupByKeys<R extends InferOutcome>(
  inferFunc: (requests: Request[]) => R[] | Promise<R[]>,
): (requests: Request[]) => Promise<R[]> {
  return async (requests) => {
    const responses = new Array<R>(requests.length);
    const groups = groupIndices(requests.length, (i) => namesId(sortedKeys(requests[i]!.data)));
    for (const indices of groups) {
      const groupResponses = await inferFunc(indices.map((i) => requests[i]!));
      checkResponseCount(groupResponses, indices.length);
      indices.forEach((requestIndex, k) => (responses[requestIndex] = groupResponses[k]!));
    }
    return responses;
  };
}

/** Throws INTERNAL unless `responses` is an array of `expected` responses. */
function checkResponseCount(responses: unknown, expected: number): void {
  if (!Array.isArray(responses) || responses.length !== expected) {
    const got = Array.isArray(responses) ? `${responses.length} responses` : describeValue(responses);
    throw new TritonError(
      ErrorCode.INTERNAL,
      `groupByKeys: the wrapped infer function returned ${got} for ${expected} requests;` +
        ' it must return one response per request',
    );
  }
}
