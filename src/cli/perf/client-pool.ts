/**
 * The model clients perf sends through. One HTTP client keeps at most 16 connections, so HTTP load is spread
 * over enough clients for the concurrency; one gRPC client multiplexes every request.
 *
 * @module
 */

import { ModelClient } from '../../client/index.ts';

/** Connections of one HTTP client (its undici pool). */
const HTTP_CONNECTIONS_PER_CLIENT = 16;
/** HTTP clients in request-rate mode, where the number outstanding is not known in advance. */
const RATE_MODE_HTTP_CLIENTS = 4;

/** How many clients a load needs. */
export function clientCount(protocol: 'http' | 'grpc', mode: 'concurrency' | 'request-rate', maxLevel: number): number {
  if (protocol === 'grpc') return 1;
  if (mode === 'request-rate') return RATE_MODE_HTTP_CLIENTS;
  return Math.max(1, Math.ceil(maxLevel / HTTP_CONNECTIONS_PER_CLIENT));
}

/** A fixed set of clients of one model; worker `i` uses client `⌊i / 16⌋` (modulo the count). */
export class ClientPool implements AsyncDisposable {
  /** The clients; the first is used for checks and the configuration. */
  readonly clients: readonly ModelClient[];

  /**
   * @param url - the server URL.
   * @param modelName - the model.
   * @param modelVersion - its version.
   * @param count - how many clients.
   */
  constructor(url: string, modelName: string, modelVersion: string | undefined, count: number) {
    this.clients = Array.from(
      { length: count },
      () => new ModelClient(url, modelName, { modelVersion, initTimeoutS: 10 }),
    );
  }

  /** The first client. */
  get primary(): ModelClient {
    return this.clients[0]!;
  }

  /** The client of a worker. */
  forWorker(worker: number): ModelClient {
    return this.clients[Math.floor(worker / HTTP_CONNECTIONS_PER_CLIENT) % this.clients.length]!;
  }

  /** Closes every client. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
