/**
 * The implementation of `inference.GRPCInferenceService`, assembled from its RPCs.
 *
 * @module
 */

import type { handleBidiStreamingCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  LogSettingsRequestIn,
  ModelInferRequestIn,
  ModelStatisticsRequestIn,
  ModelStreamInferResponseOut,
  TraceSettingRequestIn,
} from '../../protocol/grpc-messages.ts';
import type { GrpcContext } from './context.ts';
import { InferStream } from './infer-stream.ts';
import { logSettingsRpc } from './log-settings-rpc.ts';
import { modelInferRpc } from './model-infer-rpc.ts';
import { repositoryRpcs } from './repository-rpcs.ts';
import { serverRpcs } from './server-rpcs.ts';
import { modelStatistics } from './statistics-rpc.ts';
import { traceSetting } from './trace-setting-rpc.ts';
import { unary } from './unary.ts';
import { unsupportedRpcs } from './unsupported-rpcs.ts';

/** The streams being served, so that shutdown can end them. */
export type OpenStreams = Set<InferStream>;

function modelStreamInferRpc(
  ctx: GrpcContext,
  streams: OpenStreams,
): handleBidiStreamingCall<ModelInferRequestIn, ModelStreamInferResponseOut> {
  return (call) => {
    const stream = new InferStream(ctx, call);
    streams.add(stream);
    void stream.done.then(() => streams.delete(stream));
  };
}

/** Every RPC of `GRPCInferenceService`. */
export function inferenceService(ctx: GrpcContext, streams: OpenStreams): UntypedServiceImplementation {
  return {
    ...serverRpcs(ctx),
    ...repositoryRpcs(ctx),
    ...unsupportedRpcs(),
    ModelInfer: modelInferRpc(ctx),
    ModelStreamInfer: modelStreamInferRpc(ctx, streams),
    TraceSetting: unary((request: TraceSettingRequestIn) => traceSetting(ctx, request)),
    ModelStatistics: unary((request: ModelStatisticsRequestIn) => modelStatistics(ctx, request)),
    LogSettings: unary((request: LogSettingsRequestIn) => logSettingsRpc(request)),
  };
}
