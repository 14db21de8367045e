/**
 * The HTTP/REST transport: an undici `Pool` (keep-alive connections), binary tensor data both ways, the
 * trace context as headers, and an `AbortSignal.timeout` on every call.
 *
 * @module
 */

import { Pool } from 'undici';
import type { NDArray } from '../tensor/ndarray.ts';
import type { ClientTlsOptions } from './client-options.ts';
import { ClientConnectionError, ClientTimeoutError, httpStatusError } from './errors.ts';
import { decodeHttpInferBody, encodeHttpInferBody } from './http-infer-body.ts';
import { traceHeaders } from './trace-context.ts';
import type { InferCall, ModelTarget, Transport } from './transport.ts';

/** A response read to the end. */
interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/** One request. */
interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly timeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
}

const decoder = new TextDecoder();

/** `/v2/models/{name}[/versions/{version}]`. */
function modelPath(target: ModelTarget): string {
  const base = `/v2/models/${encodeURIComponent(target.modelName)}`;
  return target.modelVersion === undefined ? base : `${base}/versions/${encodeURIComponent(target.modelVersion)}`;
}

/** The `error` of a Triton error body, or the body itself. */
function errorMessage(body: Uint8Array): string {
  const text = decoder.decode(body);
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: the text is the message
  }
  return text;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The HTTP transport to `origin` (`http://host:port`). */
export class HttpTransport implements Transport {
  readonly #pool: Pool;
  readonly #origin: string;
  readonly #headers: Readonly<Record<string, string>> | undefined;

  /**
   * @param origin - `http://host:port` or `https://host:port`.
   * @param tls - the CA, and the client certificate and key, of an `https://` origin.
   * @param headers - headers sent with every call.
   */
  constructor(origin: string, tls?: ClientTlsOptions, headers?: Readonly<Record<string, string>>) {
    this.#origin = origin;
    this.#headers = headers;
    const connect = tls ? { connect: { ca: tls.ca, cert: tls.cert, key: tls.key } } : {};
    this.#pool = new Pool(origin, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000, ...connect });
  }

  /** @inheritdoc */
  async serverReady(timeoutMs: number): Promise<boolean> {
    try {
      const live = await this.#send({ method: 'GET', path: '/v2/health/live', timeoutMs });
      if (live.status !== 200) return false;
      return (await this.#send({ method: 'GET', path: '/v2/health/ready', timeoutMs })).status === 200;
    } catch (error) {
      if (error instanceof ClientConnectionError) return false;
      throw error;
    }
  }

  /** @inheritdoc */
  async modelReady(target: ModelTarget, timeoutMs: number): Promise<boolean> {
    return (await this.#send({ method: 'GET', path: `${modelPath(target)}/ready`, timeoutMs })).status === 200;
  }

  /** @inheritdoc */
  async modelConfig(target: ModelTarget, timeoutMs: number): Promise<unknown> {
    const answer = this.#check(await this.#send({ method: 'GET', path: `${modelPath(target)}/config`, timeoutMs }));
    return JSON.parse(decoder.decode(answer.body)) as unknown;
  }

  /** @inheritdoc */
  async infer(call: InferCall, timeoutMs: number): Promise<Record<string, NDArray>> {
    const { chunks, headerLength } = encodeHttpInferBody(call.inputs, call.parameters);
    const answer = this.#check(
      await this.#send({
        method: 'POST',
        path: `${modelPath(call)}/infer`,
        timeoutMs,
        headers: {
          ...call.headers,
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(headerLength),
        },
        body: concat(chunks),
      }),
    );
    const length = answer.headers['inference-header-content-length'];
    const jsonLength = typeof length === 'string' ? Number(length) : undefined;
    return decodeHttpInferBody(answer.body, jsonLength, call.modelName);
  }

  /** @inheritdoc */
  async loadModel(modelName: string, timeoutMs: number): Promise<void> {
    const path = `/v2/repository/models/${encodeURIComponent(modelName)}/load`;
    this.#check(await this.#send({ method: 'POST', path, timeoutMs }));
  }

  /** @inheritdoc */
  async unloadModel(modelName: string, timeoutMs: number): Promise<void> {
    const path = `/v2/repository/models/${encodeURIComponent(modelName)}/unload`;
    this.#check(await this.#send({ method: 'POST', path, timeoutMs }));
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  #check(answer: HttpAnswer): HttpAnswer {
    if (answer.status >= 400) throw httpStatusError(answer.status, errorMessage(answer.body));
    return answer;
  }

  /** Sends a request and reads the whole body; the timeout covers both. */
  async #send(call: HttpCall): Promise<HttpAnswer> {
    const signal = AbortSignal.timeout(call.timeoutMs);
    try {
      const response = await this.#pool.request({
        method: call.method,
        path: call.path,
        headers: { ...traceHeaders(), ...this.#headers, ...call.headers },
        body: call.body,
        signal,
      });
      const body = new Uint8Array(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      throw this.#failure(error, call, signal);
    }
  }

  #failure(error: unknown, call: HttpCall, signal: AbortSignal): Error {
    const what = `${call.method} ${this.#origin}${call.path}`;
    if (signal.aborted) {
      return new ClientTimeoutError(`${what} did not answer within ${call.timeoutMs / 1000} s`, { cause: error });
    }
    return new ClientConnectionError(`${what} failed: ${(error as Error).message}`, { cause: error });
  }
}
