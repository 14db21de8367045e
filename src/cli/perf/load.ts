/**
 * Load generators: keep N requests outstanding (concurrency mode) or send at a constant rate (request-rate
 * mode), recording when each request started and ended.
 *
 * @module
 */

import { setTimeout as sleep } from 'node:timers/promises';

/** Sends one request; `worker` identifies the sender (to spread load over connections). */
export type SendRequest = (worker: number) => Promise<void>;

/** One finished request, in `performance.now()` milliseconds. */
export interface Completion {
  /** When it was sent. */
  readonly startMs: number;
  /** When its response ended. */
  readonly endMs: number;
}

/** A running load: completions are collected until taken. */
export interface Load {
  /** Returns the completions recorded since the last call and forgets them. */
  take(): Completion[];
  /** The first failed request's error, if any (the load stops on it). */
  readonly failure: unknown;
  /** Stops sending and waits for the outstanding requests. */
  stop(): Promise<void>;
}

/** The bookkeeping both load modes share. */
abstract class BaseLoad implements Load {
  protected stopped = false;
  #completions: Completion[] = [];
  #failure: unknown;

  get failure(): unknown {
    return this.#failure;
  }

  take(): Completion[] {
    const taken = this.#completions;
    this.#completions = [];
    return taken;
  }

  abstract stop(): Promise<void>;

  /** Sends one request and records it; a failure stops the load. */
  protected async timed(send: SendRequest, worker: number): Promise<void> {
    const startMs = performance.now();
    try {
      await send(worker);
      this.#completions.push({ startMs, endMs: performance.now() });
    } catch (error) {
      this.#failure ??= error;
      this.stopped = true;
    }
  }
}

/** Keeps `concurrency` requests outstanding: each worker sends its next request when the last one ended. */
class ConcurrencyLoad extends BaseLoad {
  readonly #workers: Promise<void>[];

  constructor(send: SendRequest, concurrency: number) {
    super();
    this.#workers = Array.from({ length: concurrency }, (_, i) => this.#run(send, i));
  }

  async #run(send: SendRequest, worker: number): Promise<void> {
    while (!this.stopped) await this.timed(send, worker);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.#workers);
  }
}

/** Sends `rate` requests per second at constant intervals, without waiting for earlier ones. */
class RateLoad extends BaseLoad {
  readonly #pending = new Set<Promise<void>>();
  readonly #scheduler: Promise<void>;

  constructor(send: SendRequest, rate: number) {
    super();
    this.#scheduler = this.#schedule(send, 1000 / rate);
  }

  async #schedule(send: SendRequest, intervalMs: number): Promise<void> {
    const t0 = performance.now();
    for (let k = 0; !this.stopped;) {
      const wait = t0 + k * intervalMs - performance.now();
      if (wait > 0) {
        await sleep(wait);
        continue;
      }
      const request = this.timed(send, k++);
      this.#pending.add(request);
      void request.finally(() => this.#pending.delete(request));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.#scheduler;
    await Promise.all(this.#pending);
  }
}

/**
 * Starts keeping `concurrency` requests outstanding.
 * @param send - sends one request.
 */
export function startConcurrencyLoad(send: SendRequest, concurrency: number): Load {
  return new ConcurrencyLoad(send, concurrency);
}

/**
 * Starts sending `rate` requests per second (constant distribution).
 * @param send - sends one request.
 */
export function startRateLoad(send: SendRequest, rate: number): Load {
  return new RateLoad(send, rate);
}
