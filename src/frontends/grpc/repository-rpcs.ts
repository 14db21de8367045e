/**
 * The `RepositoryModelLoad` and `RepositoryModelUnload` RPCs: as `POST /v2/repository/models/{m}/load|unload`,
 * they make a bound model unavailable, or available again (models are bound in code, not read from a repository).
 *
 * @module
 */

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RepositoryModelRequestIn } from '../../protocol/grpc-messages.ts';
import { checkGrpcLoadRequest, checkNoRepositoryName } from '../../protocol/grpc-repository.ts';
import type { GrpcContext } from './context.ts';
import { unary } from './unary.ts';

/**
 * Loads a bound model again (a no-op when it is loaded).
 * @throws {TritonError} UNSUPPORTED for a repository name or a `config` / `file:*` parameter; NOT_FOUND for an
 *   unknown model.
 */
export async function loadModel(ctx: GrpcContext, request: RepositoryModelRequestIn): Promise<object> {
  checkGrpcLoadRequest(request);
  await ctx.service.load(request.model_name);
  return {};
}

/**
 * Unloads every version of a bound model; requests in flight finish.
 * @throws {TritonError} UNSUPPORTED for a repository name; NOT_FOUND for an unknown model.
 */
export async function unloadModel(ctx: GrpcContext, request: RepositoryModelRequestIn): Promise<object> {
  checkNoRepositoryName(request);
  await ctx.service.unload(request.model_name);
  return {};
}

/** The load and unload RPCs. */
export function repositoryRpcs(ctx: GrpcContext): UntypedServiceImplementation {
  return {
    RepositoryModelLoad: unary((request: RepositoryModelRequestIn) => loadModel(ctx, request)),
    RepositoryModelUnload: unary((request: RepositoryModelRequestIn) => unloadModel(ctx, request)),
  };
}
