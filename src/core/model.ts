/**
 * A bound model: a declaration (inputs, outputs, configuration) plus its infer functions and scheduler.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import type { ExecutableModel } from './execute-batch.ts';
import type { InferenceRequest, InferenceResult } from './inference-request.ts';
import { type InstanceKind, ModelConfig, type ModelConfigOptions, WORKER_NICE_INCREMENT } from './model-config.ts';
import type { DecoupledInferFunc, InferFunc, Request } from './request.ts';
import { ModelStatistics } from './model-statistics.ts';
import { type AnyInferFunc, Scheduler } from './scheduler.ts';
import { type InferModule, isInferModule, loadInferFunc } from './worker/infer-module.ts';
import { WorkerInstances } from './worker/worker-instances.ts';
import type { Tensor } from './tensor-spec.ts';
import { validateRequest } from './validate-request.ts';

/** What `bind()` takes (PyTriton's `Triton.bind` arguments). */
export interface BindOptions {
  /** The model's name: letters, digits, `.`, `_` and `-`. */
  modelName: string;
  /**
   * The infer function, or a list of them: one model instance each, running concurrently. A decoupled model's
   * functions are generators ({@link DecoupledInferFunc}). Given as `inferModule(url, exportName)`, it can run
   * on worker threads (`config.instanceGroup` of kind `KIND_WORKER`, the default then) or be imported on the main
   * thread (`KIND_CPU`).
   */
  inferFunc: InferFunc | DecoupledInferFunc | readonly (InferFunc | DecoupledInferFunc)[] | InferModule;
  /** Declared inputs. */
  inputs: readonly Tensor[];
  /** Declared outputs. */
  outputs: readonly Tensor[];
  /** The version served. @default 1 */
  modelVersion?: number;
  /** Batching and queueing. @default ModelConfig() */
  config?: ModelConfig | ModelConfigOptions;
  /** Check every output's datatype and shape against `outputs`. @default false */
  strict?: boolean;
}

const NAME = /^[a-zA-Z0-9._-]+$/;

/** A model bound to the server. */
export class Model implements ExecutableModel {
  readonly name: string;
  readonly version: number;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly config: ModelConfig;
  readonly strict: boolean;
  /** The model's inference statistics. */
  readonly statistics = new ModelStatistics();
  /** Number of instances (infer functions). */
  readonly instanceCount: number;
  readonly #scheduler: Scheduler;
  readonly #workers: WorkerInstances | undefined;
  readonly #ready: Promise<void>;

  /**
   * Validates `options` and builds the model.
   * @throws {TritonError} INVALID_ARG naming the option that is wrong.
   */
  constructor(options: BindOptions) {
    const { modelName, inputs, outputs, modelVersion = 1, strict = false } = options;
    if (typeof modelName !== 'string' || !NAME.test(modelName)) {
      throw invalidArg(
        `bind: modelName must match ${NAME} (letters, digits, '.', '_', '-'); got ${JSON.stringify(modelName)}`,
      );
    }
    if (!Number.isSafeInteger(modelVersion) || modelVersion < 1) {
      throw invalidArg(
        `bind: modelVersion of '${modelName}' must be an integer >= 1; got ${JSON.stringify(modelVersion)}`,
      );
    }
    checkTensors(modelName, 'inputs', inputs);
    checkTensors(modelName, 'outputs', outputs);
    if (outputs.some((t) => t.optional)) throw invalidArg(`bind: outputs of '${modelName}' cannot be optional`);
    this.name = modelName;
    this.version = modelVersion;
    this.inputs = Object.freeze([...inputs]);
    this.outputs = Object.freeze([...outputs]);
    this.config = isModelConfig(options.config) ? options.config : ModelConfig(options.config);
    this.strict = strict;
    const instances = this.#instances(options.inferFunc);
    this.instanceCount = instances.funcs.length;
    this.#workers = instances.workers;
    this.#ready = instances.ready;
    this.#scheduler = new Scheduler(this, instances.funcs);
  }

