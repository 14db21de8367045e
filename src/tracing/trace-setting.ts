/**
 * One trace setting in force: its values, Triton's sampling counters, and (in Triton mode) the traces it
 * collected and when they are written. Every settings update replaces the object, restarting the counters.
 *
 * @module
 */

import type { TraceFile, TraceObject } from './trace-file.ts';
import type { TraceMode } from './trace-config.ts';
import { type TraceLevels, traceLevelIsOff } from '../protocol/trace-levels.ts';

/** The values of a trace setting. */
export interface TraceSettingValues {
  readonly levels: TraceLevels;
  readonly rate: number;
  readonly count: number;
  readonly logFrequency: number;
}

/** A trace setting object, as Triton's `TraceSetting`. */
export class TraceSetting {
  readonly values: TraceSettingValues;
  readonly mode: TraceMode;
  readonly #file: TraceFile | undefined;
  #count: number;
  #sampled = 0;
  #inFlight = 0;
  #collected: TraceObject[][] = [];
  #retired = false;

  /**
   * @param values - level, rate, count and log frequency.
   * @param mode - the server's trace mode.
   * @param file - the Triton-mode trace file, when one is configured.
   */
  constructor(values: TraceSettingValues, mode: TraceMode, file: TraceFile | undefined) {
    this.values = values;
    this.mode = mode;
    this.#file = file;
    this.#count = values.count;
  }

  /** Traces still to be collected (-1: no limit); Triton's `trace_count` as GET shows it. */
  get remainingCount(): number {
    return this.#count;
  }

  /** The trace file path ('' when none). */
  get filePath(): string {
    return this.#file?.path ?? '';
  }

  /** Why the setting traces nothing, in Triton's words ('' when valid, or when only the count ran out). */
  get invalidReason(): string {
    if (traceLevelIsOff(this.values.levels)) return 'tracing is disabled';
    if (this.values.rate === 0) return 'sample rate must be non-zero';
    if (this.mode === 'triton' && !this.#file) return 'trace file name is not given';
    return '';
  }

  /** Whether the setting samples requests on its own (without a propagated context). */
  get valid(): boolean {
    return this.invalidReason === '' && this.#count !== 0;
  }

  /**
   * Decides whether the next request is traced: every rate-th request while the count lasts, or any request
   * when `force` (a propagated context in OpenTelemetry mode).
   */
  sample(force: boolean): boolean {
    const { rate } = this.values;
    let hit = false;
    if (rate !== 0) {
      if (!force && !this.valid) return false;
      this.#sampled++;
      hit = this.#sampled % rate === 0;
      if (hit && this.#count > 0) this.#count--;
      else if (hit && this.#count === 0) hit = false;
    }
    if (!hit && !force) return false;
    this.#inFlight++;
    return true;
  }

  /** A sampled trace finished; in Triton mode its objects are collected and written when due. */
  traceFinished(objects: readonly TraceObject[] | undefined): void {
    this.#inFlight--;
    if (objects && this.#file) {
      this.#collected.push([...objects]);
      const { logFrequency } = this.values;
      if (logFrequency > 0 && this.#collected.length >= logFrequency) this.#writeIndexed();
      else if (this.#count === 0 && this.#inFlight === 0) this.#writeIndexed();
    }
    if (this.#retired && this.#inFlight === 0) this.#flushRest();
  }

  /** The setting was replaced (or the server stops): write what is left once its traces finish. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    if (this.#inFlight === 0) this.#flushRest();
  }

  #writeIndexed(): void {
    this.#file!.writeIndexed(this.#collected.flat());
    this.#collected = [];
  }

  #flushRest(): void {
    if (!this.#file || this.#collected.length === 0) return;
    if (this.values.logFrequency > 0) this.#writeIndexed();
    else {
      this.#file.append(this.#collected.flat());
      this.#collected = [];
    }
  }
}
