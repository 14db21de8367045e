/**
 * The request an infer function receives, and the shapes of what it returns.
 *
 * @module
 */

import type { ModelConfig } from './model-config.ts';
import type { ArrayInput, NDArray } from './ndarray.ts';
import type { Tensor } from './tensor-spec.ts';

/** What an infer function (and a decorator) can know about the model it serves. */
export interface ModelInfo {
  /** The model's name. */
  readonly name: string;
  /** The model's version. */
  readonly version: number;
  /** Declared inputs. */
  readonly inputs: readonly Tensor[];
  /** Declared outputs. */
  readonly outputs: readonly Tensor[];
  /** The model's configuration. */
  readonly config: ModelConfig;
}

/** Value of a request or response parameter. */
export type ParameterValue = string | number | boolean;

/** Request or response parameters by name. */
export type Parameters = Record<string, ParameterValue>;

/** What an infer function returns for one request: output name → array. */
export type InferResponse = Record<string, NDArray | ArrayInput>;

/** What {@link Request} is built from. */
export interface RequestInit {
  /** Input name → array. */
  data: Record<string, NDArray>;
  /** Request parameters. */
  parameters?: Parameters;
  /** Names of the outputs the client asked for (all declared outputs when it named none). */
  requestedOutputNames?: readonly string[];
  /** The request's id; empty when the client gave none. */
  id?: string;
  /** The model serving the request (set by the server; optional when building requests by hand). */
  model?: ModelInfo;
}

/**
 * One inference request, as an infer function sees it (PyTriton's `Request`).
 * With batching on, each input keeps the request's own batch dimension first.
 */
export class Request {
  /** Input name → array. */
  readonly data: Readonly<Record<string, NDArray>>;
  /** Request parameters (the request's `parameters` object, reserved keys removed). */
  readonly parameters: Readonly<Parameters>;
  /** Names of the outputs to produce. */
  readonly requestedOutputNames: readonly string[];
  /** The request's id; empty when the client gave none. */
  readonly id: string;
  /** The model serving this request; undefined for a request built by hand without one. */
  readonly model: ModelInfo | undefined;

  /** @param init - the request's inputs, parameters, requested outputs and id. */
  constructor(init: RequestInit) {
    this.data = init.data;
    this.parameters = init.parameters ?? {};
    this.requestedOutputNames = init.requestedOutputNames ?? [];
    this.id = init.id ?? '';
    this.model = init.model;
  }
}

/**
 * The function bound as a model: receives the requests of one batch and returns one response per request,
 * in the same order.
 */
export type InferFunc = (requests: Request[]) => InferResponse[] | Promise<InferResponse[]>;

const RESPONSE_PARAMETERS = Symbol.for('ts-triton.responseParameters');

/**
 * Attaches response parameters to a response; they are sent in the response's `parameters`.
 * @returns the same response object.
 */
export function withParameters<R extends InferResponse>(response: R, parameters: Parameters): R {
  Object.defineProperty(response, RESPONSE_PARAMETERS, { value: parameters, enumerable: false });
  return response;
}

/** The response parameters attached with {@link withParameters}, if any. */
export function responseParameters(response: InferResponse): Parameters | undefined {
  return (response as Record<symbol, Parameters | undefined>)[RESPONSE_PARAMETERS];
}