  /** The instances' infer functions: the given functions, or a module's on the main thread or in workers. */
  #instances(inferFunc: BindOptions['inferFunc']): {
    funcs: AnyInferFunc[];
    workers?: WorkerInstances;
    ready: Promise<void>;
  } {
    const group = this.config.instanceGroup;
    const name = this.name;
    if (isInferModule(inferFunc)) {
      const count = group?.count ?? 1;
      if (group?.kind === 'KIND_CPU') {
        const loading = inferFunc.local
          ? Promise.resolve(inferFunc.local)
          : loadInferFunc(inferFunc.module, inferFunc.exportName);
        loading.catch(() => undefined);
        const fn = this.config.decoupled
          ? async function* (requests: Request[]) {
              yield* (await loading)(requests as never) as AsyncIterable<never>;
            }
          : async (requests: Request[]) => (await loading)(requests as never) as never;
        return { funcs: Array.from({ length: count }, () => fn), ready: loading.then(() => undefined) };
      }
      const workers = new WorkerInstances({
        model: this,
        inferModule: inferFunc,
        count,
        resourceLimits: group?.resourceLimits,
        niceIncrement: group?.niceIncrement ?? WORKER_NICE_INCREMENT,
      });
      const fn = workers.inferFunc(this.config.decoupled);
      return { funcs: Array.from({ length: count }, () => fn), workers, ready: workers.ready() };
    }
    const funcs = Array.isArray(inferFunc) ? inferFunc : [inferFunc];
    if (funcs.length === 0 || !funcs.every((f) => typeof f === 'function')) {
      throw invalidArg(
        `bind: inferFunc of '${name}' must be a function, a non-empty list of functions or inferModule(...)`,
      );
    }
    if (group?.kind === 'KIND_WORKER') {
      throw invalidArg(
        `bind: model '${name}' has instanceGroup kind KIND_WORKER, which needs inferFunc given as inferModule(import.meta.url, 'exportName') (a function cannot be sent to a worker thread)`,
      );
    }
    if (group && funcs.length !== 1 && funcs.length !== group.count) {
      throw invalidArg(
        `bind: model '${name}' has instanceGroup count ${group.count} but ${funcs.length} infer functions; give one, or one per instance`,
      );
    }
    const all = group && funcs.length === 1 ? Array.from({ length: group.count }, () => funcs[0]!) : [...funcs];
    return { funcs: all, ready: Promise.resolve() };
  }

  /** Resolves once the model's infer function is loaded; rejects naming the module or export when it cannot be. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Where the instances run. */
  get instanceKind(): InstanceKind {
    return this.#workers ? 'KIND_WORKER' : 'KIND_CPU';
  }

  /** Stops the model's worker threads, if any (after requests have drained). */
  async close(): Promise<void> {
    await this.#workers?.close();
  }

  /**
   * Validates a request and runs it through the scheduler.
   * @throws {TritonError} INVALID_ARG for a bad request, UNAVAILABLE when the queue is full or the timeout expired,
   *   INTERNAL when the infer function fails.
   */
  infer(request: InferenceRequest): Promise<InferenceResult> {
    if (!this.config.decoupled) return this.#enqueue(request) as Promise<InferenceResult>;
    const results: InferenceResult[] = [];
    const collect = (result: InferenceResult): void => void results.push(result);
    return this.#enqueue({ ...request, onResponse: collect }).then(() => {
      if (results.length === 1) return results[0]!;
      throw invalidArg(
        'generate expects model to produce exactly 1 response, use generate stream for model that generates various number of responses',
      );
    });
  }

  /**
   * Validates a request and runs it, handing each response to `onResponse` as it is produced (one for a
   * model that is not decoupled); resolves once the last response was handed over.
   * @throws {TritonError} as {@link Model.infer}.
   */
  async stream(request: InferenceRequest, onResponse: (result: InferenceResult) => void): Promise<void> {
    if (this.config.decoupled) {
      await this.#enqueue({ ...request, onResponse });
      return;
    }
    onResponse((await this.#enqueue(request))!);
  }

  #enqueue(request: InferenceRequest): Promise<InferenceResult | undefined> {
    let batchSize: number;
    try {
      batchSize = validateRequest(this, request);
    } catch (error) {
      this.statistics.recordFailure(0, 'OTHER');
      return Promise.reject(error);
    }
    return this.#scheduler.enqueue(request, batchSize);
  }

  /** Requests queued or executing. */
  get pending(): number {
    return this.#scheduler.queued + this.#scheduler.executing;
  }

  /** Resolves once nothing is queued or executing. */
  whenIdle(): Promise<void> {
    return this.#scheduler.whenIdle();
  }
}

function isModelConfig(config: unknown): config is ModelConfig {
  return (
    Object.isFrozen(config) &&
    typeof (config as ModelConfig)?.maxBatchSize === 'number' &&
    'batcher' in (config as object)
  );
}

function checkTensors(model: string, field: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw invalidArg(`bind: ${field} of '${model}' must be a non-empty list of Tensor(...)`);
  }
  const seen = new Set<string>();
  for (const t of tensors) {
    if (typeof t?.name !== 'string' || !Array.isArray(t.shape)) {
      throw invalidArg(`bind: ${field} of '${model}' must be created with Tensor(...)`);
    }
    if (seen.has(t.name)) throw invalidArg(`bind: ${field} of '${model}' declares '${t.name}' twice`);
    seen.add(t.name);
  }
}
