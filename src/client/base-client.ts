/**
 * What {@link ModelClient} and {@link DecoupledModelClient} share: the transport for the URL, the waits for
 * readiness, the configuration (fetched once, on first use), load/unload and closing.
 *
 * @module
 */

import { ErrorCode, grpcStatusOf, httpStatusOf } from '../protocol/status-codes.ts';
import { ClientClosedError, ClientTimeoutError, ModelUnavailableError } from './errors.ts';
import { type ClientModelConfig, parseModelConfig } from './model-config.ts';
import { DEFAULT_INFERENCE_TIMEOUT_S, DEFAULT_INIT_TIMEOUT_S, type ModelClientOptions } from './client-options.ts';
import { pollUntil } from './poll.ts';
import type { ModelTarget, Transport } from './transport.ts';
import { createTransport, type AnyTransport } from './create-transport.ts';
import { parseServerUrl, type ServerUrl } from './url.ts';

const seconds = (s: number): number => Math.max(0, s * 1000);

/** The shared part of the model clients. */
export abstract class BaseModelClient implements AsyncDisposable {
  /** The server URL, parsed. */
  readonly url: ServerUrl;
  /** The model this client calls. */
  readonly modelName: string;
  /** The model version; undefined for the server's choice. */
  readonly modelVersion: string | undefined;
  /** Milliseconds the first call waits for readiness and the configuration. */
  protected readonly initTimeoutMs: number;
  /** Milliseconds every other call may take. */
  protected readonly inferenceTimeoutMs: number;
  /** The protocol's transport. */
  protected readonly transport: AnyTransport;
  #config: Promise<ClientModelConfig> | undefined;
  #closed = false;

  /**
   * @param url - `http://host:port` or `grpc://host:port`, `https://` or `grpcs://` over TLS (a bare host is HTTP on port 8000).
   * @param modelName - the model to call.
   * @param options - version, timeouts, TLS settings and headers for every call.
   */
  constructor(url: string, modelName: string, options: ModelClientOptions = {}) {
    this.url = parseServerUrl(url);
    this.modelName = modelName;
    this.modelVersion = options.modelVersion === undefined ? undefined : String(options.modelVersion);
    this.initTimeoutMs = seconds(options.initTimeoutS ?? DEFAULT_INIT_TIMEOUT_S);
    this.inferenceTimeoutMs = seconds(options.inferenceTimeoutS ?? DEFAULT_INFERENCE_TIMEOUT_S);
    this.transport = createTransport(this.url, options.tls, options.headers);
  }

  /** The model and version, as the transport takes them. */
  protected get target(): ModelTarget {
    return { modelName: this.modelName, modelVersion: this.modelVersion };
  }

  /**
   * Waits until the server is live and ready.
   * @param timeoutS - seconds to wait.
   * @throws {ClientTimeoutError} when it is not ready in time.
   */
  async waitForServer(timeoutS: number): Promise<void> {
    this.checkOpen();
    const ready = await pollUntil(seconds(timeoutS), (left) => this.transport.serverReady(left).catch(notYet));
    if (!ready) throw new ClientTimeoutError(`server at ${this.url.authority} not ready within ${timeoutS} s`);
  }

  /**
   * Waits until the server and then the model are ready.
   * @param timeoutS - seconds to wait in all.
   * @throws {ClientTimeoutError} when the server is not ready in time.
   * @throws {ModelUnavailableError} when the server is, but the model is not ready in time.
   */
  async waitForModel(timeoutS: number): Promise<void> {
    const deadline = Date.now() + seconds(timeoutS);
    await this.waitForServer(timeoutS);
    const ready = await pollUntil(deadline - Date.now(), (left) =>
      this.transport.modelReady(this.target, left).catch(notYet),
    );
    if (!ready) {
      const httpStatus = httpStatusOf(ErrorCode.UNAVAILABLE);
      const status =
        this.url.protocol === 'grpc' ? { httpStatus, grpcCode: grpcStatusOf(ErrorCode.UNAVAILABLE) } : { httpStatus };
      throw new ModelUnavailableError(`model '${this.modelName}' is not ready after ${timeoutS} s`, status);
    }
  }

  /**
   * The model's configuration. The first call (of any method) waits for the model within `initTimeoutS` and
   * fetches it; later calls return the cached one.
   */
  modelConfig(): Promise<ClientModelConfig> {
    this.checkOpen();
    this.#config ??= this.#initialize().catch((error: unknown) => {
      this.#config = undefined;
      throw error;
    });
    return this.#config;
  }

  /** Loads (makes available again) the model; the next call checks readiness again. */
  async loadModel(): Promise<void> {
    this.checkOpen();
    await this.transport.loadModel(this.modelName, this.inferenceTimeoutMs);
    this.#config = undefined;
  }

  /** Unloads the model; the next call checks readiness again. */
  async unloadModel(): Promise<void> {
    this.checkOpen();
    await this.transport.unloadModel(this.modelName, this.inferenceTimeoutMs);
    this.#config = undefined;
  }

  /** Closes the connections; later calls throw {@link ClientClosedError}. Closing twice does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.transport.close();
  }

  /** Closes the client (`await using client = new ModelClient(...)`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Checks a fetched configuration fits this kind of client. @throws {ClientValueError} when it does not. */
  protected abstract checkConfig(config: ClientModelConfig): void;

  /** @throws {ClientClosedError} after `close()`. */
  protected checkOpen(): void {
    if (this.#closed) throw new ClientClosedError();
  }

  async #initialize(): Promise<ClientModelConfig> {
    const deadline = Date.now() + this.initTimeoutMs;
    await this.waitForModel(this.initTimeoutMs / 1000);
    const left = Math.max(deadline - Date.now(), 1);
    const config = parseModelConfig(await this.transport.modelConfig(this.target, left));
    this.checkConfig(config);
    return config;
  }
}

/** A failed readiness check counts as "not ready yet", except a timeout of the whole wait. */
function notYet(error: unknown): boolean {
  if (error instanceof ClientTimeoutError) return false;
  if (error instanceof ClientClosedError) throw error;
  return false;
}

export type { Transport };
