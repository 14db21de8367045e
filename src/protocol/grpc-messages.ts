/**
 * The messages of `inference.GRPCInferenceService` as plain objects: as `@grpc/proto-loader` decodes requests
 * (with the gRPC frontend's loader options: field names as in the .proto, 64-bit integers as decimal strings,
 * enums as names, defaults filled in, repeated fields as arrays, maps as objects, an absent message field as
 * `null`, bytes as `Uint8Array`s), and as the frontend hands responses to it for encoding.
 *
 * @module
 */

/** The `parameter_choice` members of `InferParameter`. */
export type InferParameterChoice = 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';

/** A decoded `InferParameter`: `parameter_choice` names the member that is set (none when empty). */
export interface InferParameterIn {
  readonly parameter_choice?: InferParameterChoice;
  readonly bool_param?: boolean;
  readonly int64_param?: string;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: string;
}

/** An `InferParameter` to encode: exactly one member. */
export type InferParameterOut =
  | { readonly bool_param: boolean }
  | { readonly int64_param: number }
  | { readonly string_param: string }
  | { readonly double_param: number };

/** A decoded `InferTensorContents`. */
export interface TensorContentsIn {
  readonly bool_contents: readonly boolean[];
  readonly int_contents: readonly number[];
  readonly int64_contents: readonly string[];
  readonly uint_contents: readonly number[];
  readonly uint64_contents: readonly string[];
  readonly fp32_contents: readonly number[];
  readonly fp64_contents: readonly number[];
  readonly bytes_contents: readonly Uint8Array[];
}

/** A decoded `ModelInferRequest.InferInputTensor`. */
export interface InferInputTensorIn {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly string[];
  readonly parameters: Readonly<Record<string, InferParameterIn>>;
  /** `null` when the field is absent (an empty message is present). */
  readonly contents: TensorContentsIn | null;
}

/** A decoded `ModelInferRequest.InferRequestedOutputTensor`. */
export interface RequestedOutputIn {
  readonly name: string;
  readonly parameters: Readonly<Record<string, InferParameterIn>>;
}

/** A decoded `ModelInferRequest`. */
export interface ModelInferRequestIn {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, InferParameterIn>>;
  readonly inputs: readonly InferInputTensorIn[];
  readonly outputs: readonly RequestedOutputIn[];
  readonly raw_input_contents: readonly Uint8Array[];
}

/** A `ModelInferResponse.InferOutputTensor` to encode. */
export interface InferOutputTensorOut {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** A `ModelInferResponse` to encode. */
export interface ModelInferResponseOut {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Readonly<Record<string, InferParameterOut>>;
  readonly outputs: readonly InferOutputTensorOut[];
  /** One entry per output, in output order. */
  readonly raw_output_contents: readonly Uint8Array[];
}

/** A `ModelStreamInferResponse` to encode: a response, or one request's error with only its id. */
export type ModelStreamInferResponseOut =
  | { readonly infer_response: ModelInferResponseOut }
  | { readonly error_message: string; readonly infer_response: { readonly id: string } };

/** A request naming a model and an optional version (`ModelReady`, `ModelMetadata`, `ModelConfig`). */
export interface ModelRequestIn {
  readonly name: string;
  readonly version: string;
}

/** A `SettingValue` of the trace settings RPC. */
export interface SettingValue {
  readonly value: readonly string[];
}

/** A decoded `TraceSettingRequest`. */
export interface TraceSettingRequestIn {
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** Empty: the global settings. */
  readonly model_name: string;
}

/** A `TraceSettingResponse` to encode. */
export interface TraceSettingResponseOut {
  readonly settings: Readonly<Record<string, SettingValue>>;
}

/** A decoded `RepositoryIndexRequest`. */
export interface RepositoryIndexRequestIn {
  readonly repository_name: string;
  readonly ready: boolean;
}

/** One `RepositoryIndexResponse.ModelIndex` to encode. */
export interface ModelIndexOut {
  readonly name: string;
  readonly version: string;
  readonly state: string;
  readonly reason: string;
}

/** A decoded `ModelStatisticsRequest`: an empty `name` asks for every model, an empty `version` for every version. */
export interface ModelStatisticsRequestIn {
  readonly name: string;
  readonly version: string;
}

/** A `StatisticDuration` to encode: a count and cumulative nanoseconds. */
export interface StatisticDurationOut {
  readonly count: number;
  readonly ns: number;
}

/** An `InferStatistics` to encode. */
export interface InferStatisticsOut {
  readonly success: StatisticDurationOut;
  readonly fail: StatisticDurationOut;
  readonly queue: StatisticDurationOut;
  readonly compute_input: StatisticDurationOut;
  readonly compute_infer: StatisticDurationOut;
  readonly compute_output: StatisticDurationOut;
  readonly cache_hit: StatisticDurationOut;
  readonly cache_miss: StatisticDurationOut;
}

/** An `InferBatchStatistics` to encode. */
export interface InferBatchStatisticsOut {
  readonly batch_size: number;
  readonly compute_input: StatisticDurationOut;
  readonly compute_infer: StatisticDurationOut;
  readonly compute_output: StatisticDurationOut;
}

/** A `ModelStatistics` to encode. */
export interface ModelStatisticsOut {
  readonly name: string;
  readonly version: string;
  readonly last_inference: number;
  readonly inference_count: number;
  readonly execution_count: number;
  readonly inference_stats: InferStatisticsOut;
  readonly batch_stats: readonly InferBatchStatisticsOut[];
}

/** A `ModelStatisticsResponse` to encode. */
export interface ModelStatisticsResponseOut {
  readonly model_stats: readonly ModelStatisticsOut[];
}

/** The `parameter_choice` members of `ModelRepositoryParameter`. */
export type RepositoryParameterChoice = 'bool_param' | 'int64_param' | 'string_param' | 'bytes_param';

/** A decoded `ModelRepositoryParameter`. */
export interface RepositoryParameterIn {
  readonly parameter_choice?: RepositoryParameterChoice;
}

/** A decoded `RepositoryModelLoadRequest` or `RepositoryModelUnloadRequest`. */
export interface RepositoryModelRequestIn {
  readonly repository_name: string;
  readonly model_name: string;
  readonly parameters: Readonly<Record<string, RepositoryParameterIn>>;
}

/** A decoded `LogSettingsRequest.SettingValue`: `parameter_choice` names the member that is set (none when empty). */
export interface LogSettingValueIn {
  readonly parameter_choice?: 'bool_param' | 'uint32_param' | 'string_param';
  readonly bool_param?: boolean;
  readonly uint32_param?: number;
  readonly string_param?: string;
}

/** A `LogSettingsResponse.SettingValue` to encode: exactly one member. */
export type LogSettingValueOut =
  { readonly bool_param: boolean } | { readonly uint32_param: number } | { readonly string_param: string };

/** A decoded `LogSettingsRequest`. */
export interface LogSettingsRequestIn {
  readonly settings: Readonly<Record<string, LogSettingValueIn>>;
}

/** A `LogSettingsResponse` to encode. */
export interface LogSettingsResponseOut {
  readonly settings: Readonly<Record<string, LogSettingValueOut>>;
}
