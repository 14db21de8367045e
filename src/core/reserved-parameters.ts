/**
 * Request parameters with a meaning to the server (Triton's reserved keys), and how they are read.
 *
 * @module
 */

import { invalidArg, quote } from '../errors.ts';
import type { Parameters } from './request.ts';

/** Keys the server reads itself; they are not passed on to infer functions. */
const RESERVED = new Set([
  'sequence_id',
  'sequence_start',
  'sequence_end',
  'priority',
  'timeout',
  'binary_data_output',
  'headers',
]);

/** The parameters an infer function sees: the request's, without the reserved keys. */
export function customParameters(parameters: Readonly<Parameters>): Parameters {
  let custom: Parameters | undefined;
  for (const key in parameters) {
    if (RESERVED.has(key)) {
      custom ??= { ...parameters };
      delete custom[key];
    }
  }
  return custom ?? (parameters as Parameters);
}

function unsignedParameter(parameters: Readonly<Parameters>, key: string): number {
  const value = parameters[key];
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArg(`parameter '${key}' must be an unsigned integer; got ${quote(value)}`);
  }
  return value;
}

/** The request's `priority` parameter (0 = the model's default level). */
export function requestPriority(parameters: Readonly<Parameters>): number {
  return unsignedParameter(parameters, 'priority');
}

/** The request's `timeout` parameter in µs (0 = none). */
export function requestTimeoutMicroseconds(parameters: Readonly<Parameters>): number {
  return unsignedParameter(parameters, 'timeout');
}
