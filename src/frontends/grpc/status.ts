/**
 * Errors → gRPC statuses, with Triton's mapping of its error codes (`TritonError.grpcStatus`).
 *
 * @module
 */

import type { ServerErrorResponse } from '@grpc/grpc-js';
import { invalidArg, TritonError } from '../../errors.ts';
import { log } from '../../logger.ts';
import { MalformedMessage } from '../../wire/proto-reader.ts';

/** The status an RPC fails with for `error`; anything but a TritonError is INTERNAL with its message. */
export function toServiceError(error: unknown): ServerErrorResponse {
  const e = TritonError.from(error);
  if (!(error instanceof TritonError)) log.verbose(`gRPC request failed: ${e.message}`);
  return Object.assign(new Error(e.message), { code: e.grpcStatus, details: e.message });
}

/**
 * The error (INVALID_ARGUMENT) for a request message that is not well-formed protobuf, or undefined for a
 * decoded message.
 */
export function malformedRequestError(message: unknown): TritonError | undefined {
  if (!(message instanceof MalformedMessage)) return undefined;
  return invalidArg(`the request message is not well-formed protobuf: ${message.problem}`);
}
