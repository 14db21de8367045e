/**
 * The per-model scheduler: queues requests, forms batches with Triton's dynamic-batching rules and runs
 * them on the model's instances, one batch at a time per instance.
 *
 * @module
 */

import { ErrorCode, TritonError } from '../errors.ts';
import { log } from '../logger.ts';
import { endCallables, reportActivity } from './batch-call.ts';
import { nowMs, nowNs } from './clock.ts';
import { type ExecutableModel, type Execution, executeBatch } from './execute-batch.ts';
import type { FailureReason } from './model-statistics.ts';
import { executeDecoupledBatch } from './execute-decoupled.ts';
import { inModelScope } from './model-scope.ts';
import type { InferenceRequest, InferenceResult } from './inference-request.ts';
import { PriorityQueue, type QueuedRequest, queueTimeoutError } from './priority-queue.ts';
import type { DecoupledInferFunc, InferFunc } from './request.ts';
import type { BatchFacts, BatchTrace, RequestTrace } from './trace-hooks.ts';
import { requestPriority, requestTimeoutMicroseconds } from './reserved-parameters.ts';

/** An infer function of either kind; the model's `decoupled` setting says which. */
export type AnyInferFunc = InferFunc | DecoupledInferFunc;

interface Instance {
  readonly fn: AnyInferFunc;
  busy: boolean;
}

/** Triton's error for a request its client cancelled. */
export const cancelledError = (): TritonError => new TritonError(ErrorCode.CANCELLED, 'Request was cancelled');

/** The error of the requests of a batch whose infer function ran past the model's execution timeout. */
export const executionTimeoutError = (model: string, timeoutUs: number): TritonError =>
  new TritonError(
    ErrorCode.UNAVAILABLE,
    `Execution timeout expired: the infer function of model '${model}' did not finish within its execution timeout of ${timeoutUs} µs (ModelConfig.executionTimeoutMicroseconds)`,
  );

/** The request as the infer function sees it under an execution timeout: its signal also aborts on expiry. */
function withAbandonSignal(request: InferenceRequest, abandoned: AbortSignal): InferenceRequest {
  return { ...request, signal: request.signal ? AbortSignal.any([request.signal, abandoned]) : abandoned };
}

/** Settles a request's promise with its outcome: an error rejects it. */
function settle(item: QueuedRequest, outcome: unknown): void {
  if (outcome instanceof Error) item.reject(outcome);
  else item.resolve(outcome);
}

/** Schedules and executes the requests of one model. Idle, it holds no timers and does no work. */
export class Scheduler {
  readonly #model: ExecutableModel;
  readonly #instances: Instance[];
  readonly #queue: PriorityQueue;
  #timer: NodeJS.Timeout | undefined;
  /** Fires when the earliest queue deadline passes, so a request times out even while every instance is busy. */
  #expiryTimer: NodeJS.Timeout | undefined;
  #expiryAt = Infinity;
  #dispatchPending = false;
  #executing = 0;
  #delivered: Promise<void> = Promise.resolve();
  #idleWaiters: (() => void)[] = [];

  /**
   * @param model - the model, with its configuration and strictness.
   * @param instances - one infer function per instance.
   */
  constructor(model: ExecutableModel, instances: readonly AnyInferFunc[]) {
    this.#model = model;
    this.#instances = instances.map((fn) => ({ fn, busy: false }));
    this.#queue = new PriorityQueue(model.config.batcher);
  }

  /** Requests waiting in the queue. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Requests being executed. */
  get executing(): number {
    return this.#executing;
  }

  /**
   * Queues a validated request.
   * @param request - the request.
   * @param batchSize - rows it adds to a batch.
   * @returns its result (undefined for a decoupled model, whose responses go to `request.onResponse`);
   *   rejects with a TritonError when it fails or is cancelled.
   */
  enqueue(request: InferenceRequest, batchSize: number): Promise<InferenceResult | undefined> {
    if (request.signal?.aborted) {
      this.#model.statistics.recordFailure(0, 'CANCELED');
      return Promise.reject(cancelledError());
    }
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    const level = this.#queue.levelOf(requestPriority(request.parameters));
    const now = nowMs();
    const timeoutUs = this.#timeoutMicroseconds(level, requestTimeoutMicroseconds(request.parameters));
    const trace = request.trace;
    if (trace) {
      trace.activity('QUEUE_START', nowNs());
      trace.tensors?.('TENSOR_QUEUE_INPUT', request.inputs);
    }
    // The abort listener goes once the request settles: the requests of a gRPC stream share the stream's
    // signal, and a listener left on it would keep every request (and its tensors) for the life of the stream.
    const signal = request.signal;
    const onAbort = (): void => this.#cancel(item);
    const settling =
      <T>(settle: (value: T) => void) =>
      (value: T): void => {
        signal!.removeEventListener('abort', onAbort);
        settle(value);
      };
    const item: QueuedRequest = {
      request,
      batchSize,
      enqueuedAt: now,
      deadline: timeoutUs > 0 ? now + timeoutUs / 1000 : Infinity,
      resolve: signal ? settling(resolve) : resolve,
      reject: signal ? settling(reject) : reject,
    };
    try {
      this.#queue.push(level, item);
    } catch (error) {
      this.#model.statistics.recordFailure(0, 'REJECTED');
      return Promise.reject(error);
    }
    this.#model.statistics.pending++;
    signal?.addEventListener('abort', onAbort); // a signal aborts once: no `once` needed
    if (item.deadline !== Infinity) this.#armExpiry(item.deadline);
    this.#scheduleDispatch();
    return promise as Promise<InferenceResult | undefined>;
  }

