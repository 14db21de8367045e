/**
 * The ModelInfer RPC: decode → infer → encode, with the request's trace (sampled on the call's metadata)
 * and cancellation when the client goes away.
 *
 * @module
 */

import type { handleUnaryCall } from '@grpc/grpc-js';
import { ErrorCode, TritonError } from '../../errors.ts';
import { encodeGrpcInferResponse } from '../../protocol/grpc-infer-response.ts';
import type { ModelInferRequestIn, ModelInferResponseOut } from '../../protocol/grpc-messages.ts';
import { monotonicNs } from '../../tracing/clock.ts';
import type { FrontendTrace } from '../../tracing/frontend-trace.ts';
import type { GrpcContext } from './context.ts';
import { prepareRequest } from './infer-requests.ts';
import { metadataHeaders } from './metadata-headers.ts';
import { toServiceError } from './status.ts';

/** Runs the request and encodes its result. @throws {TritonError} for a failed request. */
async function infer(
  ctx: GrpcContext,
  message: ModelInferRequestIn,
  trace: FrontendTrace | undefined,
  signal: AbortSignal,
): Promise<ModelInferResponseOut> {
  const { model, request } = prepareRequest(ctx, message, trace, signal);
  if (model.config.decoupled) {
    throw new TritonError(
      ErrorCode.UNSUPPORTED,
      "ModelInfer RPC doesn't support models with decoupled transaction policy",
    );
  }
  const result = await ctx.service.infer(request);
  trace?.responseComplete(monotonicNs());
  return encodeGrpcInferResponse(result);
}

/**
 * The ModelInfer handler. The request's signal is aborted when the client goes away before the answer.
 * grpc-js also emits `cancelled` when the stream of an answered call closes: that one is ignored (aborting
 * then would only cost time; a flag is cheaper than removing the listener).
 */
export function modelInferRpc(ctx: GrpcContext): handleUnaryCall<ModelInferRequestIn, ModelInferResponseOut> {
  return (call, callback) => {
    const trace = ctx.tracing.start(call.request.model_name, metadataHeaders(call.metadata), 'GRPC');
    trace?.received(monotonicNs());
    const cancel = new AbortController();
    let answered = false;
    call.on('cancelled', () => {
      if (!answered) cancel.abort();
    });
    const send = (write: () => void): void => {
      answered = true;
      trace?.sendStart(monotonicNs());
      write();
      trace?.sendEnd(monotonicNs());
    };
    infer(ctx, call.request, trace, cancel.signal).then(
      (response) => send(() => callback(null, response)),
      (error: unknown) => {
        trace?.responseComplete(monotonicNs());
        send(() => callback(toServiceError(error)));
      },
    );
  };
}
