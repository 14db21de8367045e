/**
 * The queue of a model's waiting requests: one FIFO per priority level, each with its queue policy.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import type { InferenceRequest } from './inference-request.ts';
import type { DynamicBatcher, QueuePolicy } from './model-config.ts';

/** A request waiting in the queue. */
export interface QueuedRequest {
  readonly request: InferenceRequest;
  /** Rows the request adds to a batch. */
  readonly batchSize: number;
  /** `performance.now()` when it was queued. */
  readonly enqueuedAt: number;
  /** `performance.now()` after which its queue timeout has expired; Infinity when it has none. */
  readonly deadline: number;
  /** Resolves the request's promise with its result. */
  readonly resolve: (result: unknown) => void;
  /** Rejects the request's promise. */
  readonly reject: (error: Error) => void;
}

interface Level {
  readonly policy: QueuePolicy;
  /** Requests in arrival order. */
  waiting: QueuedRequest[];
  /** Requests whose timeout expired under the DELAY action; served after `waiting`. */
  delayed: QueuedRequest[];
  /** Whether any queued request has a deadline (lets the timeout scan be skipped). */
  timed: number;
}

/** Triton's rejection of a request queued beyond `maxQueueSize`. */
export const queueFullError = (): TritonError => new TritonError(ErrorCode.UNAVAILABLE, 'Exceeds maximum queue size');

/**
 * Triton's rejection of a request whose queue timeout expired under REJECT (Triton's message first, then the
 * model and the timeout).
 */
export const queueTimeoutError = (model: string, item: QueuedRequest): TritonError =>
  new TritonError(
    ErrorCode.UNAVAILABLE,
    `Request timeout expired: the request waited in the queue of model '${model}' longer than its timeout of ${Math.round((item.deadline - item.enqueuedAt) * 1000)} µs`,
  );

/**
 * Priority levels served highest (1) first; within a level, arrival order, with delayed requests last.
 */
export class PriorityQueue {
  readonly #levels: Level[];
  readonly #defaultLevel: number;
  #size = 0;

  /** @param batcher - the model's dynamic batcher settings (levels and queue policies). */
  constructor(batcher: DynamicBatcher) {
    const count = Math.max(batcher.priorityLevels, 1);
    this.#levels = Array.from({ length: count }, (_, i) => ({
      policy: batcher.priorityQueuePolicy[i + 1] ?? batcher.defaultQueuePolicy,
      waiting: [],
      delayed: [],
      timed: 0,
    }));
    this.#defaultLevel = batcher.priorityLevels > 0 ? batcher.defaultPriorityLevel : 1;
  }

  /** Number of queued requests. */
  get size(): number {
    return this.#size;
  }

  /** The level (1-based) a request of `priority` goes to: out of range or 0 means the default level. */
  levelOf(priority: number): number {
    return priority >= 1 && priority <= this.#levels.length ? priority : this.#defaultLevel;
  }

  /** The queue policy of a level. */
  policyOf(level: number): QueuePolicy {
    return this.#levels[level - 1]!.policy;
  }

  /**
   * Queues a request at `level`.
   * @throws {TritonError} UNAVAILABLE `Exceeds maximum queue size` when the level is full.
   */
  push(level: number, item: QueuedRequest): void {
    const queue = this.#levels[level - 1]!;
    const max = queue.policy.maxQueueSize;
    if (max > 0 && queue.waiting.length + queue.delayed.length >= max) throw queueFullError();
    queue.waiting.push(item);
    if (item.deadline !== Infinity) queue.timed++;
    this.#size++;
  }

  /** Queued requests in serving order. */
  *[Symbol.iterator](): IterableIterator<QueuedRequest> {
    for (const level of this.#levels) {
      yield* level.waiting;
      yield* level.delayed;
    }
  }

  /** Removes and returns the first `count` requests in serving order. */
  take(count: number): QueuedRequest[] {
    const taken: QueuedRequest[] = [];
    for (const level of this.#levels) {
      for (const list of [level.waiting, level.delayed]) {
        const items = list.splice(0, count - taken.length);
        for (const item of items) if (item.deadline !== Infinity) level.timed--;
        taken.push(...items);
      }
      if (taken.length === count) break;
    }
    this.#size -= taken.length;
    return taken;
  }

  /** Removes one request wherever it is; returns whether it was queued. */
  remove(item: QueuedRequest): boolean {
    for (const level of this.#levels) {
      for (const list of [level.waiting, level.delayed]) {
        const i = list.indexOf(item);
        if (i === -1) continue;
        list.splice(i, 1);
        if (item.deadline !== Infinity) level.timed--;
        this.#size--;
        return true;
      }
    }
    return false;
  }

  /**
   * Applies the timeout action to every waiting request whose deadline passed: REJECT removes and returns it,
   * DELAY moves it behind the level's other requests.
   */
  expire(now: number): QueuedRequest[] {
    const rejected: QueuedRequest[] = [];
    for (const level of this.#levels) {
      if (level.timed === 0) continue;
      const kept: QueuedRequest[] = [];
      for (const item of level.waiting) {
        if (item.deadline > now) kept.push(item);
        else if (level.policy.timeoutAction === 'DELAY') level.delayed.push(item);
        else {
          rejected.push(item);
          level.timed--;
        }
      }
      level.waiting = kept;
    }
    this.#size -= rejected.length;
    return rejected;
  }

  /** The earliest deadline of a waiting request that its level rejects on expiry, or Infinity when none. */
  earliestRejectDeadline(): number {
    let earliest = Infinity;
    for (const level of this.#levels) {
      if (level.timed === 0 || level.policy.timeoutAction !== 'REJECT') continue;
      for (const item of level.waiting) earliest = Math.min(earliest, item.deadline);
    }
    return earliest;
  }

  /** The `enqueuedAt` of the longest-waiting request, or Infinity when empty. */
  oldestEnqueuedAt(): number {
    let oldest = Infinity;
    for (const level of this.#levels) {
      for (const list of [level.waiting, level.delayed]) {
        if (list.length > 0) oldest = Math.min(oldest, list[0]!.enqueuedAt);
      }
    }
    return oldest;
  }
}
