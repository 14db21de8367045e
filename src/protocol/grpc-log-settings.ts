/**
 * The logging extension as gRPC `LogSettings` messages: `SettingValue` maps ↔ the HTTP body's fields, so the
 * update keeps the rules and messages of `POST /v2/logging` (`logging.ts`).
 *
 * @module
 */

import type { LogSettings } from '../logger.ts';
import type { LogSettingValueIn, LogSettingValueOut, LogSettingsResponseOut } from './grpc-messages.ts';
import { type LogSettingsUpdate, parseLogSettingsUpdate } from './logging.ts';

/** The settings as Triton's `LogSettingsResponse` gives them (`log_file` is always empty: logs go to stderr). */
export function logSettingsResponse(settings: LogSettings): LogSettingsResponseOut {
  const settingValues: Record<string, LogSettingValueOut> = {
    log_file: { string_param: '' },
    log_info: { bool_param: settings.info },
    log_warning: { bool_param: settings.warning },
    log_error: { bool_param: settings.error },
    log_verbose_level: { uint32_param: settings.verboseLevel },
    log_format: { string_param: settings.format },
  };
  return { settings: settingValues };
}

/** The value a `SettingValue` holds; `null` when none of its members is set (left as it is, as JSON `null`). */
function settingValue(value: LogSettingValueIn): boolean | number | string | null {
  switch (value.parameter_choice) {
    case 'bool_param':
      return value.bool_param === true;
    case 'uint32_param':
      return value.uint32_param ?? 0;
    case 'string_param':
      return value.string_param ?? '';
    default:
      return null;
  }
}

/**
 * Reads the `settings` of a `LogSettingsRequest` (unknown keys are ignored, as over HTTP).
 * @throws {TritonError} UNSUPPORTED for `log_file`; UNAVAILABLE for an unknown `log_format`; INVALID_ARG for a
 *   value of the wrong type — with the messages of the HTTP logging API.
 */
export function logSettingsUpdate(settings: Readonly<Record<string, LogSettingValueIn>>): LogSettingsUpdate {
  const body = Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, settingValue(value)]));
  return parseLogSettingsUpdate(body);
}
