/**
 * Which outputs an inference response sends as binary blobs instead of JSON `data` (binary tensor data
 * extension): the request's `parameters.binary_data_output` sets the default for every output, and an output's
 * own `parameters.binary_data` overrides it.
 *
 * @module
 */

import { invalidArg, quote } from '../errors.ts';

/** Which outputs of a response are binary. */
export interface BinaryOutputChoice {
  /** Whether an output without its own setting is binary (the request's `binary_data_output`). */
  readonly byDefault: boolean;
  /** Outputs' own `binary_data` settings, by output name. */
  readonly overrides: ReadonlyMap<string, boolean> | undefined;
}

/** Every output in JSON (a request that asks for no binary output). */
export const JSON_OUTPUTS: BinaryOutputChoice = Object.freeze({ byDefault: false, overrides: undefined });

/** Every output binary (a raw binary request). */
export const BINARY_OUTPUTS: BinaryOutputChoice = Object.freeze({ byDefault: true, overrides: undefined });

/** True when output `name` is sent as a binary blob. */
export function isBinaryOutput(choice: BinaryOutputChoice, name: string): boolean {
  return choice.overrides?.get(name) ?? choice.byDefault;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads the binary output settings of a JSON inference request (already checked by `decodeInferRequest`).
 * @throws {TritonError} INVALID_ARG when `binary_data_output` or an output's `binary_data` is not a boolean.
 */
export function decodeBinaryOutputChoice(body: unknown): BinaryOutputChoice {
  if (!isObject(body)) return JSON_OUTPUTS;
  const byDefault = booleanParameter(body.parameters, 'binary_data_output', "'binary_data_output'");
  const overrides = outputOverrides(body.outputs);
  if (!byDefault && overrides === undefined) return JSON_OUTPUTS;
  return { byDefault: byDefault ?? false, overrides };
}

function outputOverrides(outputs: unknown): Map<string, boolean> | undefined {
  if (!Array.isArray(outputs)) return undefined;
  let overrides: Map<string, boolean> | undefined;
  for (const output of outputs) {
    if (!isObject(output) || typeof output.name !== 'string') continue;
    const binary = booleanParameter(output.parameters, 'binary_data', `'binary_data' of output '${output.name}'`);
    if (binary === undefined) continue;
    overrides ??= new Map();
    overrides.set(output.name, binary);
  }
  return overrides;
}

function booleanParameter(parameters: unknown, key: string, field: string): boolean | undefined {
  if (!isObject(parameters) || !(key in parameters)) return undefined;
  const value = parameters[key];
  if (typeof value !== 'boolean') {
    throw invalidArg(`Unable to parse ${field}: expected a boolean, got ${quote(value)}`);
  }
  return value;
}
