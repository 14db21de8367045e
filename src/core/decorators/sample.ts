/**
 * `sample`: turns a function of one request's inputs into an infer function (PyTriton's `@sample`).
 *
 * @module
 */

import type { NDArray } from '../../tensor/ndarray.ts';
import type { InferFunc, InferOutcome, Request } from '../request.ts';

/**
 * A function of one request's inputs, as {@link sample} calls it; `request` gives its parameters and id. It
 * returns the request's response, or an `Error` (returned or thrown) that fails that request alone.
 */
export type SampleFunc = (
  inputs: Readonly<Record<string, NDArray>>,
  request: Request,
) => InferOutcome | Promise<InferOutcome>;

/**
 * Turns a function of one request's inputs into an infer function (PyTriton's `@sample`), for models without
 * batching.
 *
 * PyTriton passes only the first request. Here `fn` is called for every request, one after the other, and the
 * responses are returned in request order, so no request goes unanswered if several arrive together. A throw
 * of `fn` fails only the request it was called for: it takes that request's place as an `Error`.
 *
 * @example
 * ```ts
 * const upper = sample(({ text }) => ({
 *   upper: NDArray.fromStrings(text!.toStrings().map((s) => s.toUpperCase())),
 * }));
 * ```
 * @param fn - called with each request's inputs and the request itself (for its parameters and id).
 * @returns an infer function answering each request with what `fn` returned for it.
 */
export function sample(fn: SampleFunc): InferFunc {
  return async (requests) => {
    const responses: InferOutcome[] = [];
    for (const request of requests) {
      try {
        responses.push(await fn(request.data, request));
      } catch (error) {
        responses.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return responses;
  };
}
