/**
 * The tracing of the server: decides which requests are traced (Triton's rate, count, level and context
 * rules), starts their traces in the configured mode, serves the trace settings API, and shuts down cleanly.
 *
 * @module
 */

import { log } from '../logger.ts';
import { nowNs } from '../core/clock.ts';
import { FileRequestTrace } from './file-request-trace.ts';
import type { FrontendProtocol, FrontendTrace } from './frontend-trace.ts';
import type { OtelPipeline, PipelineOptions } from './otel-pipeline.ts';
import type { TraceFile } from './trace-file.ts';
import type { HeaderGetter } from './w3c-context.ts';
import type { TraceConfig } from './trace-config.ts';
import { GuardedTrace, TraceErrors } from './trace-guard.ts';
import { traceLevelIsOff, traceLevelNames } from '../protocol/trace-levels.ts';
import { TraceSettings } from './trace-settings.ts';
import {
  formatTraceSetting,
  parseTraceSettingsUpdate,
  type TraceSettingField,
  traceSettingFields,
} from '../protocol/trace-settings-json.ts';

/** The W3C trace flags' sampled bit. */
const SAMPLED = 1;

/** The server's tracing. */
export class TraceManager {
  readonly #config: TraceConfig;
  readonly #settings: TraceSettings;
  readonly #pipeline: OtelPipeline | undefined;
  /** Errors of tracing (each drops one request's trace; requests are served regardless). */
  readonly errors: TraceErrors;
  #nextId = 1;

  /**
   * @param config - the parsed trace configuration.
   * @param pipeline - the running export pipeline, in OpenTelemetry mode.
   * @param errors - where tracing errors are counted (the pipeline's too).
   */
  constructor(config: TraceConfig, pipeline?: OtelPipeline, errors = new TraceErrors()) {
    this.#config = config;
    this.#settings = new TraceSettings(config);
    this.#pipeline = pipeline;
    this.errors = errors;
  }

  /**
   * The tracing of a server configured by `config`. The OpenTelemetry API, SDK and exporter are loaded only in
   * OpenTelemetry mode, so a server that does not export spans does not carry them in its heap (a smaller
   * heap makes every full garbage collection cheaper).
   */
  static async start(config: TraceConfig, options: PipelineOptions = {}): Promise<TraceManager> {
    if (config.mode !== 'opentelemetry') return new TraceManager(config);
    if (config.otel.sdkDisabled) {
      log.info('OpenTelemetry: OTEL_SDK_DISABLED=true, no request is traced');
      return new TraceManager(config);
    }
    const { startOtelPipeline } = await import('./otel-pipeline.ts');
    const errors = new TraceErrors();
    return new TraceManager(config, startOtelPipeline(config.otel, errors, options), errors);
  }

  /** What the start-up log says of tracing: the mode, level and rate, and where traces go. */
  describe(): string {
    const { mode, levels, rate, file } = this.#config;
    if (traceLevelIsOff(levels)) return `tracing off (trace mode ${mode}, level OFF)`;
    const what = `tracing in ${mode} mode (level ${traceLevelNames(levels).join('+')}, rate ${rate})`;
    if (this.#pipeline) return `${what}, exporting to the collector at ${this.#pipeline.collectorUrl}`;
    return file ? `${what}, writing ${file}` : `${what}, with no trace file set`;
  }

  /** The OpenTelemetry pipeline, in OpenTelemetry mode. */
  get pipeline(): OtelPipeline | undefined {
    return this.#pipeline;
  }

  /**
   * Decides whether a request for `model`, arriving now, is traced and, if so, starts its trace, behind the
   * guard that keeps tracing errors from the request (trace-guard.ts).
   * @param headers - reads the request's `traceparent` / `tracestate`.
   */
  start(model: string, headers: HeaderGetter, protocol: FrontendProtocol): FrontendTrace | undefined {
    try {
      const trace = this.#start(model, headers, protocol);
      return trace === undefined ? undefined : new GuardedTrace(trace, this.errors);
    } catch (error) {
      this.errors.report('starting a request trace', error);
      return undefined;
    }
  }

  #start(model: string, headers: HeaderGetter, protocol: FrontendProtocol): FrontendTrace | undefined {
    const setting = this.#settings.settingFor(model);
    const pipeline = this.#pipeline;
    if (pipeline === undefined && this.#config.mode === 'opentelemetry') return undefined; // OTEL_SDK_DISABLED
    const parent = pipeline && !traceLevelIsOff(setting.values.levels) ? pipeline.extractContext(headers) : undefined;
    // With opentelemetry,honor_sampled=true, a caller that did not sample its trace is not traced (not counted).
    if (parent !== undefined && (parent.traceFlags & SAMPLED) === 0 && this.#config.otel.honorSampled) return undefined;
    if (!setting.sample(parent !== undefined)) return undefined;
    const startNs = nowNs();
    const id = this.#nextId++;
    if (pipeline) {
      return pipeline.startTrace({
        tensors: setting.values.levels.tensors ? { previewValues: this.#config.otel.tensorPreview } : undefined,
        parent,
        protocol,
        tritonId: id,
        startNs,
        onFinish: () => setting.traceFinished(undefined),
      });
    }
    return new FileRequestTrace({
      id,
      levels: setting.values.levels,
      protocol,
      startNs,
      onFinish: (objects) => setting.traceFinished(objects),
    });
  }

  /** The settings in force for `model` (global when undefined), as the settings API writes them. */
  settingsJson(model?: string): string {
    const setting = model === undefined ? this.#settings.global : this.#settings.settingFor(model);
    return formatTraceSetting(setting, this.#config.settingsEcho);
  }

  /**
   * Applies a settings API update for `model` (global when undefined) and returns the new settings' JSON.
   * @throws {TritonError} with Triton's message and status when the update is invalid; nothing changes then.
   */
  updateSettings(model: string | undefined, body: unknown): string {
    const setting = this.#settings.update(model, parseTraceSettingsUpdate(body));
    return formatTraceSetting(setting, this.#config.settingsEcho);
  }

  /** The settings in force for `model` (global when undefined) as entries (for protocols other than JSON). */
  settingFields(model?: string): TraceSettingField[] {
    const setting = model === undefined ? this.#settings.global : this.#settings.settingFor(model);
    return traceSettingFields(setting, this.#config.settingsEcho);
  }

  /**
   * Applies an update given as the settings API's JSON body object (already parsed) and returns the new
   * settings as entries.
   * @throws {TritonError} as {@link TraceManager.updateSettings}.
   */
  updateSettingFields(model: string | undefined, body: unknown): TraceSettingField[] {
    const setting = this.#settings.update(model, parseTraceSettingsUpdate(body));
    return traceSettingFields(setting, this.#config.settingsEcho);
  }

  /** The Triton-mode trace file (its write counters), when one is configured. */
  get traceFile(): TraceFile | undefined {
    return this.#settings.file;
  }

  /** Writes collected Triton-mode traces and flushes pending spans, within `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, true)));
    const written = this.#settings.close().then(() => false);
    const [late] = await Promise.all([Promise.race([written, expired]), this.#pipeline?.shutdown(timeoutMs)]);
    clearTimeout(timer);
    if (late) log.warn(`trace file ${this.traceFile?.path} was still being written when the exit timeout expired`);
  }
}
