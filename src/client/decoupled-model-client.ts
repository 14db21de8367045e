/**
 * A client of one decoupled (streaming) model over gRPC: each inference is an async iterator of responses.
 *
 * @module
 */

import { BaseModelClient } from './base-client.ts';
import type { InferOptions, ModelClientOptions } from './client-options.ts';
import { ClientValueError } from './errors.ts';
import { GrpcTransport } from './grpc-transport.ts';
import type { ClientModelConfig } from './model-config.ts';
import { addBatchDimension, type InferInputs, type InferResult, stripBatchDimension, toNDArrays } from './tensors.ts';

/**
 * Calls one decoupled model over gRPC (`ModelStreamInfer`); each call opens its own stream, so calls may run
 * concurrently. Each response is awaited at most `inferenceTimeoutS`.
 *
 * ```ts
 * await using client = new DecoupledModelClient('grpc://127.0.0.1:8001', 'tokens');
 * for await (const { token } of client.inferSample({ prompt })) console.log(token.toStrings());
 * ```
 */
export class DecoupledModelClient extends BaseModelClient {
  /**
   * @param url - `grpc://host:port` (HTTP is not supported for decoupled models).
   * @param modelName - the decoupled model to call.
   * @param options - version and timeouts.
   * @throws {ClientValueError} for an `http://` URL.
   */
  constructor(url: string, modelName: string, options: ModelClientOptions = {}) {
    super(url, modelName, options);
    if (!(this.transport instanceof GrpcTransport)) {
      void this.transport.close();
      throw new ClientValueError('DecoupledModelClient needs a grpc:// URL');
    }
  }

  /**
   * Infers one sample; yields each response's outputs (batch dimension removed when the model batches).
   * @param inputs - named inputs without a batch dimension.
   */
  async *inferSample(inputs: InferInputs, options: InferOptions = {}): AsyncGenerator<InferResult, void, undefined> {
    const config = await this.modelConfig();
    const arrays = toNDArrays(inputs, config, true);
    if (config.maxBatchSize === 0) {
      yield* this.#stream(arrays, options);
      return;
    }
    for await (const result of this.#stream(addBatchDimension(arrays), options)) yield stripBatchDimension(result);
  }

  /**
   * Infers a batch; yields each response's outputs.
   * @throws {ClientValueError} when the model does not batch.
   */
  async *inferBatch(inputs: InferInputs, options: InferOptions = {}): AsyncGenerator<InferResult, void, undefined> {
    const config = await this.modelConfig();
    if (config.maxBatchSize === 0) {
      throw new ClientValueError(`model '${this.modelName}' does not support batching; use inferSample`);
    }
    yield* this.#stream(toNDArrays(inputs, config, false), options);
  }

  /** @throws {ClientValueError} for a model that is not decoupled (use {@link ModelClient}). */
  protected checkConfig(config: ClientModelConfig): void {
    if (!config.decoupled) {
      throw new ClientValueError(`model '${this.modelName}' is not decoupled; use ModelClient`);
    }
  }

  #stream(inputs: InferResult, options: InferOptions): AsyncGenerator<InferResult, void, undefined> {
    this.checkOpen();
    const call = { ...this.target, inputs, parameters: options.parameters, headers: options.headers };
    return (this.transport as GrpcTransport).streamInfer(call, this.inferenceTimeoutMs);
  }
}
