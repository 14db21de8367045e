/**
 * The tracing of the server: decides which requests are traced (Triton's rate, count, level and context
 * rules), starts their traces in the configured mode, serves the trace settings API, and shuts down cleanly.
 *
 * @module
 */

import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { log } from '../logger.ts';
import { monotonicNs } from './clock.ts';
import { FileRequestTrace } from './file-request-trace.ts';
import type { FrontendProtocol, FrontendTrace } from './frontend-trace.ts';
import { type OtelPipeline, startOtelPipeline } from './otel-pipeline.ts';
import { OtelRequestTrace } from './otel-request-trace.ts';
import type { TraceConfig } from './trace-config.ts';
import { traceLevelIsOff } from './trace-levels.ts';
import { TraceSettings } from './trace-settings.ts';
import {
  formatTraceSetting,
  parseTraceSettingsUpdate,
  type TraceSettingField,
  traceSettingFields,
} from './trace-settings-json.ts';

/** Reads one header (lowercase name) of an incoming request; gRPC metadata works the same way. */
export type HeaderGetter = (name: string) => string | string[] | undefined;

const propagator = new W3CTraceContextPropagator();
const getter = {
  keys: (): string[] => ['traceparent', 'tracestate'],
  get: (carrier: HeaderGetter, key: string) => carrier(key),
};

/** The server's tracing. */
export class TraceManager {
  readonly #config: TraceConfig;
  readonly #settings: TraceSettings;
  readonly #pipeline: OtelPipeline | undefined;
  #nextId = 1;
  #warnedTensors = false;

  /** @param config - the parsed trace configuration. */
  constructor(config: TraceConfig) {
    this.#config = config;
    this.#settings = new TraceSettings(config);
    this.#pipeline = config.mode === 'opentelemetry' ? startOtelPipeline(config.otel) : undefined;
  }

  /** The OpenTelemetry pipeline, in OpenTelemetry mode. */
  get pipeline(): OtelPipeline | undefined {
    return this.#pipeline;
  }

  /**
   * Decides whether a request for `model`, arriving now, is traced and, if so, starts its trace.
   * @param headers - reads the request's `traceparent` / `tracestate`.
   */
  start(model: string, headers: HeaderGetter, protocol: FrontendProtocol): FrontendTrace | undefined {
    const setting = this.#settings.settingFor(model);
    const parent = this.#pipeline && !traceLevelIsOff(setting.values.levels) ? extract(headers) : undefined;
    if (!setting.sample(parent !== undefined)) return undefined;
    const startNs = monotonicNs();
    const id = this.#nextId++;
    if (this.#pipeline) {
      this.#warnIfTensorLevel(setting.values.levels.tensors);
      return new OtelRequestTrace({
        startRoot: this.#pipeline.startRoot,
        tracer: this.#pipeline.tracer,
        parent: parent ?? ROOT_CONTEXT,
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

  /** Writes collected Triton-mode traces and flushes pending spans, within `timeoutMs`. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#settings.close();
    await this.#pipeline?.shutdown(timeoutMs);
  }

  #warnIfTensorLevel(tensors: boolean): void {
    if (!tensors || this.#warnedTensors) return;
    this.#warnedTensors = true;
    log.warn('Tensor level tracing is not supported by the mode: opentelemetry');
  }
}

/** The propagated W3C context of a request, or undefined when it carries no valid one. */
function extract(headers: HeaderGetter): Context | undefined {
  if (headers('traceparent') === undefined) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, headers, getter);
  return trace.getSpanContext(context) ? context : undefined;
}
