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

/** Holds the bound models and routes requests to them. */
export class InferenceService {
  readonly #models = new Map<string, Map<number, Model>>();
  readonly #unloaded = new Set<string>();
  #cache: ResponseCache | undefined;
  #state: ServerState = 'starting';

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

  /** Whether the server is ready for inference. */
  get ready(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Registers a model.
   * @throws {TritonError} ALREADY_EXISTS when the same name and version are bound already.
   */
  add(model: Model): void {
    const versions = this.#models.get(model.name) ?? new Map<number, Model>();
    if (versions.has(model.version)) {
      throw new TritonError(
        ErrorCode.ALREADY_EXISTS,
        `model '${model.name}' version ${model.version} is already bound`,
      );
    }
    versions.set(model.version, model);
    this.#models.set(model.name, versions);
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
      throw new TritonError(ErrorCode.NOT_FOUND, `Request for unknown model: '${name}' version ${version} is not found`);
    }
    return model;
  }

  /** Whether the model `name` is unloaded. */
  isUnloaded(name: string): boolean {
    return this.#unloaded.has(name);
  }

  /**
   * Unloads every version of a bound model: new requests fail until it is loaded again; requests in flight finish.
   * @throws {TritonError} NOT_FOUND when no model of that name is bound.
   */
  unload(name: string): void {
    this.#bound(name);
    this.#unloaded.add(name);
  }

  /**
   * Loads a bound model again (a no-op when it is loaded).
   * @throws {TritonError} NOT_FOUND when no model of that name is bound.
   */
  load(name: string): void {
    this.#bound(name);
    this.#unloaded.delete(name);
  }

  #bound(name: string): Map<number, Model> {
    const versions = this.#models.get(name);
    if (!versions || versions.size === 0) {
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
      model.statistics.recordCacheHit(lookupMs, lookupMs);
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
    await Promise.all(this.models().map((m) => m.whenIdle()));
  }
}

/** The highest version of a model (asked for on every request, so without building a sorted list). */
function latest(versions: ReadonlyMap<number, Model>): Model {
  let highest: Model | undefined;
  for (const model of versions.values()) if (!highest || model.version > highest.version) highest = model;
  return highest!;
}
