/**
 * `map<string, InferParameter>` of gRPC requests, tensors and responses ↔ {@link Parameters}, with Triton's
 * rules and messages for the reserved request parameters.
 *
 * @module
 */

import type { ParameterValue, Parameters } from '../core/request.ts';
import { invalidArg } from '../errors.ts';
import type { InferParameterChoice, InferParameterIn, InferParameterOut } from './grpc-messages.ts';

/** The `triton_` request parameters Triton accepts (they steer the frontend and are not passed on). */
const TRITON_REQUEST_PARAMETERS = ['triton_enable_empty_final_response'] as const;

/** Allowed members of each reserved request parameter, and Triton's wording of them. */
const RESERVED_CHOICES: Readonly<Record<string, { choices: readonly InferParameterChoice[]; expected: string }>> = {
  sequence_id: { choices: ['int64_param', 'string_param'], expected: 'int64_param or string_param' },
  sequence_start: { choices: ['bool_param'], expected: 'bool_param' },
  sequence_end: { choices: ['bool_param'], expected: 'bool_param' },
  priority: { choices: ['int64_param', 'uint64_param'], expected: 'int64_param or uint64_param' },
  timeout: { choices: ['int64_param'], expected: 'int64_param' },
  triton_enable_empty_final_response: { choices: ['bool_param'], expected: 'bool_param' },
};

const CUSTOM_CHOICES: readonly InferParameterChoice[] = ['int64_param', 'bool_param', 'string_param', 'double_param'];

function invalidType(key: string, expected: string): never {
  throw invalidArg(`invalid value type for '${key}' parameter, expected ${expected}.`);
}

/** The 64-bit integer of a parameter as a number. @throws {TritonError} INVALID_ARG when it is not exact. */
function safeInteger(key: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw invalidArg(`parameter '${key}' is ${text}, which is beyond the integers this server represents exactly`);
  }
  return value;
}

/** The value of a parameter whose member is set (any member). */
function valueOf(key: string, parameter: InferParameterIn): ParameterValue {
  switch (parameter.parameter_choice) {
    case 'bool_param':
      return parameter.bool_param === true;
    case 'string_param':
      return parameter.string_param ?? '';
    case 'double_param':
      return parameter.double_param ?? 0;
    case 'int64_param':
      return safeInteger(key, parameter.int64_param ?? '0');
    case 'uint64_param':
      return safeInteger(key, parameter.uint64_param ?? '0');
    default:
      throw invalidArg(`parameter '${key}' has no value`);
  }
}

function checkTritonKey(key: string): void {
  if ((TRITON_REQUEST_PARAMETERS as readonly string[]).includes(key)) return;
  throw invalidArg(
    "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys starting " +
      `with 'triton_' are allowed: ${TRITON_REQUEST_PARAMETERS.join(' ')}`,
  );
}

function requestParameter(key: string, parameter: InferParameterIn): ParameterValue {
  if (key.startsWith('triton_')) checkTritonKey(key);
  const reserved = RESERVED_CHOICES[key];
  const choice = parameter.parameter_choice;
  if (reserved) {
    if (!choice || !reserved.choices.includes(choice)) invalidType(key, reserved.expected);
  } else if (!choice || !CUSTOM_CHOICES.includes(choice)) {
    invalidType(key, 'int64_param, bool_param, or string_param');
  }
  const value = valueOf(key, parameter);
  if (key === 'priority' && typeof value === 'number' && value < 0) {
    throw invalidArg("invalid value for 'priority', expected value >= 0.");
  }
  return value;
}

/**
 * Reads the parameters of a `ModelInferRequest` with Triton's rules: reserved keys (`sequence_id`,
 * `sequence_start`, `sequence_end`, `priority`, `timeout`) must use their member; `triton_` keys must be in
 * Triton's allow-list and are not passed on; custom ones are int64, bool, string or double.
 * @throws {TritonError} INVALID_ARG with Triton's message.
 */
export function decodeRequestParameters(map: Readonly<Record<string, InferParameterIn>>): Parameters {
  const parameters: Parameters = {};
  for (const [key, parameter] of Object.entries(map)) {
    const value = requestParameter(key, parameter);
    if (!key.startsWith('triton_')) parameters[key] = value;
  }
  return parameters;
}

/**
 * Reads the parameters of a tensor (any member).
 * @throws {TritonError} INVALID_ARG for a parameter without a value or an inexact 64-bit integer.
 */
export function decodeTensorParameters(map: Readonly<Record<string, InferParameterIn>>): Parameters {
  const parameters: Parameters = {};
  for (const [key, parameter] of Object.entries(map)) parameters[key] = valueOf(key, parameter);
  return parameters;
}

/** Writes response parameters: booleans, strings, integers as `int64_param`, other numbers as `double_param`. */
export function encodeParameters(parameters: Readonly<Parameters> | undefined): Record<string, InferParameterOut> {
  const map: Record<string, InferParameterOut> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (typeof value === 'boolean') map[key] = { bool_param: value };
    else if (typeof value === 'string') map[key] = { string_param: value };
    else map[key] = Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
  }
  return map;
}
