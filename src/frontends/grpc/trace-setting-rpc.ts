/**
 * The `TraceSetting` RPC: reads, or updates then reads, the global or a model's trace settings with the
 * rules and messages of the HTTP trace settings API.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../../errors.ts';
import type { TraceSettingRequestIn, TraceSettingResponseOut } from '../../protocol/grpc-messages.ts';
import { traceSettingResponse, traceSettingUpdateBody } from '../../protocol/grpc-trace-setting.ts';
import type { GrpcContext } from './context.ts';

/**
 * Answers a `TraceSettingRequest`: an empty `settings` map only reads.
 * @throws {TritonError} INVALID_ARG `Request for unknown model : <name>`, or the settings API's errors.
 */
export function traceSetting(ctx: GrpcContext, request: TraceSettingRequestIn): TraceSettingResponseOut {
  const model = request.model_name === '' ? undefined : request.model_name;
  if (model !== undefined) checkModel(ctx, model);
  if (Object.keys(request.settings).length === 0) return traceSettingResponse(ctx.tracing.settingFields(model));
  const body = traceSettingUpdateBody(request.settings);
  return traceSettingResponse(ctx.tracing.updateSettingFields(model, body));
}

function checkModel(ctx: GrpcContext, model: string): void {
  try {
    ctx.service.model(model);
  } catch {
    throw new TritonError(ErrorCode.INVALID_ARG, `Request for unknown model : ${model}`);
  }
}
