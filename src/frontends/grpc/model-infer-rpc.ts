/**
 * The ModelInfer RPC: decode → infer → encode, with the request's trace (sampled on the call's metadata)
 * and cancellation when the client goes away.
 *
 * @module
 */

import type { EventEmitter } from 'node:events';
import { type handleUnaryCall, Metadata } from '@grpc/grpc-js';
import { ErrorCode, TritonError } from '../../errors.ts';
import { encodeGrpcInferResponse } from '../../protocol/grpc-infer-response.ts';
import type { ModelInferRequestIn, ModelInferResponseOut } from '../../protocol/grpc-messages.ts';
import { nowNs } from '../../core/clock.ts';
import type { FrontendTrace } from '../../tracing/frontend-trace.ts';
import type { GrpcContext } from './context.ts';
import { grpcEndpoint, prepareRequest } from './infer-requests.ts';
import { metadataHeaders } from './metadata-headers.ts';
import { malformedRequestError, toServiceError } from './status.ts';

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
  trace?.responseComplete(nowNs());
  return encodeGrpcInferResponse(result);
}

/** The cancellation of one unary call: {@link callCancellation}. */
export interface CallCancellation {
  /** Aborted when the client goes away before the answer. */
  readonly signal: AbortSignal;
  /** Marks the call answered: a later `cancelled` no longer aborts, and the listener is gone. */
  answered(): void;
}

/**
 * Aborts a signal when `call` reports `cancelled` before the answer. grpc-js also emits `cancelled` when the
 * stream of an answered call closes, so the listener is removed as the answer is written. Left in place (even
 * behind a flag), it keeps each answered call's objects reachable from its stream until the stream closes, and
 * under load the garbage collector then promotes nearly every call to the old generation, which costs far more
 * CPU per request (docs/performance.md, "Figures behind design choices").
 */
export function callCancellation(call: Pick<EventEmitter, 'on' | 'off'>): CallCancellation {
  const cancel = new AbortController();
  const onCancelled = (): void => cancel.abort();
  call.on('cancelled', onCancelled);
  return { signal: cancel.signal, answered: () => call.off('cancelled', onCancelled) };
}

/** The W3C `traceparent` of the root span of a traced request's trace (sampled), when its ids are drawn. */
export function traceparentOf(trace: FrontendTrace | undefined): string | undefined {
  const ids = trace?.rootSpanContext?.();
  return ids === undefined ? undefined : `00-${ids.traceId}-${ids.spanId}-01`;
}

/** Sends `traceparent` as initial metadata of a traced call. */
function sendTraceparent(call: { sendMetadata(metadata: Metadata): void }, trace: FrontendTrace | undefined): void {
  const traceparent = traceparentOf(trace);
  if (traceparent === undefined) return;
  const metadata = new Metadata();
  metadata.set('traceparent', traceparent);
  call.sendMetadata(metadata);
}

/** The ModelInfer handler. The request's signal is aborted when the client goes away before the answer. */
export function modelInferRpc(ctx: GrpcContext): handleUnaryCall<ModelInferRequestIn, ModelInferResponseOut> {
  return (call, callback) => {
    const malformed = malformedRequestError(call.request);
    if (malformed) return callback(toServiceError(malformed));
    const trace = ctx.tracing.start(call.request.model_name, metadataHeaders(call.metadata), 'GRPC');
    trace?.describe?.(grpcEndpoint(call, 'ModelInfer'));
    trace?.received(nowNs());
    if (ctx.responseTraceHeaders) sendTraceparent(call, trace);
    const cancellation = callCancellation(call);
    const send = (status: number, write: () => void): void => {
      cancellation.answered();
      trace?.answered?.(status);
      trace?.sendStart(nowNs());
      write();
      trace?.sendEnd(nowNs());
    };
    infer(ctx, call.request, trace, cancellation.signal).then(
      (response) => send(0, () => callback(null, response)),
      (error: unknown) => {
        trace?.failed?.(error, nowNs());
        trace?.responseComplete(nowNs());
        const serviceError = toServiceError(error);
        send(serviceError.code ?? 2, () => callback(serviceError));
      },
    );
  };
}
