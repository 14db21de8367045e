/**
 * Errors → gRPC statuses, with Triton's mapping of its error codes (`TritonError.grpcStatus`).
 *
 * @module
 */

import type { ServerErrorResponse } from '@grpc/grpc-js';
import { TritonError } from '../../errors.ts';
import { log } from '../../logger.ts';

/** The status an RPC fails with for `error`; anything but a TritonError is INTERNAL with its message. */
export function toServiceError(error: unknown): ServerErrorResponse {
  const e = TritonError.from(error);
  if (!(error instanceof TritonError)) log.verbose(`gRPC request failed: ${e.message}`);
  return Object.assign(new Error(e.message), { code: e.grpcStatus, details: e.message });
}
