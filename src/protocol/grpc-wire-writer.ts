/**
 * A minimal writer of the protobuf wire format, for the hand-written encoder of the gRPC hot path
 * (`grpc-infer-response-wire.ts`): the message's size is computed first (with the `*Size` functions), then
 * it is written into one buffer of exactly that size.
 *
 * @module
 */

import { NotFastPath } from './grpc-wire-reader.ts';
import { putInt64, putVarint, varintSize } from './varint.ts';

/** Bytes of `value` as an `int64` varint (a negative one takes ten). @throws {NotFastPath} for a non-integer. */
export function int64Size(value: number): number {
  if (!Number.isSafeInteger(value)) throw new NotFastPath('not a safe integer');
  return value < 0 ? 10 : varintSize(value);
}

/**
 * Bytes of `text` as UTF-8. @throws {NotFastPath} for a string that is not well-formed UTF-16 (lone
 * surrogates), whose encoding is left to the general encoder.
 */
export function utf8Size(text: string): number {
  if (isAscii(text)) return text.length;
  if (!text.isWellFormed()) throw new NotFastPath('lone surrogate');
  return Buffer.byteLength(text);
}

/** Whether every character of a short string is ASCII (long ones are left to `Buffer`: false). */
function isAscii(text: string): boolean {
  if (text.length > SHORT_STRING) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Up to this length, an ASCII string is measured and copied here rather than by `Buffer` (a native call). */
const SHORT_STRING = 64;

/** Writes protobuf wire data into a buffer of the size computed beforehand. */
export class WireWriter {
  readonly buf: Buffer;
  pos = 0;

  /** @param size - the exact size of what will be written. */
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** A non-negative safe integer as a varint. */
  varint(value: number): void {
    this.pos = putVarint(this.buf, this.pos, value);
  }

  /** A safe integer as an `int64` varint (two's complement on 64 bits). */
  int64(value: number): void {
    this.pos = putInt64(this.buf, this.pos, value);
  }

  /** A string as its UTF-8 length and bytes; `length` is its {@link utf8Size}. */
  string(text: string, length: number): void {
    this.varint(length);
    if (length === text.length && length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) this.buf[this.pos++] = text.charCodeAt(i);
    } else {
      this.pos += this.buf.write(text, this.pos, length, 'utf8');
    }
  }

  /** Bytes with their length. */
  bytes(bytes: Uint8Array): void {
    this.varint(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  /** A little-endian `double`. */
  double(value: number): void {
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  /** A `bool`. */
  bool(value: boolean): void {
    this.buf[this.pos++] = value ? 1 : 0;
  }
}
