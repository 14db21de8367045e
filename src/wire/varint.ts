/**
 * Protobuf varints written straight into a byte array: the one implementation behind the gRPC response encoder
 * and the OTLP span encoder.
 *
 * @module
 */

/** Bytes of `value` (a non-negative safe integer) as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = value > 0xffff_ffff ? Math.floor(value / 0x80) : value >>> 7;
    size++;
  }
  return size;
}

/** Bytes of a length-delimited field of `length` bytes: its tag (one byte), length prefix and content. */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/**
 * Writes `value` (a non-negative safe integer) as a varint at `pos`; the caller has made room (at most 8 bytes).
 * @returns the position after it.
 */
export function putVarint(buf: Uint8Array, pos: number, value: number): number {
  while (value >= 0x80) {
    buf[pos++] = (value & 0x7f) | 0x80;
    value = value > 0xffff_ffff ? Math.floor(value / 0x80) : value >>> 7;
  }
  buf[pos++] = value;
  return pos;
}

/**
 * Writes `value` (a safe integer) as an `int64` varint, two's complement on 64 bits (a negative value takes
 * ten bytes); the caller has made room.
 * @returns the position after it.
 */
export function putInt64(buf: Uint8Array, pos: number, value: number): number {
  if (value >= 0) return putVarint(buf, pos, value);
  let bits = BigInt.asUintN(64, BigInt(value));
  for (let i = 0; i < 9; i++) {
    buf[pos++] = Number(bits & 0x7fn) | 0x80;
    bits >>= 7n;
  }
  buf[pos++] = Number(bits);
  return pos;
}
