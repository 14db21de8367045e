/**
 * A client of one (non-decoupled) model over HTTP or gRPC, PyTriton's `ModelClient` in TypeScript.
 *
 * @module
 */

import { BaseModelClient } from './base-client.ts';
import type { InferOptions } from './client-options.ts';
import { ClientValueError } from './errors.ts';
import type { ClientModelConfig } from './model-config.ts';
import { addBatchDimension, type InferInputs, type InferResult, stripBatchDimension, toNDArrays } from './tensors.ts';

/**
 * Calls one model. The first call waits (within `initTimeoutS`) for the server and the model to be ready and
 * fetches the configuration once; every call after that goes straight to the server and is bounded by
 * `inferenceTimeoutS`.
 *
 * ```ts
 * await using client = new ModelClient('grpc://127.0.0.1:8001', 'add', { inferenceTimeoutS: 5 });
 * const { sum } = await client.inferSample({ a: new Float32Array([1, 2]), b: new Float32Array([3, 4]) });
 * ```
 */
export class ModelClient extends BaseModelClient {
  /**
   * Infers one sample: the batch dimension is added to the inputs and removed from the outputs when the
   * model batches.
   * @param inputs - named inputs without a batch dimension.
   * @param options - parameters and headers.
   * @returns every output of the model.
   */
  async inferSample(inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    const config = await this.modelConfig();
    const arrays = toNDArrays(inputs, config, true);
    if (config.maxBatchSize === 0) return this.#infer(arrays, options);
    return stripBatchDimension(await this.#infer(addBatchDimension(arrays), options));
  }

  /**
   * Infers a batch: inputs and outputs have the batch dimension first.
   * @throws {ClientValueError} when the model does not batch (`max_batch_size` 0).
   */
  async inferBatch(inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    const config = await this.modelConfig();
    if (config.maxBatchSize === 0) {
      throw new ClientValueError(`model '${this.modelName}' does not support batching; use inferSample`);
    }
    return this.#infer(toNDArrays(inputs, config, false), options);
  }

  /** @throws {ClientValueError} for a decoupled model (use {@link DecoupledModelClient}). */
  protected checkConfig(config: ClientModelConfig): void {
    if (config.decoupled) {
      throw new ClientValueError(`model '${this.modelName}' is decoupled; use DecoupledModelClient`);
    }
  }

  #infer(inputs: InferResult, options: InferOptions): Promise<InferResult> {
    this.checkOpen();
    const call = { ...this.target, inputs, parameters: options.parameters, headers: options.headers };
    return this.transport.infer(call, this.inferenceTimeoutMs);
  }
}
