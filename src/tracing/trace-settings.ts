/**
 * The trace settings in force: the configured defaults, the global setting and per-model settings, updated
 * with Triton's rules (unspecified global fields fall back to the defaults; unspecified model fields mirror
 * the global setting; `null` clears a field).
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import type { TraceConfig } from './trace-config.ts';
import { TraceFile } from './trace-file.ts';
import { TraceSetting, type TraceSettingValues } from './trace-setting.ts';

/** A settings update: a value sets a field, `null` clears it, a missing key leaves it. */
export type TraceSettingsPatch = { readonly [K in keyof TraceSettingValues]?: TraceSettingValues[K] | null };

type Specified = Partial<TraceSettingValues>;

const FIELDS = ['levels', 'rate', 'count', 'logFrequency'] as const;

function applyPatch(specified: Specified, patch: TraceSettingsPatch): Specified {
  const next: Record<string, unknown> = { ...specified };
  for (const field of FIELDS) {
    if (!(field in patch)) continue;
    const value = patch[field];
    if (value === null || value === undefined) delete next[field];
    else next[field] = value;
  }
  return next as Specified;
}

/**
 * The specified fields as in force in `setting`: a specified count carries on with what remains of it, as
 * Triton's `count_` does.
 */
function inForce(specified: Specified, setting: TraceSetting): Specified {
  return 'count' in specified ? { ...specified, count: setting.remainingCount } : specified;
}

/** The values a model setting mirrors: the global setting's, with the count that remains of it. */
function mirrored(global: TraceSetting): TraceSettingValues {
  return { ...global.values, count: global.remainingCount };
}

/** Holds every trace setting and applies updates. */
export class TraceSettings {
  readonly #config: TraceConfig;
  readonly #file: TraceFile | undefined;
  readonly #defaults: TraceSettingValues;
  #globalSpecified: Specified = {};
  #global: TraceSetting;
  readonly #models = new Map<string, { specified: Specified; setting: TraceSetting }>();

  /** @param config - the parsed trace configuration (the defaults). */
  constructor(config: TraceConfig) {
    this.#config = config;
    this.#file = config.mode === 'triton' && config.file !== '' ? new TraceFile(config.file) : undefined;
    this.#defaults = Object.freeze({
      levels: config.levels,
      rate: config.rate,
      count: config.count,
      logFrequency: config.logFrequency,
    });
    this.#global = this.#build(this.#defaults);
  }

  /** The setting a request for `model` is sampled with. */
  settingFor(model: string): TraceSetting {
    return this.#models.get(model)?.setting ?? this.#global;
  }

  /** The global setting. */
  get global(): TraceSetting {
    return this.#global;
  }

  /**
   * Applies an update to the global setting (`model` undefined) or to one model's setting.
   * Nothing changes when the result would be invalid.
   * @returns the setting now in force for that scope.
   * @throws {TritonError} INVALID_ARG `Attempting to set invalid trace setting :<reason>`.
   */
  update(model: string | undefined, patch: TraceSettingsPatch): TraceSetting {
    return model === undefined ? this.#updateGlobal(patch) : this.#updateModel(model, patch);
  }

  /** The Triton-mode trace file, when one is configured. */
  get file(): TraceFile | undefined {
    return this.#file;
  }

  /** Retires every setting (queueing what they collected) and closes the trace file; resolves once written. */
  close(): Promise<void> {
    this.#global.retire();
    for (const { setting } of this.#models.values()) setting.retire();
    return this.#file?.close() ?? Promise.resolve();
  }

  #updateGlobal(patch: TraceSettingsPatch): TraceSetting {
    const specified = applyPatch(inForce(this.#globalSpecified, this.#global), patch);
    const setting = this.#checked(this.#build({ ...this.#defaults, ...specified }));
    this.#globalSpecified = specified;
    this.#replaceGlobal(setting);
    // Every model setting is rebuilt, as in Triton (where a model never specifies the file, so it always
    // mirrors the global setting in part): its sampling counter restarts too.
    for (const [name, entry] of this.#models) {
      const modelSpecified = inForce(entry.specified, entry.setting);
      this.#replaceModel(name, modelSpecified, this.#build({ ...mirrored(setting), ...modelSpecified }));
    }
    return setting;
  }

  #updateModel(model: string, patch: TraceSettingsPatch): TraceSetting {
    const current = this.#models.get(model);
    const specified = applyPatch(current ? inForce(current.specified, current.setting) : {}, patch);
    if (FIELDS.every((f) => !(f in specified))) {
      this.#models.get(model)?.setting.retire();
      this.#models.delete(model);
      return this.#global;
    }
    const setting = this.#checked(this.#build({ ...mirrored(this.#global), ...specified }));
    this.#replaceModel(model, specified, setting);
    return setting;
  }

  #build(values: TraceSettingValues): TraceSetting {
    return new TraceSetting(Object.freeze({ ...values }), this.#config.mode, this.#file);
  }

  #checked(setting: TraceSetting): TraceSetting {
    if (!setting.valid && setting.invalidReason !== 'tracing is disabled') {
      throw invalidArg(`Attempting to set invalid trace setting :${setting.invalidReason}`);
    }
    return setting;
  }

  #replaceGlobal(setting: TraceSetting): void {
    this.#global.retire();
    this.#global = setting;
  }

  #replaceModel(model: string, specified: Specified, setting: TraceSetting): void {
    this.#models.get(model)?.setting.retire();
    this.#models.set(model, { specified, setting });
  }
}
