/**
 * The standard `grpc.health.v1.Health` service: SERVING while the server is ready for inference.
 *
 * @module
 */

import type { handleServerStreamingCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { ErrorCode, TritonError } from '../../errors.ts';
import type { GrpcContext } from './context.ts';
import { toServiceError } from './status.ts';
import { unary } from './unary.ts';

/** `HealthCheckResponse.ServingStatus` names. */
type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** `Check` answers for the whole server, whatever service is named (as Triton does). */
function check(ctx: GrpcContext): { status: ServingStatus } {
  return { status: ctx.service.ready ? 'SERVING' : 'NOT_SERVING' };
}

const WATCH_UNSUPPORTED = 'grpc.health.v1.Health/Watch is not supported; use Check';

const watch: handleServerStreamingCall<unknown, unknown> = (call) => {
  call.emit('error', toServiceError(new TritonError(ErrorCode.UNSUPPORTED, WATCH_UNSUPPORTED)));
};

/** The implementation of `grpc.health.v1.Health`. */
export function healthService(ctx: GrpcContext): UntypedServiceImplementation {
  return { Check: unary(() => check(ctx)), Watch: watch };
}
