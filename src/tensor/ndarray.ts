/**
 * NDArray: the one array type tensor data travels in. A typed array (or, for BYTES, an array of byte
 * strings) plus a shape and a datatype; no numeric library.
 *
 * @module
 */

import {
  type DataType,
  type NumericStorage,
  type StorageOf,
  isBigIntType,
  isHalfType,
  typedArrayClass,
} from './dtype.ts';
import { fromBf16Bits, fromFp16Bits, toBf16Bits, toFp16Bits } from './half.ts';
import { TensorError } from './tensor-error.ts';

/** A JavaScript value of one element: number, bigint (64-bit ints), boolean (BOOL) or bytes/string (BYTES). */
export type ElementValue = number | bigint | boolean | string | Uint8Array;

/** Values {@link NDArray.from} accepts: a typed array, a (nested) array of elements, or an NDArray. */
export type ArrayInput = NDArray | NumericStorage | ArrayLike<unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Number of elements in a shape (1 for a scalar shape `[]`). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A copy of a shape (a plain loop: faster than a spread for the few dimensions shapes have). */
function copyOf(shape: readonly number[]): number[] {
  const copy = new Array<number>(shape.length);
  for (let i = 0; i < shape.length; i++) copy[i] = shape[i]!;
  return copy;
}

/**
 * An n-dimensional array of one datatype, stored flat in row-major order.
 *
 * Storage by datatype: BOOL in a `Uint8Array` of 0/1; INT64/UINT64 in `BigInt64Array`/`BigUint64Array`;
 * FP16/BF16 in a `Uint16Array` of raw bit patterns; BYTES in an array of `Uint8Array`.
 * `data` can be handed to onnxruntime-node's `Tensor` as is (no copy).
 */
export class NDArray<D extends DataType = DataType> {
  /** The datatype. */
  readonly dtype: D;
  /** The shape; the product of its dimensions is the element count. */
  readonly shape: readonly number[];
  /** The flat, row-major storage. */
  readonly data: StorageOf[D];

