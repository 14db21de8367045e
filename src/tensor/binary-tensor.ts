/**
 * Tensor data in Triton's binary layout (binary tensor data extension): little-endian, row-major, no padding;
 * BOOL one byte per element; BYTES a 4-byte little-endian length before each element's bytes.
 *
 * Decoding shares memory with the bytes it is given wherever it can:
 * - a fixed-size datatype becomes a typed array that is a view on the same memory when the bytes start at an
 *   offset aligned to the element size (a typed array cannot start at an unaligned offset). Otherwise the
 *   tensor, and only that tensor, is copied into fresh memory. Where the bytes fall depends on the client's JSON
 *   header length and on how Node read the body, so an unaligned start is common for small requests and costs
 *   one copy of that tensor;
 * - each BYTES element is a `subarray` of the given bytes (never copied).
 *
 * Encoding gives a fixed-size tensor's own memory back as bytes (no copy); a BYTES tensor is written once into
 * a new buffer with its length prefixes.
 *
 * On a big-endian host (no platform Node ships for in practice) elements wider than a byte are byte-swapped
 * through a copy in both directions.
 *
 * @module
 */

import { type DataType, type NumericStorage, type StorageOf, typedArrayClass } from './dtype.ts';
import { elementCount, NDArray } from './ndarray.ts';
import { TensorError } from './tensor-error.ts';

/** Where a tensor comes from, for error messages (Triton's wording names the input and the model). */
export interface TensorSource {
  /** The tensor's name. */
  readonly name: string;
  /** The model the tensor is for. */
  readonly modelName: string;
}

const LENGTH_PREFIX = 4;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes a tensor from its binary bytes.
 * @param source - the tensor's name and model, for messages.
 * @param bytes - exactly the tensor's bytes; the result may share its memory (see the module notes).
 * @throws {TensorError} with Triton's message when the bytes do not hold `shape` of `dtype`.
 */
export function decodeBinaryTensor(
  source: TensorSource,
  dtype: DataType,
  shape: readonly number[],
  bytes: Uint8Array,
): NDArray {
  const count = elementCount(shape);
  if (dtype === 'BYTES') return new NDArray(dtype, splitByteElements(source, count, bytes), shape);
  const Storage = typedArrayClass(dtype);
  const expected = count * Storage.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== expected) {
    throw new TensorError(
      `input byte size mismatch for input '${source.name}' for model '${source.modelName}'. ` +
        `Expected ${expected}, got ${bytes.byteLength}`,
    );
  }
  return new NDArray(dtype, typedArrayOver(dtype, bytes, count) as StorageOf[typeof dtype], shape);
}

/** A typed array of `count` elements over `bytes`: a view when aligned (and little-endian), else a copy. */
function typedArrayOver(dtype: Exclude<DataType, 'BYTES'>, bytes: Uint8Array, count: number): NumericStorage {
  const Storage = typedArrayClass(dtype);
  const size = Storage.BYTES_PER_ELEMENT;
  if (size > 1 && !HOST_IS_LITTLE_ENDIAN) return swappedCopy(Storage, bytes, count);
  if (bytes.byteOffset % size === 0) return new Storage(bytes.buffer, bytes.byteOffset, count);
  const copy = new Storage(count);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

function swappedCopy(Storage: ReturnType<typeof typedArrayClass>, bytes: Uint8Array, count: number): NumericStorage {
  const copy = new Storage(count);
  const out = new Uint8Array(copy.buffer);
  out.set(bytes);
  reverseEachElement(out, Storage.BYTES_PER_ELEMENT);
  return copy;
}

function reverseEachElement(bytes: Uint8Array, size: number): void {
  for (let start = 0; start < bytes.length; start += size) bytes.subarray(start, start + size).reverse();
}

/**
 * Splits BYTES data (`<uint32 LE length><bytes>` per element) into `count` element views.
 * @throws {TensorError} with Triton's message for too many or too few elements or a cut element.
 */
function splitByteElements(source: TensorSource, count: number, bytes: Uint8Array): Uint8Array[] {
  const { name, modelName } = source;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  while (bytes.byteLength - offset >= LENGTH_PREFIX) {
    if (elements.length >= count) {
      throw new TensorError(
        `unexpected number of string elements ${elements.length + 1} for inference input '${name}' for model ` +
          `'${modelName}', expecting ${count}`,
      );
    }
    const length = view.getUint32(offset, true);
    offset += LENGTH_PREFIX;
    const available = bytes.byteLength - offset;
    if (length > available) {
      throw new TensorError(
        `incomplete string data for inference input '${name}' for model '${modelName}', expecting string of ` +
          `length ${length} but only ${available} bytes available`,
      );
    }
    elements.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.byteLength) {
    throw new TensorError('element byte size indicator exceeds the end of the buffer');
  }
  if (elements.length !== count) {
    throw new TensorError(
      `expected ${count} string elements for inference input '${name}' for model '${modelName}', got ${elements.length}`,
    );
  }
  return elements;
}

/**
 * The binary form of `array`: the typed array's own memory for fixed-size datatypes (no copy), or a new buffer
 * of length-prefixed elements for BYTES.
 */
export function encodeBinaryTensor(array: NDArray): Uint8Array {
  if (array.dtype === 'BYTES') return joinByteElements(array.data as Uint8Array[]);
  const data = array.data as NumericStorage;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data.BYTES_PER_ELEMENT === 1 || HOST_IS_LITTLE_ENDIAN) return bytes;
  const copy = bytes.slice();
  reverseEachElement(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

function joinByteElements(elements: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const element of elements) size += LENGTH_PREFIX + element.byteLength;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.byteLength, true);
    out.set(element, offset + LENGTH_PREFIX);
    offset += LENGTH_PREFIX + element.byteLength;
  }
  return out;
}
