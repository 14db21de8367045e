/**
 * Model configuration: batching, the dynamic batcher and queue policies, with Triton's semantics and names.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** What happens to a request whose queue timeout expires. */
export type TimeoutAction = 'REJECT' | 'DELAY';

/** Triton's `ModelQueuePolicy`. */
export interface QueuePolicy {
  /** REJECT fails a timed-out request; DELAY moves it behind requests that have not timed out. */
  readonly timeoutAction: TimeoutAction;
  /** How long a request may wait in the queue, in µs; 0 means no limit. */
  readonly defaultTimeoutMicroseconds: number;
  /** Whether a request's `timeout` parameter may lower the default timeout. */
  readonly allowTimeoutOverride: boolean;
  /** Most requests the queue holds; more are rejected with 503. 0 means unbounded. */
  readonly maxQueueSize: number;
}

/** Triton's `ModelDynamicBatching`. */
export interface DynamicBatcher {
  /** Longest a request waits for more requests to join its batch, in µs. */
  readonly maxQueueDelayMicroseconds: number;
  /** Batch sizes executed at once when they can be formed. */
  readonly preferredBatchSize: readonly number[];
  /** Responses are returned in the order requests arrived, across instances. */
  readonly preserveOrdering: boolean;
  /** Number of priority levels (1 is the highest); 0 disables priorities. */
  readonly priorityLevels: number;
  /** Level of requests that give no priority. */
  readonly defaultPriorityLevel: number;
  /** Queue policy of every level without its own. */
  readonly defaultQueuePolicy: QueuePolicy;
  /** Queue policy per priority level. */
  readonly priorityQueuePolicy: Readonly<Record<number, QueuePolicy>>;
}

/**
 * Where a model's instances run, in Triton's `instance_group` terms. `KIND_CPU`: on the main thread, sharing the
 * event loop with the server (the default for infer functions given as functions). `KIND_WORKER`: each instance
 * on a worker thread of its own (needs the infer function given with `inferModule(...)`).
 */
export type InstanceKind = 'KIND_CPU' | 'KIND_WORKER';

/** Triton's `ModelInstanceGroup`: how many instances, and where they run. */
export interface InstanceGroup {
  readonly kind: InstanceKind;
  /** Number of instances. */
  readonly count: number;
  /** Memory limits of each worker (Node's `resourceLimits`); a worker exceeding them is replaced. */
  readonly resourceLimits?: Readonly<import('node:worker_threads').ResourceLimits> | undefined;
  /**
   * How much lower each worker's scheduling priority is than the process's once it has loaded the model's module
   * (a `nice` increment, 0–19; Linux only, where a thread's nice value is its own). When the cores are all busy, the main thread, which parses
   * requests and answers health checks, then runs before the model's code. `KIND_WORKER` only.
   * @default 10 for KIND_WORKER
   */
  readonly niceIncrement?: number | undefined;
}

/** The default {@link InstanceGroup.niceIncrement} of worker instances. */
export const WORKER_NICE_INCREMENT = 10;

/** The configuration of a bound model (PyTriton's `ModelConfig`). */
export interface ModelConfig {
  /** Whether requests carry a batch dimension and are batched. */
  readonly batching: boolean;
  /** Largest batch; 0 when batching is off. */
  readonly maxBatchSize: number;
  /** The dynamic batcher's settings. */
  readonly batcher: DynamicBatcher;
  /** Whether responses are cached by input. */
  readonly responseCache: boolean;
  /** Whether the model streams zero or more responses per request. */
  readonly decoupled: boolean;
  /** Where the instances run; undefined: one main-thread instance per infer function. */
  readonly instanceGroup: InstanceGroup | undefined;
  /**
   * Longest one call of the infer function may run, in µs; 0 (the default, as in Triton) means no limit. On
   * expiry the batch's requests fail with 503 naming the model and the timeout, their `request.signal` aborts,
   * and the instance takes the next batch.
   */
  readonly executionTimeoutMicroseconds: number;
}