  /** Takes a cancelled request out of the queue; one already executing sees the signal instead. */
  #cancel(item: QueuedRequest): void {
    if (!this.#queue.remove(item)) return;
    this.#reject(item, cancelledError(), 'CANCELED');
    this.#notifyIfIdle();
  }

  /** Resolves once nothing is queued or executing. */
  whenIdle(): Promise<void> {
    if (this.#queue.size === 0 && this.#executing === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #timeoutMicroseconds(level: number, requested: number): number {
    const policy = this.#queue.policyOf(level);
    const fallback = policy.defaultTimeoutMicroseconds;
    if (!policy.allowTimeoutOverride || requested === 0) return fallback;
    return fallback === 0 ? requested : Math.min(requested, fallback);
  }

  /** Dispatches on the next turn of the event loop, so requests arriving together can share a batch. */
  #scheduleDispatch(): void {
    if (this.#dispatchPending) return;
    this.#dispatchPending = true;
    setImmediate(() => {
      this.#dispatchPending = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (let instance = this.#freeInstance(); instance; instance = this.#freeInstance()) {
      const now = nowMs();
      this.#rejectExpired(now);
      if (this.#queue.size === 0) break;
      const count = this.#batchLength(now);
      if (count === 0) break;
      this.#run(instance, this.#queue.take(count));
    }
    this.#notifyIfIdle();
  }

  /** Applies the queue policies' timeout actions to the requests whose deadline has passed. */
  #rejectExpired(now: number): void {
    for (const expired of this.#queue.expire(now)) {
      this.#model.statistics.timeouts.queue++;
      this.#reject(expired, queueTimeoutError(this.#model.name, expired), 'REJECTED');
    }
  }

  /** Makes sure the expiry timer fires by `deadline`. */
  #armExpiry(deadline: number): void {
    if (deadline >= this.#expiryAt) return;
    clearTimeout(this.#expiryTimer);
    this.#expiryAt = deadline;
    this.#expiryTimer = setTimeout(
      () => {
        this.#expiryTimer = undefined;
        this.#expiryAt = Infinity;
        this.#rejectExpired(nowMs());
        const next = this.#queue.earliestRejectDeadline();
        if (next !== Infinity) this.#armExpiry(next);
        this.#notifyIfIdle();
      },
      Math.max(0, Math.ceil(deadline - nowMs())),
    );
  }

  #freeInstance(): Instance | undefined {
    return this.#instances.find((i) => !i.busy);
  }

  /** How many queued requests to execute now (0 = wait for more; a timer is then armed). */
  #batchLength(now: number): number {
    const { maxBatchSize, batcher } = this.#model.config;
    if (maxBatchSize === 0) return 1;
    const preferred = batcher.preferredBatchSize;
    const largestPreferred = preferred.at(-1) ?? maxBatchSize;
    let rows = 0;
    let count = 0;
    let best = 0;
    let full = false;
    for (const item of this.#queue) {
      if (rows + item.batchSize > maxBatchSize) {
        full = true;
        break;
      }
      rows += item.batchSize;
      count++;
      if (rows === largestPreferred) return count;
      if (preferred.includes(rows)) best = count;
    }
    if (best > 0) return best;
    if (full || rows >= maxBatchSize) return count;
    const waitMs = this.#queue.oldestEnqueuedAt() + batcher.maxQueueDelayMicroseconds / 1000 - now;
    if (waitMs <= 0) return count;
    this.#timer = setTimeout(() => this.#dispatch(), Math.ceil(waitMs));
    return 0;
  }

