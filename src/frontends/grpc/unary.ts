/**
 * Unary RPC handlers as plain functions: a request in, a response (or a promise of one) out; whatever they
 * throw is answered with its gRPC status, and a malformed request message with INVALID_ARGUMENT.
 *
 * @module
 */

import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { malformedRequestError, toServiceError } from './status.ts';

/** A unary RPC's logic. */
export type UnaryFn<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>;

/** Wraps `fn` as a grpc-js unary handler. */
export function unary<Req, Res>(fn: UnaryFn<Req, Res>): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const malformed = malformedRequestError(call.request);
    if (malformed) return callback(toServiceError(malformed));
    let response: Res | Promise<Res>;
    try {
      response = fn(call.request, call);
    } catch (error) {
      callback(toServiceError(error));
      return;
    }
    Promise.resolve(response).then(
      (value) => callback(null, value),
      (error: unknown) => callback(toServiceError(error)),
    );
  };
}