  /**
   * Wraps storage without copying it.
   * @param dtype - the datatype.
   * @param data - storage of the class the datatype uses.
   * @param shape - the shape; defaults to one dimension of the storage's length.
   * @throws {TensorError} when the shape does not hold exactly `data.length` elements.
   */
  constructor(dtype: D, data: StorageOf[D], shape?: readonly number[]) {
    this.dtype = dtype;
    this.data = data;
    this.shape = Object.freeze(shape ? copyOf(shape) : [data.length]);
    if (elementCount(this.shape) !== data.length) {
      throw new TensorError(
        `shape [${this.shape.join(',')}] holds ${elementCount(this.shape)} elements but the data has ${data.length}`,
      );
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Size of the first dimension (the batch dimension of a batched request). */
  get rows(): number {
    return this.shape.length === 0 ? 1 : this.shape[0]!;
  }

  /**
   * Builds an array of `dtype` from JavaScript values, converting each element.
   * Nested arrays are flattened and give the shape when `shape` is not given.
   * @param values - elements, a nested array, a typed array or another NDArray.
   * @param dtype - the datatype of the result.
   * @param shape - the shape; defaults to the nesting of `values` (or its length).
   */
  static from<D extends DataType>(values: ArrayInput, dtype: D, shape?: readonly number[]): NDArray<D> {
    if (values instanceof NDArray) return values.astype(dtype).reshape(shape ?? values.shape);
    const flat = isTypedArray(values) ? values : flatten(values as ArrayLike<unknown>);
    const inferred = isTypedArray(values) ? [values.length] : nestedShape(values as ArrayLike<unknown>);
    return new NDArray(dtype, convertStorage(flat, dtype), shape ?? inferred);
  }

  /** A BYTES array of UTF-8 encoded strings. */
  static fromStrings(strings: readonly string[], shape?: readonly number[]): NDArray<'BYTES'> {
    return new NDArray(
      'BYTES',
      strings.map((s) => encoder.encode(s)),
      shape,
    );
  }

  /** An array of zeros (false, empty bytes) of the given shape. */
  static zeros<D extends DataType>(dtype: D, shape: readonly number[]): NDArray<D> {
    const n = elementCount(shape);
    const data =
      dtype === 'BYTES' ? Array.from({ length: n }, () => new Uint8Array(0)) : new (typedArrayClass(dtype))(n);
    return new NDArray(dtype, data as StorageOf[D], shape);
  }

  /**
   * Joins arrays along the first dimension; every array must have the same datatype and trailing shape.
   * @throws {TensorError} when datatypes or trailing dimensions differ.
   */
  static concat<D extends DataType>(arrays: readonly NDArray<D>[]): NDArray<D> {
    if (arrays.length === 1) return arrays[0]!;
    const first = arrays[0];
    if (!first) throw new TensorError('concat needs at least one array');
    const tail = first.shape.slice(1).join(',');
    let rows = 0;
    for (const a of arrays) {
      if (a.dtype !== first.dtype || a.shape.slice(1).join(',') !== tail) {
        throw new TensorError(
          `cannot concatenate ${a.dtype}[${a.shape.join(',')}] with ${first.dtype}[${first.shape.join(',')}]`,
        );
      }
      rows += a.rows;
    }
    return new NDArray(first.dtype, concatStorage(arrays.map((a) => a.data)) as StorageOf[D], [
      rows,
      ...first.shape.slice(1),
    ]);
  }

  /** The element at flat index `i` as a JavaScript value (BOOL as boolean, FP16/BF16 decoded, BYTES as bytes). */
  at(i: number): ElementValue | undefined {
    const raw = this.data[i];
    if (raw === undefined) return undefined;
    return decodeElement(this.dtype, raw);
  }

  /** All elements as JavaScript values, flat (see {@link NDArray.at}). */
  toArray(): ElementValue[] {
    const out = new Array<ElementValue>(this.size);
    for (let i = 0; i < out.length; i++) out[i] = decodeElement(this.dtype, this.data[i]!);
    return out;
  }

  /** The elements of a BYTES array decoded as UTF-8 strings. */
  toStrings(): string[] {
    if (this.dtype !== 'BYTES') throw new TensorError(`toStrings() needs a BYTES array, not ${this.dtype}`);
    return (this.data as Uint8Array[]).map((b) => decoder.decode(b));
  }

  /** The same data viewed with another shape of equal element count (no copy). */
  reshape(shape: readonly number[]): NDArray<D> {
    if (shape.length === this.shape.length && shape.every((d, i) => d === this.shape[i])) return this;
    return new NDArray(this.dtype, this.data, shape);
  }

  /** Rows `start` to `end` (exclusive) of the first dimension, sharing storage for typed arrays. */
  sliceRows(start: number, end: number): NDArray<D> {
    const stride = this.shape.length === 0 ? 1 : elementCount(this.shape.slice(1));
    const data = Array.isArray(this.data)
      ? this.data.slice(start * stride, end * stride)
      : (this.data as NumericStorage).subarray(start * stride, end * stride);
    return new NDArray(this.dtype, data as StorageOf[D], [end - start, ...this.shape.slice(1)]);
  }

  /** A converted copy in another datatype; the same array when the datatype already matches. */
  astype<T extends DataType>(dtype: T): NDArray<T> {
    if ((dtype as DataType) === this.dtype) return this as unknown as NDArray<T>;
    return new NDArray(dtype, convertStorage(this.toArray(), dtype), this.shape);
  }

  /** The onnxruntime tensor type name for this datatype (`'float32'`, `'int64'`, …). */
  get ortType(): string {
    return ORT_TYPE[this.dtype];
  }
}

const ORT_TYPE: Readonly<Record<DataType, string>> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BF16: 'bfloat16',
  BYTES: 'string',
};

/** True for any typed array (not a DataView). */
export function isTypedArray(value: unknown): value is NumericStorage {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function decodeElement(dtype: DataType, raw: number | bigint | Uint8Array): ElementValue {
  if (dtype === 'BOOL') return raw !== 0;
  if (dtype === 'FP16') return fromFp16Bits(raw as number);
  if (dtype === 'BF16') return fromBf16Bits(raw as number);
  return raw;
}

function flatten(values: ArrayLike<unknown>): unknown[] {
  const out: unknown[] = [];
  const walk = (v: ArrayLike<unknown>): void => {
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (Array.isArray(e) || (isTypedArray(e) && !(e instanceof Uint8Array))) walk(e as ArrayLike<unknown>);
      else out.push(e);
    }
  };
  walk(values);
  return out;
}

function nestedShape(values: ArrayLike<unknown>): number[] {
  const shape = [values.length];
  let inner: unknown = values[0];
  while (Array.isArray(inner)) {
    shape.push(inner.length);
    inner = inner[0];
  }
  return shape;
}

/**
 * Converts a flat list of JavaScript values to the storage of `dtype`.
 * @throws {TensorError} naming the element that cannot be converted.
 */
export function convertStorage<D extends DataType>(values: ArrayLike<unknown>, dtype: D): StorageOf[D] {
  if (dtype === 'BYTES') return Array.from(values, toBytes) as StorageOf[D];
  const out = new (typedArrayClass(dtype))(values.length);
  const big = isBigIntType(dtype);
  for (let i = 0; i < values.length; i++) out[i] = convertElement(values[i], dtype, big, i) as never;
  return out as StorageOf[D];
}

function convertElement(v: unknown, dtype: DataType, big: boolean, i: number): number | bigint {
  if (typeof v === 'boolean') return big ? BigInt(Number(v)) : Number(v);
  if (typeof v === 'bigint') return big ? v : Number(v);
  if (typeof v !== 'number') {
    throw new TensorError(`element ${i} (${describe(v)}) cannot be converted to ${dtype}`);
  }
  if (dtype === 'BOOL') return v ? 1 : 0;
  if (big) {
    if (!Number.isInteger(v)) throw new TensorError(`element ${i} (${v}) is not an integer, as ${dtype} needs`);
    return BigInt(v);
  }
  if (isHalfType(dtype)) return dtype === 'FP16' ? toFp16Bits(v) : toBf16Bits(v);
  return v;
}

function toBytes(v: unknown, i: number): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return encoder.encode(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return encoder.encode(String(v));
  throw new TensorError(`element ${i} (${describe(v)}) cannot be converted to BYTES`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function concatStorage(parts: readonly (NumericStorage | Uint8Array[])[]): NumericStorage | Uint8Array[] {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as Uint8Array[][]).flat();
  let length = 0;
  for (const p of parts) length += p.length;
  const Ctor = first.constructor as new (n: number) => NumericStorage;
  const out = new Ctor(length);
  let offset = 0;
  for (const p of parts as NumericStorage[]) {
    out.set(p as never, offset);
    offset += p.length;
  }
  return out;
}
