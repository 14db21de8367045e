/**
 * The logging extension's body (`GET|POST /v2/logging`), with Triton's fields and messages.
 *
 * @module
 */

import { ErrorCode, invalidArg, quote, TritonError } from '../errors.ts';
import { LOG_FORMATS, type LogFormat, type LogSettings } from '../logger.ts';

/** A logging settings update; missing or null fields are left as they are. */
export type LogSettingsUpdate = Partial<LogSettings>;

/** The settings as Triton writes them. */
export function logSettingsJson(settings: LogSettings): string {
  return JSON.stringify({
    log_file: '',
    log_info: settings.info,
    log_warning: settings.warning,
    log_error: settings.error,
    log_verbose_level: settings.verboseLevel,
    log_format: settings.format,
  });
}

function boolField(json: Record<string, unknown>, key: string): boolean | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidArg(`expected a boolean for '${key}', got ${quote(value)}`);
  return value;
}

/**
 * Reads a POST body of the logging extension.
 * @throws {TritonError} UNSUPPORTED for `log_file`; UNAVAILABLE for an unknown `log_format` (as Triton);
 *   INVALID_ARG for a value of the wrong type.
 */
export function parseLogSettingsUpdate(body: unknown): LogSettingsUpdate {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArg('Unable to parse the logging settings: expected a JSON object');
  }
  const json = body as Record<string, unknown>;
  if (json.log_file !== undefined && json.log_file !== null) {
    throw new TritonError(ErrorCode.UNSUPPORTED, 'log file location can not be updated through network protocol');
  }
  const update: { -readonly [K in keyof LogSettings]?: LogSettings[K] } = {};
  const info = boolField(json, 'log_info');
  const warning = boolField(json, 'log_warning');
  const error = boolField(json, 'log_error');
  if (info !== undefined) update.info = info;
  if (warning !== undefined) update.warning = warning;
  if (error !== undefined) update.error = error;
  const verbose = json.log_verbose_level;
  if (verbose !== undefined && verbose !== null) {
    if (!Number.isSafeInteger(verbose) || (verbose as number) < 0) {
      throw invalidArg(`expected an unsigned integer for 'log_verbose_level', got ${quote(verbose)}`);
    }
    update.verboseLevel = verbose as number;
  }
  const format = json.log_format;
  if (format !== undefined && format !== null) {
    if (!(LOG_FORMATS as readonly unknown[]).includes(format)) {
      throw new TritonError(ErrorCode.UNAVAILABLE, `invalid argument for --log_format, got: ${String(format)}`);
    }
    update.format = format as LogFormat;
  }
  return update;
}
