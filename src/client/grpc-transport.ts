/**
 * The gRPC transport: a grpc-js client of `inference.GRPCInferenceService`, a deadline on every call (not only
 * inference), and the trace context as metadata.
 *
 * @module
 */

import { type Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { NDArray } from '../tensor/ndarray.ts';
import type { ClientTlsOptions } from './client-options.ts';
import { grpcFailure } from './grpc-errors.ts';
import { decodeGrpcInferResponse, encodeGrpcInferRequest, type ModelInferResponseIn } from './grpc-infer-message.ts';
import { inferenceClientClass } from './grpc-proto.ts';
import { streamResponses } from './grpc-stream.ts';
import { traceHeaders } from './trace-context.ts';
import type { InferCall, ModelTarget, Transport } from './transport.ts';

type UnaryMethod = (
  request: object,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response?: unknown) => void,
) => unknown;

type StreamMethod = (metadata: Metadata) => Parameters<typeof streamResponses>[0];

type Headers = Readonly<Record<string, string>> | undefined;

/** Metadata with the trace context, the client's headers and the call's. */
function metadataOf(common: Headers, headers: Headers): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries({ ...traceHeaders(), ...common, ...headers }))
    metadata.set(key.toLowerCase(), value);
  return metadata;
}

/** `{name, version}` of ModelReady / ModelConfig. */
function modelRequest(target: ModelTarget): object {
  return { name: target.modelName, version: target.modelVersion ?? '' };
}

function pem(text: string | Buffer | undefined): Buffer | null {
  return text === undefined ? null : Buffer.from(text);
}

/** The gRPC transport to `host:port`. */
export class GrpcTransport implements Transport {
  readonly #client: Client;
  readonly #headers: Headers;

  /**
   * @param address - `host:port`.
   * @param tls - connect over TLS with these settings; without, in plain text.
   * @param headers - metadata sent with every call.
   */
  constructor(address: string, tls?: ClientTlsOptions, headers?: Headers) {
    this.#headers = headers;
    const ClientClass = inferenceClientClass();
    const channel = tls
      ? credentials.createSsl(pem(tls.ca), pem(tls.key), pem(tls.cert))
      : credentials.createInsecure();
    this.#client = new ClientClass(address, channel, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // A connection of its own: grpc-js would otherwise share one among every client of the same address.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** @inheritdoc */
  async serverReady(timeoutMs: number): Promise<boolean> {
    const live = await this.#unary<{ live: boolean }>('ServerLive', {}, timeoutMs);
    if (!live.live) return false;
    return (await this.#unary<{ ready: boolean }>('ServerReady', {}, timeoutMs)).ready;
  }

  /** @inheritdoc */
  async modelReady(target: ModelTarget, timeoutMs: number): Promise<boolean> {
    return (await this.#unary<{ ready: boolean }>('ModelReady', modelRequest(target), timeoutMs)).ready;
  }

  /** @inheritdoc */
  async modelConfig(target: ModelTarget, timeoutMs: number): Promise<unknown> {
    return (await this.#unary<{ config: unknown }>('ModelConfig', modelRequest(target), timeoutMs)).config;
  }

  /** @inheritdoc */
  async infer(call: InferCall, timeoutMs: number): Promise<Record<string, NDArray>> {
    const request = encodeGrpcInferRequest(call);
    const response = await this.#unary<ModelInferResponseIn>('ModelInfer', request, timeoutMs, call.headers);
    return decodeGrpcInferResponse(response, call.modelName);
  }

  /**
   * Sends one request on a new ModelStreamInfer stream and yields each response's outputs until the final one.
   * @param timeoutMs - the longest wait for each response.
   */
  streamInfer(call: InferCall, timeoutMs: number): AsyncGenerator<Record<string, NDArray>, void, undefined> {
    const open = (this.#client as unknown as Record<string, StreamMethod>).ModelStreamInfer!.bind(this.#client);
    const request = encodeGrpcInferRequest(call, { triton_enable_empty_final_response: true });
    return streamResponses(open(metadataOf(this.#headers, call.headers)), request, call.modelName, timeoutMs);
  }

  /** @inheritdoc */
  async loadModel(modelName: string, timeoutMs: number): Promise<void> {
    await this.#unary('RepositoryModelLoad', { repository_name: '', model_name: modelName }, timeoutMs);
  }

  /** @inheritdoc */
  async unloadModel(modelName: string, timeoutMs: number): Promise<void> {
    await this.#unary('RepositoryModelUnload', { repository_name: '', model_name: modelName }, timeoutMs);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    this.#client.close();
  }

  /** Calls a unary RPC with a deadline of `timeoutMs`. */
  #unary<T>(name: string, request: object, timeoutMs: number, headers?: Readonly<Record<string, string>>): Promise<T> {
    const method = (this.#client as unknown as Record<string, UnaryMethod>)[name]!;
    return new Promise((resolve, reject) => {
      method.call(
        this.#client,
        request,
        metadataOf(this.#headers, headers),
        { deadline: Date.now() + timeoutMs },
        (error, response) => {
          if (error) reject(grpcFailure(error, name, timeoutMs));
          else resolve(response as T);
        },
      );
    });
  }
}
