/**
 * The gRPC `TraceSetting` RPC's settings map (`map<string, SettingValue{repeated string value}>`) ↔ the trace
 * settings API's JSON, so both protocols share one parser and one set of rules and messages.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import type { TraceSettingField } from './trace-settings-json.ts';
import type { SettingValue, TraceSettingResponseOut } from './grpc-messages.ts';

/** The settings that take exactly one value. */
const SINGLE_VALUED = new Set(['trace_rate', 'trace_count', 'log_frequency']);

/**
 * The update a `TraceSettingRequest` asks for, as the settings API's JSON body: a key with no value clears
 * it (`null`), `trace_level` takes its values as a list, the others their one value. Unknown keys are left
 * out; `trace_file` is passed on so the parser rejects it.
 * @throws {TritonError} INVALID_ARG `expect only 1 value for '<name>'` for several values of a single-valued key.
 */
export function traceSettingUpdateBody(settings: Readonly<Record<string, SettingValue>>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, { value }] of Object.entries(settings)) {
    if (key === 'trace_file') body[key] = value;
    else if (key === 'trace_level') body[key] = value.length === 0 ? null : [...value];
    else if (SINGLE_VALUED.has(key)) {
      if (value.length > 1) throw invalidArg(`expect only 1 value for '${key}'`);
      body[key] = value.length === 0 ? null : value[0];
    }
  }
  return body;
}

/** A `TraceSettingResponse` of the settings' entries; a key that repeats gets all its values. */
export function traceSettingResponse(fields: readonly TraceSettingField[]): TraceSettingResponseOut {
  const settings: Record<string, { value: string[] }> = {};
  for (const [key, value] of fields) {
    const values = (settings[key] ??= { value: [] }).value;
    if (typeof value === 'string') values.push(value);
    else values.push(...value);
  }
  return { settings };
}