  #run(instance: Instance, batch: QueuedRequest[]): void {
    instance.busy = true;
    this.#executing += batch.length;
    const statistics = this.#model.statistics;
    statistics.pending -= batch.length;
    const dispatchedAt = nowMs();
    const timeoutUs = this.#model.config.executionTimeoutMicroseconds;
    const abandon = timeoutUs > 0 ? new AbortController() : undefined;
    const requests = batch.map((item) => (abandon ? withAbandonSignal(item.request, abandon.signal) : item.request));
    const batchTrace = batch.length > 1 ? this.#startBatchTrace(instance, batch, dispatchedAt) : undefined;
    // In the model's scope, so an error its code leaves unhandled is reported with the model's name.
    const called: Promise<Execution<unknown>> = inModelScope(this.#model.name, () =>
      this.#model.config.decoupled
        ? executeDecoupledBatch(this.#model, instance.fn as DecoupledInferFunc, requests, abandon?.signal)
        : executeBatch(this.#model, instance.fn as InferFunc, requests, abandon?.signal),
    );
    const execution = abandon ? this.#withTimeout(called, requests, timeoutUs, abandon, dispatchedAt) : called;
    if (batchTrace !== undefined) {
      void execution.then(({ outcomes, failed }) => batchTrace.end(nowNs(), failed ? outcomes[0] : undefined));
    }
    const delivered = this.#model.config.batcher.preserveOrdering ? this.#inOrder(execution) : execution;
    void execution.then(({ timing }) => {
      instance.busy = false;
      statistics.recordExecution(
        batch.reduce((rows, item) => rows + item.batchSize, 0),
        timing,
      );
      this.#scheduleDispatch();
    });
    void delivered.then(({ outcomes, timing }) => {
      const done = nowMs();
      outcomes.forEach((outcome, i) => {
        const item = batch[i]!;
        if (outcome instanceof Error) statistics.recordFailure(done - item.enqueuedAt, 'BACKEND');
        else {
          statistics.recordSuccess(done - item.enqueuedAt, dispatchedAt - item.enqueuedAt, timing, item.request.trace);
          item.request.onTiming?.(dispatchedAt - item.enqueuedAt, timing.end - timing.start);
        }
        settle(item, outcome);
      });
      this.#executing -= batch.length;
      this.#notifyIfIdle();
    });
  }

  /** The span of a batch of two or more requests, when one of them is traced (see trace-hooks.ts). */
  #startBatchTrace(instance: Instance, batch: readonly QueuedRequest[], dispatchedAt: number): BatchTrace | undefined {
    let members: RequestTrace[] | undefined;
    for (const item of batch) if (item.request.trace !== undefined) (members ??= []).push(item.request.trace);
    if (members === undefined) return undefined;
    const oldest = batch.reduce((at, item) => Math.min(at, item.enqueuedAt), Infinity);
    const facts: BatchFacts = {
      model: { name: this.#model.name, version: this.#model.version },
      rows: batch.reduce((rows, item) => rows + item.batchSize, 0),
      requests: batch.length,
      instance: this.#instances.indexOf(instance),
      oldestQueueNs: BigInt(Math.round((dispatchedAt - oldest) * 1e6)),
    };
    return members[0]!.startBatch?.(members, facts, nowNs());
  }

  /**
   * The execution, or (when it runs past `timeoutUs`) every request failed with the timeout: the requests'
   * signals abort, their traces' callable spans end, and the instance is free for the next batch. The
   * abandoned call is left to finish on its own; what it returns is dropped.
   */
  #withTimeout(
    execution: Promise<Execution<unknown>>,
    batch: readonly InferenceRequest[],
    timeoutUs: number,
    abandon: AbortController,
    start: number,
  ): Promise<Execution<unknown>> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<Execution<unknown>>((resolve) => {
      timer = setTimeout(() => {
        const error = executionTimeoutError(this.#model.name, timeoutUs);
        abandon.abort(error);
        this.#model.statistics.timeouts.execution += batch.length;
        log.warn(`${error.message}; its instance takes the next batch while the abandoned call finishes on its own`);
        if (batch.some((r) => r.trace)) {
          endCallables(batch, error);
          reportActivity(batch, 'COMPUTE_END');
        }
        const end = nowMs();
        resolve({
          outcomes: batch.map(() => error),
          failed: true,
          timing: { start, inputEnd: start, outputStart: end, end },
        });
      }, timeoutUs / 1000);
    });
    return Promise.race([execution.finally(() => clearTimeout(timer)), expired]);
  }

  /** Fails a request that never executed, counting it with `reason`. */
  #reject(item: QueuedRequest, error: TritonError, reason: FailureReason): void {
    this.#model.statistics.pending--;
    this.#model.statistics.recordFailure(nowMs() - item.enqueuedAt, reason);
    item.reject(error);
  }

  /** Delays a batch's outcomes until every batch dispatched before it has been delivered. */
  #inOrder<T>(execution: Promise<T>): Promise<T> {
    const previous = this.#delivered;
    const ordered = Promise.all([execution, previous]).then(([result]) => result);
    this.#delivered = ordered.then(() => undefined);
    return ordered;
  }

  #notifyIfIdle(): void {
    if (this.#queue.size === 0 && this.#expiryTimer) {
      clearTimeout(this.#expiryTimer);
      this.#expiryTimer = undefined;
      this.#expiryAt = Infinity;
    }
    if (this.#queue.size > 0 || this.#executing > 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
