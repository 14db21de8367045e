/**
 * The ts-triton client (`ts-triton/client`): PyTriton-style model clients for any Triton / KServe v2 server,
 * over HTTP (binary tensor data) or gRPC.
 *
 * @module
 */

export { ModelClient } from './model-client.ts';
export { DecoupledModelClient } from './decoupled-model-client.ts';
export type { BaseModelClient } from './base-client.ts';
export {
  DEFAULT_INFERENCE_TIMEOUT_S,
  DEFAULT_INIT_TIMEOUT_S,
  type InferOptions,
  type ClientTlsOptions,
  type ModelClientOptions,
} from './client-options.ts';
export {
  BadRequestError,
  ClientClosedError,
  ClientConnectionError,
  ClientError,
  type ClientErrorKind,
  ClientTimeoutError,
  ClientValueError,
  InferenceServerError,
  ModelUnavailableError,
  type ServerStatus,
} from './errors.ts';
export type { ClientModelConfig, TensorConfig } from './model-config.ts';
export type { InferInputs, InferResult, TypedArray } from './tensors.ts';
export type { ParameterValue } from './transport.ts';
export type { Protocol, ServerUrl } from './url.ts';
export { NDArray } from '../tensor/ndarray.ts';
export { DataType } from '../tensor/dtype.ts';
