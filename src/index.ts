/**
 * ts-triton: bind TypeScript functions as models and serve them over the Triton / KServe v2 protocol.
 *
 * @module
 */

// The server
export { Triton, type TritonOptions } from './triton.ts';
export { type TritonConfig, DEFAULT_CONFIG } from './config/triton-config.ts';
export type { BindOptions } from './core/model.ts';
export type { ModelBinding } from './repository/import-binding.ts';

// Declaring models
export { Tensor, type TensorOptions } from './core/tensor-spec.ts';
export {
  ModelConfig,
  DynamicBatcher,
  QueuePolicy,
  InstanceGroup,
  type InstanceKind,
  type TimeoutAction,
  type ModelConfigOptions,
  type DynamicBatcherOptions,
  type QueuePolicyOptions,
} from './core/model-config.ts';
export { DataType } from './tensor/dtype.ts';
export { inferModule, type InferModule } from './core/worker/infer-module.ts';

// Tensor data
export { NDArray, type ArrayInput, type ElementValue } from './tensor/ndarray.ts';
export { TensorError } from './tensor/tensor-error.ts';

// The infer function contract
export {
  Request,
  withParameters,
  type RequestInit,
  type InferFunc,
  type DecoupledInferFunc,
  type InferResponse,
  type InferOutcome,
  type ModelInfo,
  type Parameters,
  type ParameterValue,
} from './core/request.ts';

export type { TracedSpan } from './core/trace-hooks.ts';

// Decorators
export {
  batch,
  sample,
  groupByKeys,
  groupByValues,
  ConstantPadder,
  fillOptionals,
  padBatch,
  firstValue,
  type BatchedFunc,
  type BatchedInputs,
  type BatchedOutputs,
  type BatchContext,
  type BatchedDecorator,
  type SampleFunc,
  type PadFn,
  type GroupByValuesOptions,
  type FirstValueOptions,
} from './core/decorators/index.ts';

// Errors and logging
export { TritonError, ErrorCode } from './errors.ts';
export { log, setLogSink, type LogFormat, type LogLevel, type LogSink, type LogTraceContext } from './logger.ts';
