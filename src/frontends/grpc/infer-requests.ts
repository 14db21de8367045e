/**
 * Decoding a gRPC inference request for the data plane, shared by ModelInfer and ModelStreamInfer.
 *
 * @module
 */

import type { InferenceRequest } from '../../core/inference-request.ts';
import type { Model } from '../../core/model.ts';
import { type FrontendTrace, type RequestEndpoint, splitHostPort } from '../../tracing/frontend-trace.ts';
import { decodeGrpcInferRequest } from '../../protocol/grpc-infer-request.ts';
import type { ModelInferRequestIn } from '../../protocol/grpc-messages.ts';
import { parseModelVersion } from '../../protocol/grpc-model-version.ts';
import type { GrpcContext } from './context.ts';

/** Where a gRPC call came in, for its requests' root spans (`rpcMethod`: the RPC's name). */
export function grpcEndpoint(call: { getPeer(): string; getHost(): string }, rpcMethod: string): RequestEndpoint {
  const server = splitHostPort(call.getHost());
  return {
    rpcService: 'inference.GRPCInferenceService',
    rpcMethod,
    serverAddress: server.address,
    serverPort: server.port,
    clientAddress: splitHostPort(call.getPeer()).address,
  };
}

/** A decoded request and the model it is for. */
export interface PreparedRequest {
  readonly model: Model;
  readonly request: InferenceRequest;
}

/**
 * Finds the request's model and decodes the request, with its trace and cancellation signal attached.
 * @throws {TritonError} NOT_FOUND for an unknown model or version; INVALID_ARG for a malformed request.
 */
export function prepareRequest(
  ctx: GrpcContext,
  message: ModelInferRequestIn,
  trace: FrontendTrace | undefined,
  signal: AbortSignal,
): PreparedRequest {
  const model = ctx.service.model(message.model_name, parseModelVersion(message.model_version));
  return { model, request: { ...decodeGrpcInferRequest(message), trace, signal } };
}
