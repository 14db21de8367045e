/**
 * The `ModelStatistics` RPC: the statistics of every model, of every version of one model, or of one version,
 * as `GET /v2/models[/{m}[/versions/{v}]]/stats` gives them.
 *
 * @module
 */

import type { Model } from '../../core/model.ts';
import type { ModelStatisticsRequestIn, ModelStatisticsResponseOut } from '../../protocol/grpc-messages.ts';
import { parseModelVersion } from '../../protocol/grpc-model-version.ts';
import { statisticsResponse } from '../../protocol/grpc-statistics.ts';
import type { GrpcContext } from './context.ts';

/** The model versions a request asks about: an empty name is every model, an empty version every version. */
function requestedModels(ctx: GrpcContext, request: ModelStatisticsRequestIn): Model[] {
  if (request.name === '') return ctx.service.models();
  const model = ctx.service.model(request.name, parseModelVersion(request.version));
  return request.version === '' ? ctx.service.versions(request.name) : [model];
}

/**
 * Answers a `ModelStatisticsRequest`.
 * @throws {TritonError} NOT_FOUND for an unknown or unloaded model or version; INVALID_ARG for a malformed version.
 */
export function modelStatistics(ctx: GrpcContext, request: ModelStatisticsRequestIn): ModelStatisticsResponseOut {
  return statisticsResponse(requestedModels(ctx, request));
}
