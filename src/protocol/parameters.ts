/**
 * The `parameters` objects of requests, inputs and outputs.
 *
 * @module
 */

import type { Parameters } from '../core/request.ts';
import { invalidArg, quote } from '../errors.ts';

/**
 * Reads a `parameters` object: values must be strings, numbers or booleans.
 * @param field - where the object is, for messages.
 * @param request - whether this is the request-level object, where `triton_` keys are reserved.
 * @throws {TritonError} INVALID_ARG naming the bad key.
 */
export function parseParameters(value: unknown, field: string, request: boolean): Parameters {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArg(`Unable to parse '${field}': expected a JSON object`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (request && key.startsWith('triton_')) {
      throw invalidArg(
        "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
      );
    }
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw invalidArg(
        `Unable to parse '${field}': parameter '${key}' must be a string, number or boolean, got ${quote(v)}`,
      );
    }
  }
  return value as Parameters;
}
