/**
 * The `version` / `model_version` strings of gRPC requests.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/**
 * Reads a model version: empty is -1 (the server picks the latest version), otherwise a decimal integer.
 * @throws {TritonError} INVALID_ARG with Triton's message when it is not a non-negative integer.
 */
export function parseModelVersion(text: string): number {
  if (text === '') return -1;
  const version = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(version)) {
    throw invalidArg(
      `failed to get model version from specified version string '${text}', version should be an integral value > 0`,
    );
  }
  return version;
}
