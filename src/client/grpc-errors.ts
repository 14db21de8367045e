/**
 * gRPC call failures → client errors: DEADLINE_EXCEEDED is a timeout, UNAVAILABLE without a connection is a
 * connection error, any other status is the server's error (see `grpcStatusError`).
 *
 * @module
 */

import type { ServiceError } from '@grpc/grpc-js';
import { ClientConnectionError, ClientTimeoutError, type ClientError, grpcStatusError } from './errors.ts';

const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
const NO_CONNECTION =
  /No connection established|ECONNREFUSED|ECONNRESET|ENOTFOUND|Connection dropped|Failed to connect/i;

/**
 * The client error of a failed call.
 * @param error - grpc-js's error.
 * @param what - the call, for messages.
 * @param timeoutMs - the call's timeout, for messages.
 */
export function grpcFailure(error: ServiceError, what: string, timeoutMs: number): ClientError {
  if (error.code === DEADLINE_EXCEEDED) {
    return new ClientTimeoutError(`${what} did not answer within ${timeoutMs / 1000} s`, { cause: error });
  }
  if (error.code === UNAVAILABLE && NO_CONNECTION.test(error.details)) {
    return new ClientConnectionError(`${what} failed: ${error.details}`, { cause: error });
  }
  const failure = grpcStatusError(error.code, error.details);
  (failure as { cause?: unknown }).cause = error;
  return failure;
}
