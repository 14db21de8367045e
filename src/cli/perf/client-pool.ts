/**
 * The model clients perf sends through. Over gRPC, as perf_analyzer does, each concurrency slot has a client of
 * its own (its own channel and connection), so every slot's requests and responses flow independently instead
 * of in step with the others' on one shared connection. Over HTTP one client keeps at most 16 connections, so
 * load is spread over enough clients for the concurrency.
 *
 * @module
 */

import { ModelClient } from '../../client/index.ts';

/** Connections of one HTTP client (its undici pool). */
const HTTP_CONNECTIONS_PER_CLIENT = 16;
/** Clients in request-rate mode, where the number outstanding is not known in advance. */
const RATE_MODE_CLIENTS = 4;

/** The protocol perf speaks. */
export type PerfProtocol = 'http' | 'grpc';

/** How many clients a load needs. */
export function clientCount(protocol: PerfProtocol, mode: 'concurrency' | 'request-rate', maxLevel: number): number {
  if (mode === 'request-rate') return RATE_MODE_CLIENTS;
  if (protocol === 'grpc') return Math.max(1, maxLevel);
  return Math.max(1, Math.ceil(maxLevel / HTTP_CONNECTIONS_PER_CLIENT));
}

/**
 * A fixed set of clients of one model. Over gRPC worker `i` uses client `i` (modulo the count); over HTTP
 * client `⌊i / 16⌋`.
 */
export class ClientPool implements AsyncDisposable {
  /** The clients; the first is used for checks and the configuration. */
  readonly clients: readonly ModelClient[];
  readonly #workersPerClient: number;

  /**
   * @param url - the server URL.
   * @param modelName - the model.
   * @param modelVersion - its version.
   * @param count - how many clients.
   * @param protocol - the URL's protocol.
   */
  constructor(
    url: string,
    modelName: string,
    modelVersion: string | undefined,
    count: number,
    protocol: PerfProtocol = 'http',
  ) {
    this.clients = Array.from(
      { length: count },
      () => new ModelClient(url, modelName, { modelVersion, initTimeoutS: 10 }),
    );
    this.#workersPerClient = protocol === 'grpc' ? 1 : HTTP_CONNECTIONS_PER_CLIENT;
  }

  /** The first client. */
  get primary(): ModelClient {
    return this.clients[0]!;
  }

  /** The client of a worker. */
  forWorker(worker: number): ModelClient {
    return this.clients[Math.floor(worker / this.#workersPerClient) % this.clients.length]!;
  }

  /** Closes every client. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
