/**
 * A small protobuf writer for the OTLP span encoder: one growing buffer, length-delimited fields written in
 * place (a one-byte length is reserved and the content moved when the length needs more), and the UTF-8
 * bytes of names kept, since a trace exporter writes the same span, event and attribute names over and over.
 *
 * @module
 */

/** Protobuf wire types. */
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** How many distinct names the writer keeps encoded; names beyond it are encoded each time. */
const NAME_CACHE_LIMIT = 4096;
/** Longer names are not kept. */
const NAME_CACHE_MAX_LENGTH = 128;
const nameCache = new Map<string, Buffer>();

function encodedName(name: string): Buffer | undefined {
  let bytes = nameCache.get(name);
  if (bytes === undefined && nameCache.size < NAME_CACHE_LIMIT && name.length <= NAME_CACHE_MAX_LENGTH) {
    bytes = Buffer.from(name, 'utf8');
    nameCache.set(name, bytes);
  }
  return bytes;
}

const timedNameTails = new Map<string, Uint8Array | null>();

/** Field 2 (tag, length, bytes) of {@link ProtoWriter.timedName}'s message, when it fits a one-byte length. */
function timedNameTail(name: string): Uint8Array | undefined {
  let tail = timedNameTails.get(name);
  if (tail === undefined) {
    const bytes = encodedName(name);
    tail = bytes === undefined || bytes.length > 100 ? null : Buffer.concat([Buffer.from([(2 << 3) | WIRE_LEN, bytes.length]), bytes]);
    if (bytes !== undefined) timedNameTails.set(name, tail);
  }
  return tail ?? undefined;
}

/** Writes one protobuf message into a buffer that grows as needed. */
export class ProtoWriter {
  #buf: Buffer;
  #view: DataView;
  /** The write position: the length of what was written so far. */
  pos = 0;

  /** @param initialSize - the buffer's starting size in bytes. */
  constructor(initialSize = 64 * 1024) {
    this.#buf = Buffer.allocUnsafeSlow(initialSize);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  /** The bytes written (a view of the writer's buffer). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.pos);
  }

  #ensure(bytes: number): void {
    if (this.pos + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.pos + bytes));
    this.#buf.copy(grown, 0, 0, this.pos);
    this.#buf = grown;
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** An unsigned varint (up to 2^53). */
  varint(value: number): void {
    this.#ensure(10);
    const buf = this.#buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value = value > 0xffff_ffff ? Math.floor(value / 128) : value >>> 7;
    }
    buf[this.pos++] = value;
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
    if (value >= 0) {
      this.varint(value);
      return;
    }
    this.#ensure(10);
    let big = BigInt.asUintN(64, BigInt(value));
    while (big > 0x7fn) {
      this.#buf[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.#buf[this.pos++] = Number(big);
  }

  /** A fixed64 field's value. */
  fixed64(value: bigint): void {
    this.#ensure(8);
    this.#view.setBigUint64(this.pos, value, true);
    this.pos += 8;
  }

  /** A fixed32 field's value. */
  fixed32(value: number): void {
    this.#ensure(4);
    this.#view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** A double field's value. */
  double(value: number): void {
    this.#ensure(8);
    this.#view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A length-delimited byte string. */
  bytes(value: Uint8Array): void {
    this.varint(value.byteLength);
    this.#ensure(value.byteLength);
    this.#buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** An id given as big-endian 32-bit words (2 or 4), length-delimited. */
  idWords(words: readonly number[]): void {
    const count = words.length;
    this.#ensure(count * 4 + 1);
    const buf = this.#buf;
    let pos = this.pos;
    buf[pos++] = count * 4;
    for (let i = 0; i < count; i++) {
      const word = words[i]!;
      buf[pos] = word >>> 24;
      buf[pos + 1] = word >>> 16;
      buf[pos + 2] = word >>> 8;
      buf[pos + 3] = word;
      pos += 4;
    }
    this.pos = pos;
  }

  /**
   * A message field made of a fixed64 (field 1) and a name (field 2), written from kept bytes: a span event
   * without attributes, the most frequent message of a trace export.
   */
  timedName(field: number, ns: bigint, name: string): void {
    const tail = timedNameTail(name);
    if (tail === undefined || field > 15) {
      this.tag(field, WIRE_LEN);
      const start = this.begin();
      this.tag(1, WIRE_I64);
      this.fixed64(ns);
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
    this.#view.setBigUint64(this.pos + 3, ns, true);
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

  /** A length-delimited UTF-8 string. */
  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.#ensure(length);
    this.pos += this.#buf.write(value, this.pos, length, 'utf8');
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
    if (length < 0x80) {
      this.#buf[start - 1] = length;
      return;
    }
    let extra = 1;
    while (length >= 2 ** (7 * (extra + 1))) extra++;
    this.#ensure(extra);
    const buf = this.#buf;
    buf.copy(buf, start + extra, start, this.pos);
    let at = start - 1;
    let rest = length;
    while (rest > 0x7f) {
      buf[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buf[at] = rest;
    this.pos += extra;
  }
}
