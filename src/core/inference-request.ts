/**
 * The protocol-neutral form of an inference request and its result, shared by every frontend.
 *
 * @module
 */

import type { NDArray } from '../tensor/ndarray.ts';
import type { Parameters } from './request.ts';
import type { RequestTrace } from './trace-hooks.ts';

/** An inference request after a frontend decoded it. */
export interface InferenceRequest {
  /** The model's name. */
  readonly modelName: string;
  /** The model's version, or -1 for the latest ready version. */
  readonly modelVersion: number;
  /** The client's request id; empty when none. */
  readonly id: string;
  /** Input name → array, with the batch dimension when the model batches. */
  readonly inputs: Readonly<Record<string, NDArray>>;
  /** Request parameters as the client sent them, reserved ones included. */
  readonly parameters: Readonly<Parameters>;
  /** Names of the outputs asked for; undefined asks for all. */
  readonly requestedOutputs: readonly string[] | undefined;
  /** The request's trace, when it was sampled. */
  readonly trace?: RequestTrace | undefined;
  /** Aborted when the client goes away: a queued request leaves the queue, a running one sees it. */
  readonly signal?: AbortSignal | undefined;
  /** Receives each response as it is produced (streaming frontends; every response of a decoupled model). */
  readonly onResponse?: ((result: InferenceResult) => void) | undefined;
  /**
   * Told, just before a successful request's result is delivered, how long it waited in the queue and how
   * long its batch's execution took, in ms (the `Server-Timing` response header).
   */
  readonly onTiming?: ((queueMs: number, computeMs: number) => void) | undefined;
}

/** One output of a result. */
export interface OutputTensor {
  /** The output's name. */
  readonly name: string;
  /** Its data. */
  readonly array: NDArray;
}

/** The result of an inference request. */
export interface InferenceResult {
  /** The model's name. */
  readonly modelName: string;
  /** The version that served the request. */
  readonly modelVersion: number;
  /** The request's id; empty when none. */
  readonly id: string;
  /** The outputs, in the model's declaration order. */
  readonly outputs: readonly OutputTensor[];
  /** Response parameters set by the infer function, if any. */
  readonly parameters: Readonly<Parameters> | undefined;
}
