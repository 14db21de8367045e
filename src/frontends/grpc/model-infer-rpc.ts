/**
 * The ModelInfer RPC: decode → infer → encode, with the request's trace (sampled on the call's metadata)
 * and cancellation when the client goes away.
 *
 * @module
 */

import type { handleUnaryCall, ServerUnaryCall } from '@grpc/grpc-js';
import { ErrorCode, TritonError } from '../../errors.ts';
import { encodeGrpcInferResponse } from '../../protocol/grpc-infer-response.ts';
import type { ModelInferRequestIn, ModelInferResponseOut } from '../../protocol/grpc-messages.ts';
import { monotonicNs } from '../../tracing/clock.ts';
import type { FrontendTrace } from '../../tracing/frontend-trace.ts';
import type { GrpcContext } from './context.ts';
import { prepareRequest } from './infer-requests.ts';
import { metadataHeaders } from './metadata-headers.ts';
import { toServiceError } from './status.ts';

type Call = ServerUnaryCall<ModelInferRequestIn, ModelInferResponseOut>;

/** Runs the request and encodes its result. @throws {TritonError} for a failed request. */
async function infer(ctx: GrpcContext, call: Call, trace: FrontendTrace | undefined): Promise<ModelInferResponseOut> {
  const cancel = new AbortController();
  call.once('cancelled', () => cancel.abort());
  const { model, request } = prepareRequest(ctx, call.request, trace, cancel.signal);
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

/** The ModelInfer handler. */
export function modelInferRpc(ctx: GrpcContext): handleUnaryCall<ModelInferRequestIn, ModelInferResponseOut> {
  return (call, callback) => {
    const trace = ctx.tracing.start(call.request.model_name, metadataHeaders(call.metadata), 'GRPC', monotonicNs());
    trace?.received(monotonicNs());
    const send = (write: () => void): void => {
      trace?.sendStart(monotonicNs());
      write();
      trace?.sendEnd(monotonicNs());
    };
    infer(ctx, call, trace).then(
      (response) => send(() => callback(null, response)),
      (error: unknown) => {
        trace?.responseComplete(monotonicNs());
        send(() => callback(toServiceError(error)));
      },
    );
  };
}
