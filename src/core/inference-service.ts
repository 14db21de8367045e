/**
 * The data plane every frontend calls: model registry, health, and inference.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import { nowMs, nowNs } from './clock.ts';
import type { InferenceRequest, InferenceResult } from './inference-request.ts';
import type { Model } from './model.ts';
import { cacheKey, type ResponseCache } from './response-cache.ts';

/** The server's lifecycle state as health endpoints report it. */
export type ServerState = 'starting' | 'ready' | 'stopping' | 'stopped';

/** A model version's state in the repository index (Triton's `ModelReadyState`). */
export type ModelState = 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';

/** One entry of the repository index: a model, or one of its versions, with its state and why it is not ready. */
export interface ModelIndexEntry {
  readonly name: string;
  /** Absent for a model that has no version state (never loaded, or failed before its versions were known). */
  readonly version?: number;
  /** Absent for a model that was never loaded. */
  readonly state?: ModelState;
  readonly reason?: string;
}

/**
 * Loads and unloads the models of a repository on disk (src/repository); the service asks it about the names it
 * owns and keeps serving the models bound in code itself.
 */
export interface ModelControl {
  /** Whether the repository holds a model of this name. */
  owns(name: string): boolean;
  /** Loads (or reloads) a repository model. @throws {TritonError} when the control mode refuses it or the load fails. */
  load(name: string): Promise<void>;
  /** Unloads a repository model; its requests in flight finish. @throws {TritonError} as {@link ModelControl.load}. */
  unload(name: string): Promise<void>;
  /** The repository's index entries. */
  index(): ModelIndexEntry[];
  /** Whether every model version that should serve does (strict readiness). */
  allReady(): boolean;
}

/** Holds the bound models and routes requests to them. */
export class InferenceService {
  readonly #models = new Map<string, Map<number, Model>>();
  readonly #unloaded = new Set<string>();
  /** Names of the models bound in code (`add`); the others come from a repository. */
  readonly #inCode = new Set<string>();
  /** The `version_policy` of repository models, in the model configuration's JSON form. */
  readonly #versionPolicies = new Map<string, object>();
  /** Versions replaced or unloaded from a repository while requests were still queued or executing in them. */
  readonly #retiring = new Set<Model>();
  #cache: ResponseCache | undefined;
  #state: ServerState = 'starting';
  #control: ModelControl | undefined;
  #strictReadiness = false;

  /** The current lifecycle state. */
  get state(): ServerState {
    return this.#state;
  }

  /** Sets the response cache used by models with `responseCache: true`. */
  setResponseCache(cache: ResponseCache | undefined): void {
    this.#cache = cache;
  }

  /** Sets the lifecycle state (done by the server as it starts and stops). */
  setState(state: ServerState): void {
    this.#state = state;
  }

  /** Whether the server is live (answers at all). */
  get live(): boolean {
    return this.#state !== 'stopped';
  }

  /**
   * Whether the server is ready for inference. With strict readiness (Triton's `--strict-readiness`), also every
   * repository model that should serve must be ready; a model unloaded on request does not count.
   */
  get ready(): boolean {
    return this.#state === 'ready' && (!this.#strictReadiness || this.#control?.allReady() !== false);
  }

  /** Hands the models of a repository on disk to `control`, and sets Triton's strict readiness. */
  setControl(control: ModelControl | undefined, strictReadiness: boolean): void {
    this.#control = control;
    this.#strictReadiness = strictReadiness;
  }

