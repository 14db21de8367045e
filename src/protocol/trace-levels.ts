/**
 * Trace levels: Triton's names, the command-line aliases, and how several values combine.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** One trace level as Triton names it on the wire. */
export type TraceLevelName = 'OFF' | 'TIMESTAMPS' | 'TENSORS';

/** What is traced. Both flags false means tracing is off (`["OFF"]`). */
export interface TraceLevels {
  /** Activity timestamps are recorded (Triton's `TIMESTAMPS` bit). */
  readonly timestamps: boolean;
  /** Input/output tensors are recorded (Triton's `TENSORS` bit). */
  readonly tensors: boolean;
}

/** The levels of a disabled tracer. */
export const TRACE_LEVELS_OFF: TraceLevels = Object.freeze({ timestamps: false, tensors: false });

/**
 * Reads one `level` value the way the command line does: case-insensitive, with aliases
 * (`false`/`off` → OFF; `true`/`on`/`min`/`max`/`timestamps` → TIMESTAMPS; `tensors` → TENSORS).
 *
 * The trace settings API matches level names exactly and ignores unknown ones instead; this
 * function is for option values.
 *
 * @param value - the option value.
 * @throws TritonError INVALID_ARG `invalid value for trace level option: <lowercased value>`.
 */
export function parseTraceLevel(value: string): TraceLevelName {
  const lowered = asciiLowerCase(value);
  switch (lowered) {
    case 'false':
    case 'off':
      return 'OFF';
    case 'true':
    case 'on':
    case 'min':
    case 'max':
    case 'timestamps':
      return 'TIMESTAMPS';
    case 'tensors':
      return 'TENSORS';
    default:
      throw invalidArg(`invalid value for trace level option: ${lowered}`);
  }
}

/**
 * Combines several level values the command-line way: the levels are OR-ed, but `OFF`
 * anywhere turns tracing off. No values at all also means off.
 *
 * @param names - level names in the order given.
 */
export function combineTraceLevels(names: readonly TraceLevelName[]): TraceLevels {
  if (names.length === 0 || names.includes('OFF')) return TRACE_LEVELS_OFF;
  return Object.freeze({ timestamps: names.includes('TIMESTAMPS'), tensors: names.includes('TENSORS') });
}

/**
 * The level as the trace settings API reports it: `["OFF"]`, or `"TIMESTAMPS"` then `"TENSORS"`
 * for the bits that are set.
 *
 * @param levels - the levels to name.
 */
export function traceLevelNames(levels: TraceLevels): TraceLevelName[] {
  if (traceLevelIsOff(levels)) return ['OFF'];
  const names: TraceLevelName[] = [];
  if (levels.timestamps) names.push('TIMESTAMPS');
  if (levels.tensors) names.push('TENSORS');
  return names;
}

/**
 * True when nothing is traced at these levels.
 *
 * @param levels - the levels to test.
 */
export function traceLevelIsOff(levels: TraceLevels): boolean {
  return !levels.timestamps && !levels.tensors;
}

/** Lower-cases A-Z only, like C's `tolower` in the "C" locale. */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}
