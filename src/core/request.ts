/**
 * The request an infer function receives, and the shapes of what it returns.
 *
 * @module
 */

import type { ModelConfig } from './model-config.ts';
import type { ArrayInput, NDArray } from '../tensor/ndarray.ts';
import type { Tensor } from './tensor-spec.ts';
import { NOOP_REQUEST_TRACER, recordingContextOf, type RequestTracer, type TracedSpan } from './trace-hooks.ts';
import type { Span, SpanContext } from '@opentelemetry/api';

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
  /** The request's tracing (set by the server for traced requests). */
  tracer?: RequestTracer;
  /** Aborted when the client cancels the request. */
  signal?: AbortSignal | undefined;
}

/**
 * The context of a request's `span` when it records, without making the span: what a worker instance's spans of
 * the request are parented to (the server's, not a public API).
 */
export let spanContextOf: (request: Request) => SpanContext | undefined;

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
  /** Aborted when the client cancels the request or disconnects; never aborted when nothing can cancel it. */
  readonly signal: AbortSignal;
  readonly #tracer: RequestTracer;

  static {
    spanContextOf = (request) => recordingContextOf(request.#tracer);
  }

  /** @param init - the request's inputs, parameters, requested outputs and id. */
  constructor(init: RequestInit) {
    this.data = init.data;
    this.parameters = init.parameters ?? {};
    this.requestedOutputNames = init.requestedOutputNames ?? [];
    this.id = init.id ?? '';
    this.model = init.model;
    this.#tracer = init.tracer ?? NOOP_REQUEST_TRACER;
    this.signal = init.signal ?? NEVER_ABORTED;
  }

  /**
   * The OpenTelemetry span of this request's infer-function call (`infer_callable`), for use with the
   * OpenTelemetry API. A non-recording span when the request is not traced.
   */
  get span(): Span {
    return this.#tracer.span;
  }

  /**
   * Runs `fn` (sync or async) inside a child span of {@link Request.span} named `name` and returns its result;
   * a throw is recorded on the span and rethrown. Costs almost nothing when the request is not traced.
   * @example request.tracedSpan('preprocess', () => normalize(request.data.x))
   */
  tracedSpan<T>(name: string, fn: () => T): T;
  /**
   * Starts a child span of {@link Request.span} that ends when disposed.
   * @example using span = request.tracedSpan('pass-through-sleep');
   */
  tracedSpan(name: string): TracedSpan;
  tracedSpan<T>(name: string, fn?: () => T): T | TracedSpan {
    return fn ? this.#tracer.run(name, fn) : this.#tracer.open(name);
  }

  /** A copy of this request with other input data (parameters, id, model and tracing kept). */
  withData(data: Record<string, NDArray>): Request {
    return new Request({
      data,
      parameters: this.parameters,
      requestedOutputNames: this.requestedOutputNames,
      id: this.id,
      model: this.model,
      tracer: this.#tracer,
      signal: this.signal,
    });
  }
}

/**
 * What an infer function returns for one request: its response, or an `Error` that fails that request alone
 * (a `TritonError` keeps its code, so it can answer e.g. 400; any other error answers 500).
 */
export type InferOutcome = InferResponse | Error;

/**
 * The function bound as a model: receives the requests of one batch and returns one response (or `Error`) per
 * request, in the same order. Throwing fails every request of the batch.
 */
export type InferFunc = (requests: Request[]) => InferOutcome[] | Promise<InferOutcome[]>;

/**
 * The infer function of a decoupled (streaming) model: an (async) generator; each value it yields holds one
 * entry per request, in order — a response to send, `undefined` for none, or an `Error` that ends that request's
 * stream with it. A request's stream ends when the function returns.
 */
export type DecoupledInferFunc = (
  requests: Request[],
) =>
  | AsyncIterable<readonly (InferResponse | Error | undefined)[]>
  | Iterable<readonly (InferResponse | Error | undefined)[]>;

const NEVER_ABORTED = new AbortController().signal;

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
