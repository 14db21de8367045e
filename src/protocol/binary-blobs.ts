/**
 * The binary blobs that follow the JSON header of an inference request (binary tensor data extension): one per
 * input that declares `parameters.binary_data_size`, back to back, in the order of those inputs.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** Hands out the blobs after a request's JSON header in order, as views on the body (never copies). */
export class BinaryBlobs {
  readonly #body: Uint8Array;
  readonly #modelName: string;
  #offset: number;

  /**
   * @param body - the whole (decompressed) request body.
   * @param start - where the first blob starts: the JSON header's length.
   * @param modelName - the model the request is for, for messages.
   */
  constructor(body: Uint8Array, start: number, modelName: string) {
    this.#body = body;
    this.#offset = start;
    this.#modelName = modelName;
  }

  /**
   * The next `size` bytes, for input `inputName`.
   * @throws {TritonError} INVALID_ARG with Triton's message when fewer than `size` bytes are left.
   */
  take(inputName: string, size: number): Uint8Array {
    const available = this.#body.byteLength - this.#offset;
    if (size > available) {
      throw invalidArg(
        `unexpected size for input '${inputName}', expecting ${size - available} additional bytes for model ` +
          `'${this.#modelName}'`,
      );
    }
    const blob = this.#body.subarray(this.#offset, this.#offset + size);
    this.#offset += size;
    return blob;
  }

  /**
   * Checks that every byte of the body was claimed by an input.
   * @throws {TritonError} INVALID_ARG with Triton's message when bytes are left over.
   */
  finish(): void {
    if (this.#offset !== this.#body.byteLength) {
      throw invalidArg(`unexpected additional input data for model '${this.#modelName}'`);
    }
  }
}
