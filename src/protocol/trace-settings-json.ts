/**
 * The JSON of the trace settings API (`/v2/trace/setting`): reading an update and writing a setting, with
 * Triton's value formats (numbers as strings, level as a list) and validation messages.
 *
 * @module
 */

import { unknownNameWarning } from '../closest-name.ts';
import { ErrorCode, invalidArg, quote, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import { combineTraceLevels, type TraceLevelName, type TraceLevels, traceLevelNames } from './trace-levels.ts';
import { readCxxInteger } from './cxx-integer.ts';

/**
 * An update read from the settings API: each value given is set, each `null` reverts to the setting it
 * inherits (the global one, or the configured default).
 */
export interface TraceSettingsUpdate {
  readonly levels?: TraceLevels | null;
  readonly rate?: number | null;
  readonly count?: number | null;
  readonly logFrequency?: number | null;
}

/** What the settings API writes of a setting in force (the tracing layer's `TraceSetting`). */
export interface TraceSettingView {
  readonly values: { readonly levels: TraceLevels; readonly rate: number; readonly logFrequency: number };
  /** How many more traces it samples (-1 without a limit). */
  readonly remainingCount: number;
  /** `triton` or `opentelemetry`. */
  readonly mode: string;
  /** The trace file (Triton mode). */
  readonly filePath: string;
}

/** One `key`/`value` pair the trace settings API echoes after the common fields. */
export type TraceSettingEcho = readonly [key: string, value: string];

const UINT32 = { min: 0n, max: 4294967295n };
const INT32_FROM_MINUS_ONE = { min: -1n, max: 2147483647n };
const INT32 = { min: -2147483648n, max: 2147483647n };

function expectString(key: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw invalidArg(`Unable to parse '${key}': expected a JSON string, got ${quote(value)}`);
  }
  return value;
}

function readUnsigned(key: string, value: unknown): number {
  const text = expectString(key, value);
  const parsed = readCxxInteger(text, INT32);
  if (!parsed.ok && parsed.problem === 'invalid') throw invalidArg(`Unable to parse '${key}', got: ${text}`);
  if (!parsed.ok || parsed.value < 0) {
    throw invalidArg(`Unable to parse '${key}', value is out of range [ ${UINT32.min}, ${UINT32.max} ], got: ${text}`);
  }
  return parsed.value;
}

function readCount(value: unknown): number {
  const text = expectString('trace_count', value);
  const parsed = readCxxInteger(text, INT32);
  if (!parsed.ok && parsed.problem === 'invalid') throw invalidArg(`Unable to parse 'trace_count', got: ${text}`);
  if (!parsed.ok) {
    throw invalidArg(
      `Unable to parse 'trace_count', value is out of range [ ${INT32_FROM_MINUS_ONE.min}, ${INT32_FROM_MINUS_ONE.max} ], got: ${text}`,
    );
  }
  if (parsed.value < -1) throw invalidArg(`Unable to parse 'trace_count'. Expecting value >= -1, got:${text}`);
  return parsed.value;
}

const LEVEL_NAMES: ReadonlySet<string> = new Set(['OFF', 'TIMESTAMPS', 'TENSORS']);

/** The keys a settings update may hold (`trace_file` only to be refused, as in Triton). */
const SETTINGS_KEYS: readonly string[] = ['trace_level', 'trace_rate', 'trace_count', 'log_frequency', 'trace_file'];

function readLevels(value: unknown): TraceLevels {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalidArg(`Unable to parse 'trace_level': expected a JSON array of strings, got ${quote(value)}`);
  }
  if (value.includes('OFF') && value.length > 1) throw invalidArg("Expect only one trace level 'OFF' is specified");
  for (const name of value) {
    if (!LEVEL_NAMES.has(name))
      log.warn(`trace settings: ${unknownNameWarning('trace_level', name, [...LEVEL_NAMES])}`);
  }
  return combineTraceLevels(value.filter((v) => LEVEL_NAMES.has(v)) as TraceLevelName[]);
}

/**
 * Reads a POST body of the trace settings API into an update. Unknown keys are ignored.
 * @throws {TritonError} UNSUPPORTED (501) for `trace_file`; INVALID_ARG with Triton's message for a bad value.
 */
export function parseTraceSettingsUpdate(body: unknown): TraceSettingsUpdate {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidArg('Unable to parse the trace settings: expected a JSON object');
  }
  const json = body as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (SETTINGS_KEYS.includes(key)) continue;
    if (key === 'trace_mode') log.warn("trace settings: 'trace_mode' cannot be changed at run time and is ignored");
    else log.warn(`trace settings: ${unknownNameWarning('key', key, SETTINGS_KEYS)}`);
  }
  if ('trace_file' in json) {
    throw new TritonError(ErrorCode.UNSUPPORTED, 'trace file location can not be updated through network protocol');
  }
  const patch: { -readonly [K in keyof TraceSettingsUpdate]: TraceSettingsUpdate[K] } = {};
  if ('trace_level' in json) patch.levels = json.trace_level === null ? null : readLevels(json.trace_level);
  if ('trace_rate' in json) patch.rate = json.trace_rate === null ? null : readUnsigned('trace_rate', json.trace_rate);
  if ('trace_count' in json) patch.count = json.trace_count === null ? null : readCount(json.trace_count);
  if ('log_frequency' in json) {
    patch.logFrequency = json.log_frequency === null ? null : readUnsigned('log_frequency', json.log_frequency);
  }
  return patch;
}

/** One entry of a setting as the settings API writes it: its key, and its value (a list for `trace_level`). */
export type TraceSettingField = readonly [key: string, value: string | readonly string[]];

/**
 * The entries of a setting in the order the settings API writes them: `trace_level`, `trace_rate`,
 * `trace_count`, (Triton mode) `log_frequency` and `trace_file`, `trace_mode`, then the mode's configured
 * entries (a key may repeat there).
 */
export function traceSettingFields(setting: TraceSettingView, echo: readonly TraceSettingEcho[]): TraceSettingField[] {
  const fields: TraceSettingField[] = [
    ['trace_level', traceLevelNames(setting.values.levels)],
    ['trace_rate', String(setting.values.rate)],
    ['trace_count', String(setting.remainingCount)],
  ];
  if (setting.mode === 'triton') {
    fields.push(['log_frequency', String(setting.values.logFrequency)], ['trace_file', setting.filePath]);
  }
  fields.push(['trace_mode', setting.mode], ...echo);
  return fields;
}

/** Writes a setting as the trace settings API answers (the entries of {@link traceSettingFields}). */
export function formatTraceSetting(setting: TraceSettingView, echo: readonly TraceSettingEcho[]): string {
  const fields = traceSettingFields(setting, echo);
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}
