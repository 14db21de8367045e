/**
 * A request input's binary tensor bytes decoded, a bad one answered as Triton does: INVALID_ARG, its message
 * behind the request's prefix. The one place where the server turns the codec's {@link TensorError} into a
 * `TritonError`.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import { decodeBinaryTensor, type TensorSource } from '../tensor/binary-tensor.ts';
import type { DataType } from '../tensor/dtype.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import { TensorError } from '../tensor/tensor-error.ts';

/** Where an input comes from, for Triton's error messages. */
export interface InputSource extends TensorSource {
  /** The request's id; empty when none. */
  readonly requestId: string;
}

/** Triton's prefix of errors found while validating a request (`[request id: 42] `). */
export function requestPrefix(requestId: string): string {
  return `[request id: ${requestId === '' ? '<id_unknown>' : requestId}] `;
}

/**
 * Decodes an input from its binary bytes (see `decodeBinaryTensor`; the result may share their memory).
 * @throws {TritonError} INVALID_ARG with Triton's message when the bytes do not hold `shape` of `dtype`.
 */
export function decodeInputTensor(
  source: InputSource,
  dtype: DataType,
  shape: readonly number[],
  bytes: Uint8Array,
): NDArray {
  try {
    return decodeBinaryTensor(source, dtype, shape, bytes);
  } catch (error) {
    if (error instanceof TensorError) throw invalidArg(requestPrefix(source.requestId) + error.message);
    throw error;
  }
}
