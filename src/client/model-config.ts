/**
 * The part of a model's configuration the client needs, read from the HTTP `/config` JSON or the gRPC
 * `ModelConfigResponse.config` (both use the `model_config.proto` field names).
 *
 * @module
 */

import { type DataType, isDataType } from '../tensor/dtype.ts';

/** One input or output of a model. */
export interface TensorConfig {
  /** The tensor's name. */
  readonly name: string;
  /** Its datatype. */
  readonly datatype: DataType;
  /** Its shape without the batch dimension; -1 for a variable dimension. */
  readonly shape: readonly number[];
}

/** A model's configuration, as the client uses it. */
export interface ClientModelConfig {
  /** The model's name. */
  readonly name: string;
  /** The largest batch; 0 when the model does not batch (no batch dimension). */
  readonly maxBatchSize: number;
  /** Whether the model is decoupled (answers a request any number of times). */
  readonly decoupled: boolean;
  /** The inputs, in configuration order. */
  readonly inputs: readonly TensorConfig[];
  /** The outputs, in configuration order. */
  readonly outputs: readonly TensorConfig[];
  /** The whole configuration as the server sent it. */
  readonly raw: Readonly<Record<string, unknown>>;
}

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** `TYPE_FP32` → `FP32`, `TYPE_STRING` → `BYTES`. */
function datatypeOf(configType: unknown): DataType {
  const name = String(configType).replace(/^TYPE_/, '');
  if (name === 'STRING') return 'BYTES';
  return isDataType(name) ? name : 'BYTES';
}

function tensorConfig(value: unknown): TensorConfig {
  const tensor = asObject(value);
  return {
    name: String(tensor.name ?? ''),
    datatype: datatypeOf(tensor.data_type),
    shape: asArray(tensor.dims).map(Number),
  };
}

/**
 * Reads a model configuration (HTTP JSON or gRPC message object; 64-bit numbers may be decimal strings).
 * @param config - the configuration object.
 */
export function parseModelConfig(config: unknown): ClientModelConfig {
  const raw = asObject(config);
  return {
    name: String(raw.name ?? ''),
    maxBatchSize: Number(raw.max_batch_size ?? 0),
    decoupled: asObject(raw.model_transaction_policy).decoupled === true,
    inputs: asArray(raw.input).map(tensorConfig),
    outputs: asArray(raw.output).map(tensorConfig),
    raw,
  };
}
