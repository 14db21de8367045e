/**
 * The protobuf writer, used two ways:
 * - the OTLP span encoder writes into one growing buffer, length-delimited fields in place (a one-byte length
 *   is reserved and the content moved when the length needs more), with the UTF-8 bytes of names kept, since
 *   a trace exporter writes the same span, event and attribute names over and over;
 * - the gRPC response encoder computes the message's size first (with {@link int64Size}, {@link utf8Size} and
 *   `delimitedSize`), then writes it into a writer of exactly that size ({@link ProtoWriter.exact}) whose
 *   buffer it hands on without a copy.
 *
 * @module
 */

import { NotFastPath } from './proto-reader.ts';
import { putInt64, putVarint, varintSize } from './varint.ts';
import { WIRE_I64, WIRE_LEN } from './wire-types.ts';

export { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire-types.ts';

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

/** Up to this length, an ASCII string is measured and copied here rather than by `Buffer` (a native call). */
const SHORT_STRING = 64;

/** Whether every character of a short string is ASCII (long ones are left to `Buffer`: false). */
function isAscii(text: string): boolean {
  if (text.length > SHORT_STRING) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** How many distinct names the writer keeps encoded; names beyond it are encoded each time. */
const NAME_CACHE_LIMIT = 4096;
/** Longer names are not kept. */
const NAME_CACHE_MAX_LENGTH = 128;
const nameCache = new Map<string, Buffer>();
/** Byte strings up to this length are copied by a loop (cheaper than a native copy for a name). */
const SHORT_COPY = 32;

function encodedName(name: string): Buffer | undefined {
  let bytes = nameCache.get(name);
  if (bytes === undefined && nameCache.size < NAME_CACHE_LIMIT && name.length <= NAME_CACHE_MAX_LENGTH) {
    bytes = Buffer.from(name, 'utf8');
    nameCache.set(name, bytes);
  }
  return bytes;
}

/** Per field number (1–15): a name's whole field (tag, one-byte length, bytes), or null when it does not fit. */
const keptNameFields: Map<string, Uint8Array | null>[] = [];

/** A length-delimited field `field` (1–15) holding `name`, as kept bytes; undefined when it cannot be kept. */
function keptNameField(field: number, name: string): Uint8Array | undefined {
  const cache = (keptNameFields[field] ??= new Map());
  let bytes = cache.get(name);
  if (bytes === undefined) {
    const encoded = encodedName(name);
    if (encoded === undefined) return undefined;
    bytes =
      encoded.length > 100 ? null : Buffer.concat([Buffer.from([(field << 3) | WIRE_LEN, encoded.length]), encoded]);
    cache.set(name, bytes);
  }
  return bytes ?? undefined;
}

/** A 64-bit integer as its low and high 32-bit words (for {@link ProtoWriter.fixed64Sum}). */
export interface Words64 {
  readonly low: number;
  readonly high: number;
}

/** The addend of a fixed64 written as it is. */
export const NO_ADDEND: Words64 = Object.freeze({ low: 0, high: 0 });

/** `value` (taken modulo 2^64) as {@link Words64}. */
export function words64(value: bigint): Words64 {
  const unsigned = BigInt.asUintN(64, value);
  return { low: Number(unsigned & 0xffff_ffffn), high: Number(unsigned >> 32n) };
}

/**
 * The write limit of a writer that never grows: the largest small integer, so the limit stays a small integer
 * for every writer and the bounds check the same machine comparison.
 */
const UNBOUNDED = 0x3fff_ffff;

/** Writes one protobuf message into a buffer that grows as needed. */
export class ProtoWriter {
  #buf: Buffer;
  /** A DataView of `#buf`, made on first use (a writer of one small message seldom needs it). */
  #view: DataView | undefined;
  /**
   * How far the buffer may be written before it grows: its length, or {@link UNBOUNDED} for a writer of an
   * exact size, which never grows (writing past its size is a mistake its caller's size check reports).
   */
  #limit: number;
  /** The write position: the length of what was written so far. */
  pos = 0;

  /**
   * @param initialSize - the buffer's starting size in bytes.
   * @param buffer - the buffer to write into (by default one of `initialSize` bytes outside Node's pool).
   */
  constructor(initialSize = 64 * 1024, buffer = Buffer.allocUnsafeSlow(initialSize)) {
    this.#buf = buffer;
    this.#limit = buffer.length;
  }

  /**
   * A writer of one message of exactly `size` bytes, computed beforehand: its buffer is a new Buffer of that
   * size (from Node's pool when small), which {@link ProtoWriter.finish} gives back whole, without a copy.
   */
  static exact(size: number): ProtoWriter {
    const writer = new ProtoWriter(size, Buffer.allocUnsafe(size));
    writer.#limit = Math.max(size, UNBOUNDED);
    return writer;
  }

  /** Empties the writer, keeping its buffer for what is written next. */
  reset(): void {
    this.pos = 0;
  }

  /** Leaves `bytes` bytes unwritten (to be filled by {@link ProtoWriter.withPrefix}). */
  skip(bytes: number): void {
    this.#ensure(bytes);
    this.pos += bytes;
  }

  /**
   * Writes `prefix` so that it ends at offset `end` (inside room left by {@link ProtoWriter.skip}) and returns
   * the bytes from the prefix's start to the write position (a view of the writer's buffer).
   */
  withPrefix(prefix: Uint8Array, end: number): Uint8Array {
    const start = end - prefix.byteLength;
    if (start < 0) throw new RangeError(`a prefix of ${prefix.byteLength} bytes does not fit in ${end}`);
    this.#buf.set(prefix, start);
    return this.#buf.subarray(start, this.pos);
  }

  /** The bytes written (a view of the writer's buffer; the buffer itself when it is full). */
  finish(): Buffer {
    return this.pos === this.#buf.length ? this.#buf : this.#buf.subarray(0, this.pos);
  }

  #ensure(bytes: number): void {
    if (this.pos + bytes <= this.#limit) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.pos + bytes));
    this.#buf.copy(grown, 0, 0, this.pos);
    this.#buf = grown;
    this.#limit = grown.length;
    this.#view = undefined;
  }

  /**
   * Makes room for `bytes` more bytes and returns the buffer, for a caller that writes a run of fields by hand
   * at {@link ProtoWriter.pos} (through the buffer or {@link ProtoWriter.view}) and then advances `pos`.
   */
  reserve(bytes: number): Buffer {
    this.#ensure(bytes);
    return this.#buf;
  }

  /** A DataView of the current buffer (valid until the next write that grows it). */
  get view(): DataView {
    return this.#dataView();
  }

  #dataView(): DataView {
    const buf = this.#buf;
    return (this.#view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
  }

  /** An unsigned varint (up to 2^53). */
  varint(value: number): void {
    this.#ensure(8);
    this.pos = putVarint(this.#buf, this.pos, value);
  }

  /** One byte (a varint below 128). */
  byte(value: number): void {
    this.#ensure(1);
    this.#buf[this.pos++] = value;
  }

  /** A field's tag. */
  tag(field: number, wireType: number): void {
    if (field > 15) {
      this.varint((field << 3) | wireType);
      return;
    }
    this.#ensure(1);
    this.#buf[this.pos++] = (field << 3) | wireType;
  }

  /** A 64-bit two's-complement integer as a varint (int64 field). */
  int64(value: number): void {
    this.#ensure(10);
    this.pos = putInt64(this.#buf, this.pos, value);
  }

  /**
   * A fixed64 field's value that is `value + addend` (modulo 2^64), added in 32-bit halves: no BigInt is
   * allocated for the sum.
   */
  fixed64Sum(value: bigint, addend: Words64): void {
    this.#ensure(8);
    this.putSum(this.pos, value, addend);
    this.pos += 8;
  }

  /** Writes `value + addend` as a fixed64 at `at` (inside room made by {@link ProtoWriter.reserve}). */
  putSum(at: number, value: bigint, addend: Words64): void {
    const view = this.#dataView();
    view.setBigUint64(at, value, true);
    const low = view.getUint32(at, true) + addend.low;
    view.setUint32(at, low >>> 0, true);
    view.setUint32(at + 4, (view.getUint32(at + 4, true) + addend.high + (low > 0xffff_ffff ? 1 : 0)) >>> 0, true);
  }

  /** Overwrites the byte at `at` (inside what was written). */
  putByte(at: number, value: number): void {
    this.#buf[at] = value;
  }

  /** A fixed32 field's value. */
  fixed32(value: number): void {
    this.#ensure(4);
    this.#dataView().setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** A double field's value. */
  double(value: number): void {
    this.#ensure(8);
    this.#dataView().setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A length-delimited byte string. */
  bytes(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.raw(value);
  }

  /** Bytes copied as they are (already encoded fields). */
  raw(value: Uint8Array): void {
    const length = value.byteLength;
    this.#ensure(length);
    const buf = this.#buf;
    if (length > SHORT_COPY) buf.set(value, this.pos);
    else for (let i = 0, at = this.pos; i < length; i++) buf[at + i] = value[i]!;
    this.pos += length;
  }

  /** An id given as `count` big-endian 32-bit words of `words` from `at` (2 or 4), length-delimited. */
  idWords(words: Uint32Array, at: number, count: number): void {
    this.#ensure(count * 4 + 1);
    const view = this.#dataView();
    let pos = this.pos;
    this.#buf[pos++] = count * 4;
    for (let i = 0; i < count; i++, pos += 4) view.setUint32(pos, words[at + i]!);
    this.pos = pos;
  }

  /**
   * A message field made of a fixed64 `time + addend` (field 1) and a name (field 2), written from kept bytes:
   * a span event without attributes, the most frequent message of a trace export.
   */
  timedName(field: number, time: bigint, addend: Words64, name: string): void {
    const tail = keptNameField(2, name);
    if (tail === undefined || field > 15) {
      this.tag(field, WIRE_LEN);
      const start = this.begin();
      this.tag(1, WIRE_I64);
      this.fixed64Sum(time, addend);
      this.tag(2, WIRE_LEN);
      this.name(name);
      this.end(start);
      return;
    }
    this.#ensure(11 + tail.length);
    const buf = this.#buf;
    buf[this.pos] = (field << 3) | WIRE_LEN;
    buf[this.pos + 1] = 9 + tail.length;
    buf[this.pos + 2] = (1 << 3) | WIRE_I64;
    this.putSum(this.pos + 3, time, addend);
    let pos = this.pos + 11;
    for (let i = 0; i < tail.length; i++) buf[pos++] = tail[i]!;
    this.pos = pos;
  }

  /** Bytes given as hex digits (an id), length-delimited. */
  hex(value: string): void {
    const length = value.length >>> 1;
    this.varint(length);
    this.#ensure(length);
    this.pos += this.#buf.write(value, this.pos, length, 'hex');
  }

  /** A `bool`. */
  bool(value: boolean): void {
    this.#ensure(1);
    this.#buf[this.pos++] = value ? 1 : 0;
  }

  /**
   * The start of a length-delimited field: its tag (`fieldTag`, made by `tag()`) and the `length` of the
   * content that follows.
   */
  delimited(fieldTag: number, length: number): void {
    this.#ensure(16);
    this.pos = putVarint(this.#buf, putVarint(this.#buf, this.pos, fieldTag), length);
  }

  /** A string field whose UTF-8 length is known (its {@link utf8Size}): tag, length and bytes. */
  stringField(fieldTag: number, text: string, length: number): void {
    this.#ensure(16 + length);
    const buf = this.#buf;
    let pos = putVarint(buf, putVarint(buf, this.pos, fieldTag), length);
    if (length === text.length && length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) buf[pos++] = text.charCodeAt(i);
    } else {
      pos += buf.write(text, pos, length, 'utf8');
    }
    this.pos = pos;
  }

  /** A bytes field: tag, length and the bytes. */
  bytesField(fieldTag: number, value: Uint8Array): void {
    const length = value.byteLength;
    this.#ensure(16 + length);
    const buf = this.#buf;
    const pos = putVarint(buf, putVarint(buf, this.pos, fieldTag), length);
    buf.set(value, pos);
    this.pos = pos + length;
  }

  /** A length-delimited UTF-8 string (a short ASCII one copied here: cheaper than two native calls). */
  string(value: string): void {
    const count = value.length;
    if (count < 0x80) {
      this.#ensure(count + 1);
      const buf = this.#buf;
      const at = this.pos + 1;
      let i = 0;
      for (; i < count; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buf[at + i] = code;
      }
      if (i === count) {
        buf[at - 1] = count;
        this.pos = at + count;
        return;
      }
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.#ensure(length);
    this.pos += this.#buf.write(value, this.pos, length, 'utf8');
  }

  /** A length-delimited field (number 1–15) holding a name that recurs (an attribute key), from kept bytes. */
  nameField(field: number, value: string): void {
    const bytes = keptNameField(field, value);
    if (bytes === undefined) {
      this.tag(field, WIRE_LEN);
      this.string(value);
      return;
    }
    this.#ensure(bytes.length);
    const buf = this.#buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
    this.pos = pos;
  }

  /** A string that recurs (a span, event or attribute name): its bytes are kept after the first use. */
  name(value: string): void {
    const bytes = encodedName(value);
    if (bytes === undefined) this.string(value);
    else this.bytes(bytes);
  }

  /** Starts a length-delimited field's content; pass the result to {@link ProtoWriter.end}. */
  begin(): number {
    this.#ensure(1);
    return ++this.pos;
  }

  /** Ends the length-delimited content started at `start`, writing its length in front of it. */
  end(start: number): void {
    const length = this.pos - start;
    if (length < 0x80) this.#buf[start - 1] = length;
    else this.#writeLength(start, 1, length);
  }

  /**
   * Starts a length-delimited field whose content is usually 128 bytes or more (a span): two bytes are
   * reserved for the length, so {@link ProtoWriter.endLarge} seldom has to move the content. Pass the result
   * to `endLarge`.
   */
  beginLarge(): number {
    this.#ensure(2);
    this.pos += 2;
    return this.pos;
  }

  /**
   * Ends content started with {@link ProtoWriter.beginLarge}. A length below 16384 fills the two bytes (one
   * below 128 as a padded varint, `0x80 | length, 0x00`: parsers read it as the same number).
   */
  endLarge(start: number): void {
    const length = this.pos - start;
    if (length < 0x4000) {
      this.#buf[start - 2] = (length & 0x7f) | 0x80;
      this.#buf[start - 1] = length >>> 7;
    } else this.#writeLength(start, 2, length);
  }

  /** Writes `length` in front of content at `start` that has `reserved` bytes before it, moving the content. */
  #writeLength(start: number, reserved: number, length: number): void {
    const extra = varintSize(length) - reserved;
    this.#ensure(extra);
    const buf = this.#buf;
    buf.copy(buf, start + extra, start, this.pos);
    putVarint(buf, start - reserved, length);
    this.pos += extra;
  }
}
