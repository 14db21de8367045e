/**
 * Options of {@link ModelClient} and {@link DecoupledModelClient}, and of each inference call.
 *
 * @module
 */

import type { ParameterValue } from './transport.ts';

/** How a client connects and how long it waits. */
export interface ModelClientOptions {
  /** The model version; the server's choice when left out. */
  readonly modelVersion?: string | number;
  /**
   * Seconds the first call waits for the server and the model to be ready and for the configuration
   * (default 300).
   */
  readonly initTimeoutS?: number;
  /**
   * Seconds every other call may take (default 60): each inference, each configuration, load and unload call,
   * and, for decoupled models, the wait for each next response.
   */
  readonly inferenceTimeoutS?: number;
  /**
   * TLS settings of an `https://` or `grpcs://` URL: `ca`, the PEM CA certificates the server's certificate
   * must chain to (the system's by default); `cert` and `key`, the PEM client certificate and key for a server
   * that requires them (mutual TLS).
   */
  readonly tls?: ClientTlsOptions;
  /**
   * HTTP headers / gRPC metadata sent with every call, readiness and configuration included: e.g. the header of
   * a restricted API (`{ 'infer-key': '…' }`; over gRPC `{ 'triton-grpc-protocol-infer-key': '…' }`).
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** PEM texts for a TLS connection. */
export interface ClientTlsOptions {
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
}

/** Per-call options of `inferSample` / `inferBatch`. */
export interface InferOptions {
  /** Request parameters. */
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** Extra HTTP headers / gRPC metadata. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The default `initTimeoutS`. */
export const DEFAULT_INIT_TIMEOUT_S = 300;

/** The default `inferenceTimeoutS`. */
export const DEFAULT_INFERENCE_TIMEOUT_S = 60;
