/**
 * Typed tensor data of gRPC requests (`InferTensorContents`) → the binary layout, with Triton's rules: each
 * datatype has one field (INT8/16/32 share `int_contents`, UINT8/16/32 `uint_contents`), FP16 and BF16 have
 * none, and only one field may hold data.
 *
 * @module
 */

import { type DataType, type NumericStorage, type StorageOf, typedArrayClass } from '../tensor/dtype.ts';
import { NDArray } from '../tensor/ndarray.ts';
import { invalidArg } from '../errors.ts';
import { encodeBinaryTensor, type TensorSource } from '../tensor/binary-tensor.ts';
import type { TensorContentsIn } from './grpc-messages.ts';

/** One field of `InferTensorContents`: the datatype its values are, given the input's datatype. */
interface ContentsField {
  readonly field: keyof TensorContentsIn;
  readonly typeFor: (declared: DataType) => DataType;
}

const narrowTo =
  (narrow: readonly DataType[], wide: DataType) =>
  (declared: DataType): DataType =>
    narrow.includes(declared) ? declared : wide;

/** The fields in the order Triton reads them. */
const FIELDS: readonly ContentsField[] = [
  { field: 'bool_contents', typeFor: () => 'BOOL' },
  { field: 'int_contents', typeFor: narrowTo(['INT8', 'INT16'], 'INT32') },
  { field: 'int64_contents', typeFor: () => 'INT64' },
  { field: 'uint_contents', typeFor: narrowTo(['UINT8', 'UINT16'], 'UINT32') },
  { field: 'uint64_contents', typeFor: () => 'UINT64' },
  { field: 'fp32_contents', typeFor: () => 'FP32' },
  { field: 'fp64_contents', typeFor: () => 'FP64' },
  { field: 'bytes_contents', typeFor: () => 'BYTES' },
];

/** The values of one field as storage of `dtype` (integers narrowed as C++ narrows them: the low bytes). */
function storageOf(dtype: DataType, values: readonly unknown[]): StorageOf[DataType] {
  switch (dtype) {
    case 'BYTES':
      return values as Uint8Array[];
    case 'BOOL':
      return Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
    case 'INT64':
    case 'UINT64':
      return (typedArrayClass(dtype) as unknown as BigIntArrayClass).from(values as string[], (v) => BigInt(v));
    default:
      return (typedArrayClass(dtype) as unknown as NumberArrayClass).from(values as number[]);
  }
}

type BigIntArrayClass = { from(values: readonly string[], map: (v: string) => bigint): NumericStorage };
type NumberArrayClass = { from(values: readonly number[]): NumericStorage };

/**
 * The binary bytes of an input given in `contents` (empty when no field holds data).
 * @param source - the input, model and request id, for messages.
 * @param dtype - the input's datatype.
 * @throws {TritonError} INVALID_ARG with Triton's message when a field does not match the datatype, or more
 *   than one field holds data.
 */
export function contentsToBytes(source: TensorSource, dtype: DataType, contents: TensorContentsIn): Uint8Array {
  let bytes: Uint8Array | undefined;
  for (const { field, typeFor } of FIELDS) {
    const values = contents[field] as readonly unknown[];
    if (values.length === 0) continue;
    const type = typeFor(dtype);
    if (bytes && bytes.byteLength > 0) {
      throw invalidArg(
        `unexpected explicit tensor data for input tensor '${source.name}' for model '${source.modelName}', ` +
          'binary data was already supplied.',
      );
    }
    if (type !== dtype) {
      throw invalidArg(
        `unexpected explicit tensor data for input tensor '${source.name}' for model '${source.modelName}' ` +
          `of type '${type}', expected datatype '${dtype}'`,
      );
    }
    bytes = encodeBinaryTensor(new NDArray(type, storageOf(type, values), [values.length]));
  }
  return bytes ?? new Uint8Array(0);
}
