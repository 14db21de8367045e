/**
 * A model repository on disk, served with Triton's model control modes:
 * - `none`: every model is loaded at start; the load and unload APIs are refused.
 * - `explicit`: the models named by `loadModel` (`*`: all) are loaded at start; then the load and unload APIs
 *   load, reload and unload them.
 * - `poll`: every model is loaded at start, and the folder is scanned every `repositoryPollSecs`: a new model is
 *   loaded, a removed one unloaded, a changed one reloaded; the load and unload APIs are refused.
 *
 * A reload builds the new versions first and swaps them in at once: requests already queued or executing finish on
 * the old versions, new ones go to the new. When a reload fails, the loaded versions stay as they were (as in
 * Triton). A model that fails to load is listed in the index as UNAVAILABLE with its reason; the others serve.
 *
 * @module
 */

import { readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelControlMode } from '../config/triton-config.ts';
import type { InferenceService, ModelControl, ModelIndexEntry, ModelState } from '../core/inference-service.ts';
import { Model } from '../core/model.ts';
import { ErrorCode, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import { importBinding } from './import-binding.ts';
import { fingerprint, listModelNames, readModelFolder } from './model-folder.ts';
import { selectVersions, type VersionPolicy, versionPolicyJson } from './version-policy.ts';

/** How a repository is served. */
export interface RepositoryOptions {
  /** The repository folder. */
  readonly root: string;
  readonly mode: ModelControlMode;
  /** Models loaded at start in `explicit` mode; `['*']` for all. */
  readonly loadModel: readonly string[];
  /** Seconds between scans in `poll` mode; 0 scans only when {@link ModelRepository.poll} is called. */
  readonly pollSecs: number;
}

interface VersionRecord {
  readonly state: ModelState;
  readonly reason?: string;
  readonly model?: Model;
}

/** What the repository knows of one model. */
interface ModelRecord {
  /** The fingerprint of the folder as last loaded (or last failed). */
  readonly fingerprint: string | undefined;
  /** Why the model as a whole cannot load (its folder, its config.json). */
  readonly failure?: string;
  readonly versions: ReadonlyMap<number, VersionRecord>;
}

const REFUSED = 'explicit model load / unload is not allowed if polling is enabled';

/** The models of a repository folder, loaded into an {@link InferenceService}. */
export class ModelRepository implements ModelControl {
  readonly #service: InferenceService;
  readonly #options: RepositoryOptions;
  readonly #records = new Map<string, ModelRecord>();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(service: InferenceService, options: RepositoryOptions) {
    this.#service = service;
    this.#options = options;
  }

  /**
   * Opens a repository and loads its models as the control mode says; starts polling in `poll` mode.
   * @throws {TritonError} INVALID_ARG when the folder cannot be read.
   */
  static async open(service: InferenceService, options: RepositoryOptions): Promise<ModelRepository> {
    try {
      await access(options.root);
    } catch {
      throw new TritonError(
        ErrorCode.INVALID_ARG,
        `TritonConfig.modelRepository: cannot read the folder '${options.root}'`,
      );
    }
    const repository = new ModelRepository(service, options);
    const loadAll = options.mode !== 'explicit' || options.loadModel.includes('*');
    const names = loadAll ? await listModelNames(options.root) : options.loadModel;
    if (options.mode !== 'explicit' && options.loadModel.length > 0) {
      log.warn(
        `TritonConfig.loadModel applies to the explicit model control mode only; in '${options.mode}' mode every model is loaded`,
      );
    }
    await repository.#serial(async () => {
      for (const name of names) await repository.#loadLogged(name);
    });
    if (options.mode === 'poll') {
      if (options.pollSecs > 0) {
        repository.#timer = setInterval(() => void repository.poll(), options.pollSecs * 1000).unref();
      } else {
        log.warn('TritonConfig.repositoryPollSecs is 0: the poll model control mode will not scan the repository');
      }
    }
    return repository;
  }

  /** Whether the repository holds (or held) a model of this name. */
  owns(name: string): boolean {
    return this.#records.has(name) || this.#folderNames().includes(name);
  }

  /**
   * Loads or reloads a model (explicit mode only); a no-op when it is loaded and its folder has not changed.
   * @throws {TritonError} UNAVAILABLE outside explicit mode; INVALID_ARG when the load fails, with the reason.
   */
  load(name: string): Promise<void> {
    if (this.#options.mode !== 'explicit') return Promise.reject(new TritonError(ErrorCode.UNAVAILABLE, REFUSED));
    return this.#serial(() => this.#load(name, true));
  }

  /**
   * Unloads a model (explicit mode only); its requests in flight finish.
   * @throws {TritonError} UNAVAILABLE outside explicit mode; NOT_FOUND for a name the repository does not hold.
   */
  unload(name: string): Promise<void> {
    if (this.#options.mode !== 'explicit') return Promise.reject(new TritonError(ErrorCode.UNAVAILABLE, REFUSED));
    return this.#serial(async () => {
      if (!this.owns(name))
        throw new TritonError(ErrorCode.NOT_FOUND, `Request for unknown model: '${name}' is not found`);
      this.#unload(name);
    });
  }

  /** Scans the folder once (what `poll` mode does every `repositoryPollSecs`): loads, reloads and unloads. */
  poll(): Promise<void> {
    return this.#serial(async () => {
      if (this.#closed) return;
      let names: string[];
      try {
        names = await listModelNames(this.#options.root);
      } catch (error) {
        log.error(`failed to poll model repository '${this.#options.root}': ${(error as Error).message}`);
        return;
      }
      for (const name of [...this.#records.keys()]) {
        if (names.includes(name)) continue;
        this.#unload(name);
        this.#records.delete(name);
        log.info(`model '${name}' was removed from the repository; unloaded`);
      }
      for (const name of names) await this.#loadLogged(name);
    });
  }

  /** The index: every model folder, with the state and reason of each version the repository knows. */
  index(): ModelIndexEntry[] {
    const names = [...new Set([...this.#folderNames(), ...this.#records.keys()])].sort();
    return names.flatMap((name): ModelIndexEntry[] => {
      const record = this.#records.get(name);
      if (!record) return [{ name }];
      if (record.failure !== undefined) return [{ name, state: 'UNAVAILABLE', reason: record.failure }];
      return [...record.versions].map(([version, v]) => ({
        name,
        version,
        state: v.state,
        ...(v.reason && { reason: v.reason }),
      }));
    });
  }

  /** Whether every version that should serve does: a failed model or version makes it false; an unloaded one does not. */
  allReady(): boolean {
    for (const record of this.#records.values()) {
      if (record.failure !== undefined) return false;
      for (const v of record.versions.values()) if (v.state !== 'READY' && v.reason !== 'unloaded') return false;
    }
    return true;
  }

  /** Stops polling and waits for a load in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue.catch(() => undefined);
  }

  #folderNames(): string[] {
    try {
      return readdirSync(this.#options.root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name);
    } catch {
      return [];
    }
  }

  /** Runs model operations one at a time, in order. */
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #loadLogged(name: string): Promise<void> {
    try {
      await this.#load(name, false);
    } catch (error) {
      log.error((error as Error).message);
    }
  }

  #unload(name: string): void {
    const record = this.#records.get(name);
    const versions = new Map<number, VersionRecord>();
    for (const version of record?.versions.keys() ?? [])
      versions.set(version, { state: 'UNAVAILABLE', reason: 'unloaded' });
    // A model with no version state (never loaded, or failed as a whole) is listed by its name alone again.
    if (versions.size === 0) this.#records.delete(name);
    else this.#records.set(name, { fingerprint: undefined, versions });
    this.#service.publish(name, []);
    log.info(`successfully unloaded '${name}'`);
  }

  /**
   * Loads a model's versions and swaps them in; keeps the served ones when a reload fails. An unchanged folder is
   * not loaded again, unless its last load failed and `retryFailed` (an explicit load request).
   */
  async #load(name: string, retryFailed: boolean): Promise<void> {
    const path = join(this.#options.root, name);
    if (this.#service.isBoundInCode(name)) {
      const reason = 'a model of that name is bound in code';
      this.#records.set(name, { fingerprint: undefined, failure: reason, versions: new Map() });
      throw new TritonError(ErrorCode.ALREADY_EXISTS, `failed to load '${name}': ${reason}`);
    }
    const previous = this.#records.get(name);
    const served = [...(previous?.versions.values() ?? [])].filter((v) => v.state === 'READY');
    let stamp: string;
    try {
      stamp = await fingerprint(path);
    } catch {
      if (previous) this.#unload(name);
      this.#records.delete(name);
      throw new TritonError(
        ErrorCode.INVALID_ARG,
        `failed to load '${name}': no folder of that name in the model repository`,
      );
    }
    const failedBefore =
      previous?.failure !== undefined || [...(previous?.versions.values() ?? [])].some((v) => v.state !== 'READY');
    if (previous && stamp === previous.fingerprint && !(retryFailed && failedBefore)) return;
    if (previous?.fingerprint !== undefined) log.info(`model '${name}' changed; reloading`);
    let versions: Map<number, VersionRecord>;
    let policy: VersionPolicy;
    try {
      ({ versions, policy } = await this.#buildVersions(name, path, stamp));
    } catch (error) {
      return this.#failed(name, stamp, served.length > 0 ? previous : undefined, (error as Error).message);
    }
    const failures = [...versions]
      .filter(([, v]) => v.state !== 'READY')
      .map(([version, v]) => `version ${version}: ${v.reason}`);
    if (failures.length > 0 && served.length > 0) return this.#failed(name, stamp, previous, failures.join('; '));
    this.#records.set(name, { fingerprint: stamp, versions });
    const models = [...versions.values()].flatMap((v) => (v.model ? [v.model] : []));
    this.#service.publish(name, models, versionPolicyJson(policy));
    const ready = [...versions].filter(([, v]) => v.state === 'READY').map(([version]) => version);
    if (ready.length > 0) log.info(`successfully loaded '${name}' version ${ready.join(', ')}`);
    if (failures.length > 0)
      throw new TritonError(ErrorCode.INVALID_ARG, `load failed for model '${name}': ${failures.join('; ')}`);
  }

  /** Records a failed load: a first load is UNAVAILABLE with the reason; a failed reload leaves the served versions. */
  #failed(name: string, stamp: string, kept: ModelRecord | undefined, reason: string): never {
    if (kept) {
      this.#records.set(name, { ...kept, fingerprint: stamp });
      throw new TritonError(
        ErrorCode.INVALID_ARG,
        `load failed for model '${name}': ${reason}; the loaded versions keep serving`,
      );
    }
    this.#records.set(name, { fingerprint: stamp, failure: reason, versions: new Map() });
    this.#service.publish(name, []);
    throw new TritonError(ErrorCode.INVALID_ARG, `load failed for model '${name}': ${reason}`);
  }

  /** Imports and builds each version the policy selects; a version that fails carries its reason. */
  async #buildVersions(
    name: string,
    path: string,
    stamp: string,
  ): Promise<{ versions: Map<number, VersionRecord>; policy: VersionPolicy }> {
    const folder = await readModelFolder(this.#options.root, name);
    const versions = new Map<number, VersionRecord>();
    for (const version of selectVersions(folder.policy, [...folder.versions.keys()])) {
      const found = folder.versions.get(version);
      if (!found?.module) {
        const reason = found?.problem ?? `version ${version} is not in the model folder`;
        versions.set(version, { state: 'UNAVAILABLE', reason });
        continue;
      }
      try {
        const binding = await importBinding(found.module, path, stamp);
        checkNames(binding, name, version);
        versions.set(version, {
          state: 'READY',
          model: new Model({ ...binding, modelName: name, modelVersion: version }),
        });
      } catch (error) {
        versions.set(version, { state: 'UNAVAILABLE', reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { versions, policy: folder.policy };
  }
}

/** A binding's own name and version, when it gives them, must be its folders'. */
function checkNames(binding: { modelName?: unknown; modelVersion?: unknown }, name: string, version: number): void {
  if (binding.modelName !== undefined && binding.modelName !== name) {
    throw new Error(`the binding's modelName ${JSON.stringify(binding.modelName)} is not its folder's name '${name}'`);
  }
  if (binding.modelVersion !== undefined && binding.modelVersion !== version) {
    throw new Error(
      `the binding's modelVersion ${JSON.stringify(binding.modelVersion)} is not its folder's version ${version}`,
    );
  }
}
