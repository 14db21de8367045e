/**
 * The KServe v2 datatypes and how each is held in memory.
 *
 * @module
 */

/** Every KServe v2 / Triton tensor datatype. */
export const DataType = {
  BOOL: 'BOOL',
  UINT8: 'UINT8',
  UINT16: 'UINT16',
  UINT32: 'UINT32',
  UINT64: 'UINT64',
  INT8: 'INT8',
  INT16: 'INT16',
  INT32: 'INT32',
  INT64: 'INT64',
  FP16: 'FP16',
  FP32: 'FP32',
  FP64: 'FP64',
  BF16: 'BF16',
  BYTES: 'BYTES',
} as const;

/** One of the {@link DataType} names, e.g. `'FP32'`. */
export type DataType = (typeof DataType)[keyof typeof DataType];

/** The storage of each datatype: a typed array, or an array of byte strings for BYTES. */
export interface StorageOf {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BF16: Uint16Array;
  BYTES: Uint8Array[];
}

/** Any typed array a fixed-size datatype is stored in. */
export type NumericStorage = Exclude<StorageOf[DataType], Uint8Array[]>;

type TypedArrayConstructor = {
  new (length: number): NumericStorage;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): NumericStorage;
  readonly BYTES_PER_ELEMENT: number;
};

const TYPED_ARRAY: Readonly<Record<Exclude<DataType, 'BYTES'>, TypedArrayConstructor>> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
  BF16: Uint16Array,
} as unknown as Record<Exclude<DataType, 'BYTES'>, TypedArrayConstructor>;

const ALL_TYPES = new Set<string>(Object.values(DataType));

/** True when `value` names a datatype. */
export function isDataType(value: unknown): value is DataType {
  return typeof value === 'string' && ALL_TYPES.has(value);
}

/** The typed-array class a fixed-size datatype is stored in. */
export function typedArrayClass(dtype: Exclude<DataType, 'BYTES'>): TypedArrayConstructor {
  return TYPED_ARRAY[dtype];
}

/** Bytes per element, or 0 for BYTES (variable size). */
export function elementSize(dtype: DataType): number {
  return dtype === 'BYTES' ? 0 : TYPED_ARRAY[dtype].BYTES_PER_ELEMENT;
}

/** True for the 64-bit integer types, whose elements are bigints. */
export function isBigIntType(dtype: DataType): dtype is 'INT64' | 'UINT64' {
  return dtype === 'INT64' || dtype === 'UINT64';
}

/** True for the half-precision types, stored as raw 16-bit patterns and only sent in binary. */
export function isHalfType(dtype: DataType): dtype is 'FP16' | 'BF16' {
  return dtype === 'FP16' || dtype === 'BF16';
}

/** Triton's model-config enum name of a datatype (`TYPE_FP32`; BYTES is `TYPE_STRING`). */
export function configTypeName(dtype: DataType): string {
  return dtype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${dtype}`;
}

/** The datatypes each typed-array class can hold, its own (default) datatype first. */
const TYPED_ARRAY_DATATYPES: ReadonlyMap<unknown, readonly DataType[]> = new Map<unknown, readonly DataType[]>([
  [Float32Array, ['FP32']],
  [Float64Array, ['FP64']],
  [Int8Array, ['INT8']],
  [Int16Array, ['INT16']],
  [Int32Array, ['INT32']],
  [BigInt64Array, ['INT64']],
  [Uint8Array, ['UINT8', 'BOOL']],
  [Uint8ClampedArray, ['UINT8']],
  [Uint16Array, ['UINT16', 'FP16', 'BF16']],
  [Uint32Array, ['UINT32']],
  [BigUint64Array, ['UINT64']],
]);

/**
 * The datatypes a typed array can be sent as, its own first (a Uint8Array is UINT8 or BOOL; a Uint16Array
 * UINT16, FP16 or BF16); undefined for anything that is not a supported typed array.
 */
export function datatypesOfTypedArray(value: unknown): readonly DataType[] | undefined {
  return typeof value === 'object' && value !== null ? TYPED_ARRAY_DATATYPES.get(value.constructor) : undefined;
}
