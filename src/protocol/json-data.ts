/**
 * Tensor data as JSON: parsing a `data` array into an NDArray and writing an NDArray's elements back,
 * following Triton's JSON rules (FP16/BF16 only travel in binary).
 *
 * @module
 */

import { type DataType, isBigIntType, isHalfType, typedArrayClass } from '../tensor/dtype.ts';
import { NDArray } from '../tensor/ndarray.ts';
import { ErrorCode, invalidArg, quote, TritonError } from '../errors.ts';

const INT_RANGE: Readonly<Partial<Record<DataType, readonly [number, number]>>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Flattens a (possibly nested) JSON array of elements; non-array `data` is one element.
 * Walks without recursion, so data nested thousands deep cannot overflow the stack.
 */
export function flattenJson(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const flat: unknown[] = [];
  const arrays: unknown[][] = [data];
  const positions: number[] = [0];
  while (arrays.length > 0) {
    const top = arrays.length - 1;
    const array = arrays[top]!;
    const i = positions[top]!;
    if (i === array.length) {
      arrays.pop();
      positions.pop();
      continue;
    }
    positions[top] = i + 1;
    const v = array[i];
    if (Array.isArray(v)) {
      arrays.push(v);
      positions.push(0);
    } else flat.push(v);
  }
  return flat;
}

/**
 * Builds the NDArray of an input from its JSON `data`.
 * @param name - the input's name, for messages.
 * @throws {TritonError} INVALID_ARG naming the input and the element that does not fit.
 */
export function parseJsonData(name: string, dtype: DataType, shape: readonly number[], data: unknown): NDArray {
  if (isHalfType(dtype)) {
    throw invalidArg(
      `receiving ${dtype} data via JSON is not supported. Please use the binary data format for input ${name}`,
    );
  }
  const flat = flattenJson(data);
  let expected = 1;
  for (const d of shape) expected *= d;
  if (flat.length !== expected) {
    throw invalidArg(
      `Unable to parse 'data' of input '${name}': Shape does not match true shape of 'data' field ` +
        `(shape [${shape.join(',')}] needs ${expected} elements, 'data' has ${flat.length})`,
    );
  }
  return new NDArray(dtype, convertJsonElements(name, dtype, flat), shape);
}

function convertJsonElements(name: string, dtype: DataType, flat: readonly unknown[]): NDArray['data'] {
  if (dtype === 'BYTES') {
    return flat.map((v, i) => {
      if (typeof v !== 'string') throw elementError(name, dtype, i, v, 'a string');
      return encoder.encode(v);
    });
  }
  const out = new (typedArrayClass(dtype))(flat.length);
  if (dtype === 'BOOL') {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean') throw elementError(name, dtype, i, v, 'true or false');
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  const range = INT_RANGE[dtype];
  const big = isBigIntType(dtype);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw elementError(name, dtype, i, v, 'a number');
    if (!Number.isFinite(v)) throw elementError(name, dtype, i, v, 'a finite number');
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw elementError(name, dtype, i, v, `an integer in [${range[0]}, ${range[1]}]`);
    }
    out[i] = (big ? BigInt(v) : v) as never;
  }
  return out;
}

function elementError(name: string, dtype: DataType, index: number, value: unknown, wanted: string): TritonError {
  const shown =
    typeof value === 'string'
      ? quote(value)
      : Array.isArray(value)
        ? 'an array'
        : typeof value === 'object' && value !== null
          ? 'an object'
          : String(value);
  return invalidArg(
    `Unable to parse 'data' of input '${name}': element ${index} is ${shown}, but datatype ${dtype} needs ${wanted}`,
  );
}

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const EXACT_POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The shortest decimal text that reads back as the same FP32 value (as a JSON reader does: to a double, then to
 * FP32), in JavaScript's number format. Rounds to p = 1, 2, … significant digits with exact powers of ten and keeps
 * the first that reads back: ~4× faster than formatting each precision (docs/performance.md).
 */
export function float32ToJson(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  const abs = Math.abs(value);
  const exponent = Math.floor(Math.log10(abs));
  for (let p = 1; p <= 9; p++) {
    const k = p - 1 - exponent; // digits after the decimal point
    if (k > 22 || k < -22) break; // the power of ten is not exact: tiny or huge values take the slow path
    const digits = k >= 0 ? Math.round(abs * EXACT_POW10[k]!) : Math.round(abs / EXACT_POW10[-k]!);
    if (Math.fround(k >= 0 ? digits / EXACT_POW10[k]! : digits * EXACT_POW10[-k]!) === abs) {
      return (value < 0 ? '-' : '') + numberText(String(digits), k);
    }
  }
  return float32ToJsonByPrecision(value);
}

/** The same text by formatting each precision (for values whose scaling by ten is not exact). */
function float32ToJsonByPrecision(value: number): string {
  let low = 1;
  let high = 9;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (Math.fround(Number(value.toPrecision(mid))) === value) high = mid;
    else low = mid + 1;
  }
  return String(Number(value.toPrecision(low)));
}

/** `integer` × 10^-k as JavaScript's `Number.prototype.toString` writes it (ECMA-262 Number::toString). */
function numberText(integer: string, k: number): string {
  let end = integer.length;
  while (end > 1 && integer.charCodeAt(end - 1) === 48) end--;
  const digits = integer.slice(0, end);
  const point = integer.length - k; // where the decimal point falls, counted from the first digit
  if (digits.length <= point && point <= 21) return digits + '0'.repeat(point - digits.length);
  if (point > 0 && point <= 21) return `${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point > -6 && point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  const exp = point - 1;
  return `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp >= 0 ? '+' : '-'}${Math.abs(exp)}`;
}

function float64ToJson(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/** `[f(a[0]),f(a[1]),…]` without intermediate arrays. */
function joinMapped(values: ArrayLike<number>, f: (value: number) => string): string {
  let text = '[';
  for (let i = 0; i < values.length; i++) text += (i === 0 ? '' : ',') + f(values[i]!);
  return `${text}]`;
}

/**
 * Writes an array's elements as a flat JSON array.
 * @param name - the output's name, for messages.
 * @throws {TritonError} for FP16/BF16, which Triton only sends in binary.
 */
export function jsonDataOf(name: string, array: NDArray): string {
  const { dtype, data } = array;
  switch (dtype) {
    case 'FP16':
    case 'BF16':
      throw new TritonError(
        ErrorCode.INVALID_ARG,
        `sending ${dtype} data via JSON is not supported. Please use the binary data format for output ${name}`,
      );
    case 'BOOL':
      return joinMapped(data as Uint8Array, (v) => (v ? 'true' : 'false'));
    case 'FP32':
      return joinMapped(data as Float32Array, float32ToJson);
    case 'FP64':
      return `[${Array.from(data as Float64Array, float64ToJson).join(',')}]`;
    case 'BYTES':
      return `[${(data as Uint8Array[]).map((b) => JSON.stringify(decoder.decode(b))).join(',')}]`;
    default:
      return `[${Array.prototype.join.call(data, ',')}]`;
  }
}

/** A single-element array as a JSON scalar; any other array as a flat JSON array. */
export function jsonValueOf(name: string, array: NDArray): string {
  const text = jsonDataOf(name, array);
  return array.size === 1 ? text.slice(1, -1) : text;
}
