/**
 * The health and metadata RPCs of `GRPCInferenceService`: ServerLive, ServerReady, ModelReady,
 * ServerMetadata, ModelMetadata, ModelConfig and RepositoryIndex, answered from the same data as HTTP.
 *
 * @module
 */

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Model } from '../../core/model.ts';
import { ErrorCode, TritonError } from '../../errors.ts';
import type { ModelRequestIn, RepositoryIndexRequestIn } from '../../protocol/grpc-messages.ts';
import {
  modelConfigMessage,
  modelMetadataMessage,
  repositoryIndexMessage,
  serverMetadataMessage,
} from '../../protocol/grpc-model-info.ts';
import { parseModelVersion } from '../../protocol/grpc-model-version.ts';
import type { GrpcContext } from './context.ts';
import { unary } from './unary.ts';

/** The model a request names. @throws {TritonError} NOT_FOUND for an unknown model or version. */
function requestedModel(ctx: GrpcContext, request: ModelRequestIn): Model {
  return ctx.service.model(request.name, parseModelVersion(request.version));
}

/**
 * Whether the model a request names is ready: false, as in Triton, for an unknown, unloaded or missing version
 * (a malformed version string is still an error).
 */
function modelReady(ctx: GrpcContext, request: ModelRequestIn): boolean {
  const version = parseModelVersion(request.version);
  if (!ctx.service.ready) return false;
  try {
    ctx.service.model(request.name, version);
    return true;
  } catch (error) {
    if (error instanceof TritonError && error.code === ErrorCode.NOT_FOUND) return false;
    throw error;
  }
}

function modelMetadata(ctx: GrpcContext, request: ModelRequestIn): object {
  const model = requestedModel(ctx, request);
  const all = request.version === '';
  const versions = all ? ctx.service.versions(request.name).map((m) => m.version) : [model.version];
  return modelMetadataMessage(model, versions);
}

function repositoryIndex(ctx: GrpcContext, request: RepositoryIndexRequestIn): object {
  if (request.repository_name !== '') {
    throw new TritonError(ErrorCode.UNSUPPORTED, "'repository_name' specification is not supported");
  }
  const entries = ctx.service
    .models()
    .map((m) => ({ name: m.name, version: m.version, ready: !ctx.service.isUnloaded(m.name) }));
  return repositoryIndexMessage(entries, request.ready);
}

/** The health and metadata RPCs. */
export function serverRpcs(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    ServerLive: unary(() => ({ live: ctx.service.live })),
    ServerReady: unary(() => ({ ready: ctx.service.ready })),
    ModelReady: unary((request: ModelRequestIn) => ({ ready: modelReady(ctx, request) })),
    ServerMetadata: unary(() => serverMetadataMessage(ctx.serverMetadata())),
    ModelMetadata: unary((request: ModelRequestIn) => modelMetadata(ctx, request)),
    ModelConfig: unary((request: ModelRequestIn) => {
      const model = requestedModel(ctx, request);
      return modelConfigMessage(model, model.instanceCount);
    }),
    RepositoryIndex: unary((request: RepositoryIndexRequestIn) => repositoryIndex(ctx, request)),
  };
}