/** Options of {@link QueuePolicy}. */
export type QueuePolicyOptions = Partial<QueuePolicy>;

/** Options of {@link DynamicBatcher}. */
export interface DynamicBatcherOptions {
  /** @default 0 */
  maxQueueDelayMicroseconds?: number;
  /** @default [] */
  preferredBatchSize?: readonly number[];
  /** @default false */
  preserveOrdering?: boolean;
  /** @default 0 */
  priorityLevels?: number;
  /** @default 0 */
  defaultPriorityLevel?: number;
  /** @default QueuePolicy() */
  defaultQueuePolicy?: QueuePolicy | QueuePolicyOptions;
  /** @default {} */
  priorityQueuePolicy?: Readonly<Record<number, QueuePolicy | QueuePolicyOptions>>;
}

/** Options of {@link ModelConfig}. */
export interface ModelConfigOptions {
  /** @default true */
  batching?: boolean;
  /** @default 4 */
  maxBatchSize?: number;
  /** @default DynamicBatcher() */
  batcher?: DynamicBatcher | DynamicBatcherOptions;
  /** @default false */
  responseCache?: boolean;
  /** @default false */
  decoupled?: boolean;
  /** @default 0 (no limit) */
  executionTimeoutMicroseconds?: number;
  /** @default one KIND_CPU instance per infer function (one KIND_WORKER instance for an `inferModule`) */
  instanceGroup?: InstanceGroup | undefined;
}

/**
 * An instance group, validated.
 * @throws {TritonError} INVALID_ARG naming the field that is wrong.
 */
export function InstanceGroup(options: InstanceGroup): InstanceGroup {
  if (options.kind !== 'KIND_CPU' && options.kind !== 'KIND_WORKER') {
    throw invalidArg(`InstanceGroup.kind must be 'KIND_CPU' or 'KIND_WORKER'; got ${JSON.stringify(options.kind)}`);
  }
  const count = nonNegativeInt('InstanceGroup.count', options.count ?? 1);
  if (count < 1) throw invalidArg('InstanceGroup.count must be an integer >= 1; got 0');
  const limits = options.resourceLimits;
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) {
    throw invalidArg("InstanceGroup.resourceLimits must be an object (Node's worker resourceLimits)");
  }
  if (limits && options.kind !== 'KIND_WORKER')
    throw invalidArg('InstanceGroup.resourceLimits applies to KIND_WORKER only');
  const nice = options.niceIncrement;
  if (nice !== undefined && options.kind !== 'KIND_WORKER')
    throw invalidArg('InstanceGroup.niceIncrement applies to KIND_WORKER only');
  if (nice !== undefined && (!Number.isInteger(nice) || nice < 0 || nice > 19))
    throw invalidArg(`InstanceGroup.niceIncrement must be an integer from 0 to 19; got ${JSON.stringify(nice)}`);
  return Object.freeze({
    kind: options.kind,
    count,
    ...(limits && { resourceLimits: Object.freeze({ ...limits }) }),
    ...(options.kind === 'KIND_WORKER' && { niceIncrement: nice ?? WORKER_NICE_INCREMENT }),
  });
}

