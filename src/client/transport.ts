/**
 * What a protocol (HTTP or gRPC) provides to the clients. Every call takes its own timeout, which always
 * applies (a deadline on gRPC, an abort signal on HTTP).
 *
 * @module
 */

import type { NDArray } from '../tensor/ndarray.ts';

/** Parameter values a request can carry. */
export type ParameterValue = string | number | boolean;

/** Where a call goes: a model and an optional version. */
export interface ModelTarget {
  /** The model's name. */
  readonly modelName: string;
  /** The version; undefined for the server's choice. */
  readonly modelVersion: string | undefined;
}

/** One inference request. */
export interface InferCall extends ModelTarget {
  /** The inputs, already with a batch dimension when the model batches. */
  readonly inputs: Readonly<Record<string, NDArray>>;
  /** Request parameters. */
  readonly parameters: Readonly<Record<string, ParameterValue>> | undefined;
  /** Extra HTTP headers / gRPC metadata. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** The calls both protocols implement; `timeoutMs` bounds each one. */
export interface Transport {
  /** Whether the server is live and ready; false when it is not (or unreachable). */
  serverReady(timeoutMs: number): Promise<boolean>;
  /** Whether the model is ready; false when it is not or is unknown. */
  modelReady(target: ModelTarget, timeoutMs: number): Promise<boolean>;
  /** The model's configuration object (model_config.proto field names). */
  modelConfig(target: ModelTarget, timeoutMs: number): Promise<unknown>;
  /** Runs one inference and returns every output. */
  infer(call: InferCall, timeoutMs: number): Promise<Record<string, NDArray>>;
  /** Loads (makes available again) a model. */
  loadModel(modelName: string, timeoutMs: number): Promise<void>;
  /** Unloads a model. */
  unloadModel(modelName: string, timeoutMs: number): Promise<void>;
  /** Closes connections. */
  close(): Promise<void>;
}
