/**
 * Conversions between numbers and the 16-bit float bit patterns of FP16 (IEEE binary16) and BF16.
 *
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

type Float16ArrayClass = new (buffer: ArrayBuffer) => { [index: number]: number };
const Float16 = (globalThis as { Float16Array?: Float16ArrayClass }).Float16Array;
const h16 = Float16 ? new Float16(new ArrayBuffer(2)) : undefined;
const h16bits = h16 ? new Uint16Array((h16 as unknown as { buffer: ArrayBuffer }).buffer) : undefined;

/** Encodes a number as FP16 bits, rounding to nearest even (exactly, where the platform has Float16Array). */
export function toFp16Bits(value: number): number {
  if (h16 && h16bits) {
    h16[0] = value;
    return h16bits[0]!;
  }
  return toFp16BitsViaFloat32(value);
}

/** Portable FP16 encoding through FP32 (may differ from exact rounding in the last bit, by double rounding). */
export function toFp16BitsViaFloat32(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let bits = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++;
  return bits;
}

/** Decodes FP16 bits to a number. */
export function fromFp16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes a number as BF16 bits (the top half of FP32), rounding to nearest even. */
export function toBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes BF16 bits to a number. */
export function fromBf16Bits(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}
