/**
 * The `LogSettings` RPC: reads, or updates then reads, the logging settings with the rules and messages of
 * `GET|POST /v2/logging`.
 *
 * @module
 */

import { logSettings, updateLogSettings } from '../../logger.ts';
import { logSettingsResponse, logSettingsUpdate } from '../../protocol/grpc-log-settings.ts';
import type { LogSettingsRequestIn, LogSettingsResponseOut } from '../../protocol/grpc-messages.ts';

/**
 * Answers a `LogSettingsRequest`: an empty `settings` map only reads.
 * @throws {TritonError} UNSUPPORTED for `log_file`, UNAVAILABLE for an unknown `log_format`, INVALID_ARG for a
 *   value of the wrong type.
 */
export function logSettingsRpc(request: LogSettingsRequestIn): LogSettingsResponseOut {
  if (Object.keys(request.settings).length === 0) return logSettingsResponse(logSettings());
  return logSettingsResponse(updateLogSettings(logSettingsUpdate(request.settings)));
}