  /**
   * Publishes the loaded versions of a repository model, replacing the ones it had (none: the model serves no
   * more). A replaced version keeps running the requests it holds until they finish.
   * @param versionPolicy - the model's `version_policy` as its configuration JSON writes it.
   */
  publish(name: string, models: readonly Model[], versionPolicy?: object): void {
    const previous = this.#models.get(name);
    if (models.length === 0) this.#models.delete(name);
    else this.#models.set(name, new Map(models.map((m) => [m.version, m])));
    if (versionPolicy && models.length > 0) this.#versionPolicies.set(name, versionPolicy);
    else this.#versionPolicies.delete(name);
    for (const old of previous?.values() ?? []) {
      if (models.includes(old) || old.pending === 0) continue;
      this.#retiring.add(old);
      void old.whenIdle().then(() => this.#retiring.delete(old));
    }
  }

  /** The `version_policy` of a repository model (undefined for a model bound in code: it serves its one version). */
  versionPolicy(name: string): object | undefined {
    return this.#versionPolicies.get(name);
  }

  /** The repository index: the models bound in code, then the repository's. */
  index(): ModelIndexEntry[] {
    const bound = [...this.#models.entries()]
      .filter(([name]) => this.#inCode.has(name))
      .flatMap(([name, versions]) =>
        [...versions.values()].map((m): ModelIndexEntry =>
          this.#unloaded.has(name)
            ? { name, version: m.version, state: 'UNAVAILABLE', reason: 'unloaded' }
            : { name, version: m.version, state: 'READY' },
        ),
      );
    return [...bound, ...(this.#control?.index() ?? [])];
  }

  /**
   * Registers a model.
   * @throws {TritonError} ALREADY_EXISTS when the same name and version are bound already.
   */
  add(model: Model): void {
    if (this.#control?.owns(model.name)) {
      throw new TritonError(
        ErrorCode.ALREADY_EXISTS,
        `model '${model.name}' is in the model repository; it cannot also be bound in code`,
      );
    }
    const versions = this.#models.get(model.name) ?? new Map<number, Model>();
    if (versions.has(model.version)) {
      throw new TritonError(
        ErrorCode.ALREADY_EXISTS,
        `model '${model.name}' version ${model.version} is already bound`,
      );
    }
    versions.set(model.version, model);
    this.#models.set(model.name, versions);
    this.#inCode.add(model.name);
  }

  /** Whether a model of this name was bound in code (`bind`), not loaded from a repository. */
  isBoundInCode(name: string): boolean {
    return this.#inCode.has(name);
  }

  /** Every bound model, by name then version. */
  models(): Model[] {
    return [...this.#models.values()].flatMap((versions) => [...versions.values()]);
  }

  /** The versions of a model, lowest first (empty when unknown). */
  versions(name: string): Model[] {
    return [...(this.#models.get(name)?.values() ?? [])].sort((a, b) => a.version - b.version);
  }

  /**
   * The model `name` at `version` (-1: the highest version).
   * @throws {TritonError} NOT_FOUND with Triton's message when there is no such model or version, or it is unloaded.
   */
  model(name: string, version = -1): Model {
    const versions = this.#bound(name);
    if (this.#unloaded.has(name)) {
      throw new TritonError(ErrorCode.NOT_FOUND, `Request for unknown model: '${name}' has no available versions`);
    }
    if (version === -1) return latest(versions);
    const model = versions.get(version);
    if (!model) {
      throw new TritonError(
        ErrorCode.NOT_FOUND,
        `Request for unknown model: '${name}' version ${version} is not found`,
      );
    }
    return model;
  }

  /** Whether the model `name` is unloaded. */
  isUnloaded(name: string): boolean {
    return this.#unloaded.has(name);
  }

  /**
   * Unloads every version of a model: new requests fail until it is loaded again; requests in flight finish.
   * A repository model is unloaded by the repository, which may refuse (its control mode).
   * @throws {TritonError} NOT_FOUND when there is no model of that name; UNAVAILABLE when the control mode refuses.
   */
  async unload(name: string): Promise<void> {
    if (this.#control && !this.#inCode.has(name)) return this.#control.unload(name);
    this.#bound(name);
    this.#unloaded.add(name);
  }

  /**
   * Loads a model: a model bound in code is made available again (a no-op when it is), a repository model is
   * loaded (or reloaded) from disk by the repository.
   * @throws {TritonError} NOT_FOUND when there is no model of that name; UNAVAILABLE when the control mode refuses;
   *   the load's error when it fails.
   */
  async load(name: string): Promise<void> {
    if (this.#control && !this.#inCode.has(name)) return this.#control.load(name);
    this.#bound(name);
    this.#unloaded.delete(name);
  }

  #bound(name: string): Map<number, Model> {
    const versions = this.#models.get(name);
    if (!versions || versions.size === 0) {
      if (!this.#inCode.has(name) && this.#control?.owns(name)) {
        throw new TritonError(ErrorCode.NOT_FOUND, `Request for unknown model: '${name}' has no available versions`);
      }
      throw new TritonError(ErrorCode.NOT_FOUND, `Request for unknown model: '${name}' is not found`);
    }
    return versions;
  }

  /**
   * Whether inference requests are run: once ready, and while stopping, when the frontends refuse new
   * requests themselves and the ones they accepted are still to be answered.
   */
  #running(): boolean {
    return this.#state === 'ready' || this.#state === 'stopping';
  }

  /**
   * Runs an inference request.
   * @throws {TritonError} UNAVAILABLE when the server is not running, or whatever the model raises.
   */
  infer(request: InferenceRequest): Promise<InferenceResult> {
    if (!this.#running()) {
      return Promise.reject(new TritonError(ErrorCode.UNAVAILABLE, 'Server not ready'));
    }
    try {
      const model = this.model(request.modelName, request.modelVersion);
      request.trace?.requestStart(model, request.id, nowNs());
      return this.#cachedInfer(model, request);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs an inference request, handing each response to `onResponse` as it is produced (a decoupled model
   * may produce any number); resolves after the last one.
   * @throws {TritonError} as {@link InferenceService.infer}.
   */
  async stream(request: InferenceRequest, onResponse: (result: InferenceResult) => void): Promise<void> {
    if (!this.#running()) throw new TritonError(ErrorCode.UNAVAILABLE, 'Server not ready');
    const model = this.model(request.modelName, request.modelVersion);
    request.trace?.requestStart(model, request.id, nowNs());
    if (model.config.decoupled) await model.stream(request, onResponse);
    else onResponse(await this.#cachedInfer(model, request));
  }

  /** Runs a request, answering from the response cache (and filling it) when the model uses it. */
  #cachedInfer(model: Model, request: InferenceRequest): Promise<InferenceResult> {
    const cache = this.#cache;
    if (!cache || !model.config.responseCache || model.config.decoupled) return model.infer(request);
    const started = nowMs();
    const key = cacheKey(request, model.version);
    const cached = cache.get(key);
    const lookupMs = nowMs() - started;
    if (cached) {
      model.statistics.recordCacheHit(lookupMs, lookupMs, request.trace);
      return Promise.resolve({ ...cached, id: request.id });
    }
    return model.infer(request).then((result) => {
      const inserting = nowMs();
      cache.put(key, result);
      model.statistics.recordCacheMiss(lookupMs + nowMs() - inserting);
      return result;
    });
  }

  /** Resolves once no model has requests queued or executing. */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.models(), ...this.#retiring].map((m) => m.whenIdle()));
  }
}

/** The highest version of a model (asked for on every request, so without building a sorted list). */
function latest(versions: ReadonlyMap<number, Model>): Model {
  let highest: Model | undefined;
  for (const model of versions.values()) if (!highest || model.version > highest.version) highest = model;
  return highest!;
}