function nonNegativeInt(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw invalidArg(`${field} must be an integer >= 0; got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidArg(`${field} must be a boolean; got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A queue policy (Triton's `ModelQueuePolicy`).
 * @throws {TritonError} INVALID_ARG naming the field that is wrong.
 */
export function QueuePolicy(options: QueuePolicyOptions = {}): QueuePolicy {
  const { timeoutAction = 'REJECT' } = options;
  if (timeoutAction !== 'REJECT' && timeoutAction !== 'DELAY') {
    throw invalidArg(`QueuePolicy.timeoutAction must be 'REJECT' or 'DELAY'; got ${JSON.stringify(timeoutAction)}`);
  }
  return Object.freeze({
    timeoutAction,
    defaultTimeoutMicroseconds: nonNegativeInt(
      'QueuePolicy.defaultTimeoutMicroseconds',
      options.defaultTimeoutMicroseconds ?? 0,
    ),
    allowTimeoutOverride: bool('QueuePolicy.allowTimeoutOverride', options.allowTimeoutOverride ?? false),
    maxQueueSize: nonNegativeInt('QueuePolicy.maxQueueSize', options.maxQueueSize ?? 0),
  });
}

/**
 * Dynamic batcher settings (Triton's `ModelDynamicBatching`).
 * @throws {TritonError} INVALID_ARG naming the field that is wrong.
 */
export function DynamicBatcher(options: DynamicBatcherOptions = {}): DynamicBatcher {
  const priorityLevels = nonNegativeInt('DynamicBatcher.priorityLevels', options.priorityLevels ?? 0);
  const defaultPriorityLevel = nonNegativeInt('DynamicBatcher.defaultPriorityLevel', options.defaultPriorityLevel ?? 0);
  if (priorityLevels > 0 && (defaultPriorityLevel < 1 || defaultPriorityLevel > priorityLevels)) {
    throw invalidArg(
      `DynamicBatcher.defaultPriorityLevel must be between 1 and priorityLevels (${priorityLevels}); got ${defaultPriorityLevel}`,
    );
  }
  const preferred = options.preferredBatchSize ?? [];
  if (!Array.isArray(preferred)) throw invalidArg('DynamicBatcher.preferredBatchSize must be an array of integers');
  preferred.forEach((n, i) => nonNegativeInt(`DynamicBatcher.preferredBatchSize[${i}]`, n));
  const perLevel: Record<number, QueuePolicy> = {};
  for (const [key, policy] of Object.entries(options.priorityQueuePolicy ?? {})) {
    const level = Number(key);
    if (!Number.isInteger(level) || level < 1 || level > priorityLevels) {
      throw invalidArg(
        `DynamicBatcher.priorityQueuePolicy has level ${key}, but levels run from 1 to priorityLevels (${priorityLevels})`,
      );
    }
    perLevel[level] = QueuePolicy(policy);
  }
  return Object.freeze({
    maxQueueDelayMicroseconds: nonNegativeInt(
      'DynamicBatcher.maxQueueDelayMicroseconds',
      options.maxQueueDelayMicroseconds ?? 0,
    ),
    preferredBatchSize: Object.freeze([...preferred].sort((a, b) => a - b)),
    preserveOrdering: bool('DynamicBatcher.preserveOrdering', options.preserveOrdering ?? false),
    priorityLevels,
    defaultPriorityLevel,
    defaultQueuePolicy: QueuePolicy(options.defaultQueuePolicy),
    priorityQueuePolicy: Object.freeze(perLevel),
  });
}

/**
 * A model's configuration (PyTriton's `ModelConfig`). `batching: false` or `maxBatchSize: 0` turns batching off.
 * @throws {TritonError} INVALID_ARG naming the field that is wrong.
 */
export function ModelConfig(options: ModelConfigOptions = {}): ModelConfig {
  const batching = bool('ModelConfig.batching', options.batching ?? true);
  const requested = nonNegativeInt('ModelConfig.maxBatchSize', options.maxBatchSize ?? 4);
  const maxBatchSize = batching ? requested : 0;
  const batcher = DynamicBatcher(options.batcher);
  for (const size of batcher.preferredBatchSize) {
    if (maxBatchSize > 0 && size > maxBatchSize) {
      throw invalidArg(
        `DynamicBatcher.preferredBatchSize ${size} is larger than ModelConfig.maxBatchSize (${maxBatchSize})`,
      );
    }
  }
  return Object.freeze({
    batching: maxBatchSize > 0,
    maxBatchSize,
    batcher,
    responseCache: bool('ModelConfig.responseCache', options.responseCache ?? false),
    decoupled: bool('ModelConfig.decoupled', options.decoupled ?? false),
    instanceGroup: options.instanceGroup === undefined ? undefined : InstanceGroup(options.instanceGroup),
    executionTimeoutMicroseconds: nonNegativeInt(
      'ModelConfig.executionTimeoutMicroseconds',
      options.executionTimeoutMicroseconds ?? 0,
    ),
  });
}
