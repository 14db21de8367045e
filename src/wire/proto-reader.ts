/**
 * A minimal reader of the protobuf wire format, for the hand-written decoders of the gRPC hot path
 * (`protocol/grpc-infer-request-wire.ts`) and of OTLP export requests (`viewer/otlp/decode-protobuf.ts`). It
 * reads only well-formed input: anything else (a read past the end, an over-long varint, a length it does not
 * expect) throws, and the caller falls back to the general decoder.
 *
 * @module
 */

import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './wire-types.ts';

/** Thrown for input the fast decoder does not read; the caller decodes the message the general way instead. */
export class NotFastPath extends Error {}

/** Up to this length, an ASCII string is decoded here rather than by `Buffer` (slower for short strings). */
const SHORT_STRING = 32;

/** The UTF-8 string of `buf[start, end)`, decoded here when it is ASCII. */
function shortString(buf: Buffer, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte >= 0x80) return buf.toString('utf8', start, end);
    text += String.fromCharCode(byte);
  }
  return text;
}

/** Reads protobuf wire data from `buf` between `pos` and `end`. */
export class WireReader {
  readonly buf: Buffer;
  pos: number;
  /** Where the data ends (exclusive): the end of the message entered last (see {@link WireReader.enter}). */
  end: number;
  #view: DataView | undefined;

  /**
   * @param buf - the message bytes.
   * @param pos - where to start reading.
   * @param end - where the data ends (exclusive).
   */
  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Whether everything was read. */
  get done(): boolean {
    return this.pos >= this.end;
  }

  #byte(): number {
    if (this.pos >= this.end) throw new NotFastPath('read past the end');
    return this.buf[this.pos++]!;
  }

  /** A varint below 2^28 (tags, lengths, bools): at most four bytes. */
  smallVarint(): number {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.#byte();
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    throw new NotFastPath('varint too long');
  }

  /** A 64-bit varint as a decimal string, as `int64` (signed) or `uint64`. */
  int64String(signed: boolean): string {
    let value = 0;
    let scale = 1;
    // Seven bytes hold 49 bits: exact as a double.
    for (let i = 0; i < 7; i++) {
      const byte = this.#byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return String(value);
      scale *= 0x80;
    }
    let big = BigInt(value);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const byte = this.#byte();
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return String(signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big));
    }
    throw new NotFastPath('varint too long');
  }

  /** A `bool`: one byte, 0 or 1. */
  bool(): boolean {
    const byte = this.#byte();
    if (byte > 1) throw new NotFastPath('bool is not 0 or 1');
    return byte === 1;
  }

  /** A little-endian `double`. */
  double(): number {
    if (this.pos + 8 > this.end) throw new NotFastPath('read past the end');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A fixed64 as a bigint (read through a DataView: `Buffer#readBigUInt64LE` adds bigints in JavaScript). */
  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw new NotFastPath('read past the end');
    const buf = this.buf;
    const value = (this.#view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength)).getBigUint64(
      this.pos,
      true,
    );
    this.pos += 8;
    return value;
  }

  /** A fixed32. */
  fixed32(): number {
    if (this.pos + 4 > this.end) throw new NotFastPath('read past the end');
    const value = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return value;
  }

  /** An int64 varint as a signed bigint. */
  int64(): bigint {
    let low = 0;
    let scale = 1;
    // Seven bytes hold 49 bits: exact as a double.
    for (let i = 0; i < 7; i++) {
      const byte = this.#byte();
      low += (byte & 0x7f) * scale;
      if (byte < 0x80) return BigInt(low);
      scale *= 0x80;
    }
    let big = BigInt(low);
    for (let shift = 49n; shift < 70n; shift += 7n) {
      const byte = this.#byte();
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, big);
    }
    throw new NotFastPath('varint too long');
  }

  /** Any varint (up to ten bytes), as an unsigned 32-bit number (enums and counts). */
  varint32(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const byte = this.#byte();
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    throw new NotFastPath('varint too long');
  }

  /** The start of a length-delimited value; moves past it (to its end). */
  range(): number {
    const length = this.smallVarint();
    const start = this.pos;
    if (start + length > this.end) throw new NotFastPath(`length ${length} runs past the end of the message`);
    this.pos = start + length;
    return start;
  }

  /** Moves past a field of `wireType`. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint32();
        return;
      case WIRE_I64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.range();
        return;
      case WIRE_I32:
        this.pos += 4;
        break;
      default:
        throw new NotFastPath(`wire type ${wireType} is not used by these messages`);
    }
    if (this.pos > this.end) throw new NotFastPath('read past the end');
  }

  /** A length-delimited UTF-8 string. */
  string(): string {
    const start = this.range();
    if (this.pos - start <= SHORT_STRING) return shortString(this.buf, start, this.pos);
    return this.buf.toString('utf8', start, this.pos);
  }

  /** Length-delimited bytes, sharing memory with the message. */
  bytes(): Buffer {
    const start = this.range();
    return this.buf.subarray(start, this.pos);
  }

  /**
   * Enters the embedded message at the reader's position: the reader then reads it alone, until
   * {@link WireReader.leave} with the returned end of the enclosing message. Unlike {@link WireReader.message},
   * no reader is made.
   */
  enter(): number {
    const start = this.range();
    const outer = this.end;
    this.end = this.pos;
    this.pos = start;
    return outer;
  }

  /** Leaves the message entered last: the reader goes on after it, in the message that enclosed it. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /** A reader of an embedded message (or a packed field); moves past it. */
  message(): WireReader {
    const start = this.range();
    return new WireReader(this.buf, start, this.pos);
  }
}

/**
 * A request message that is not well-formed protobuf, handed to the RPC in place of its decoded object so
 * that the call is answered INVALID_ARGUMENT naming the problem (a deserializer that throws makes grpc-js
 * answer INTERNAL).
 */
export class MalformedMessage {
  /** What is wrong, e.g. `field 1 declares 5 bytes but 3 remain`. */
  readonly problem: string;

  constructor(problem: string) {
    this.problem = problem;
  }
}

/** The value and end of the varint at `pos`, or undefined when it is cut short or longer than ten bytes. */
function readVarint(buf: Uint8Array, pos: number): { value: number; end: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10 && pos + i < buf.length; i++) {
    const byte = buf[pos + i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, end: pos + i + 1 };
    scale *= 0x80;
  }
  return undefined;
}

/**
 * What makes `buf` not a well-formed protobuf message at its top level, or undefined when it is well formed:
 * a varint or fixed-size value cut short, a length-delimited value longer than what is left, field number 0,
 * or a wire type these protocols never use (groups, 6, 7). A message cut anywhere fails here, since the
 * top-level field holding the cut then runs past the end. (protobufjs reads a string cut short as the bytes
 * that are there: `0a05696465` decodes to name "ide".)
 */
export function wireFormatProblem(buf: Uint8Array): string | undefined {
  let pos = 0;
  while (pos < buf.length) {
    const key = readVarint(buf, pos);
    if (key === undefined) return `the field key at byte ${pos} is cut short`;
    const field = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    if (field === 0) return `field number 0 at byte ${pos}`;
    pos = key.end;
    if (wireType === WIRE_VARINT) {
      const value = readVarint(buf, pos);
      if (value === undefined) return `the varint of field ${field} is cut short`;
      pos = value.end;
    } else if (wireType === WIRE_I64 || wireType === WIRE_I32) {
      const size = wireType === WIRE_I64 ? 8 : 4;
      if (pos + size > buf.length) return `field ${field} needs ${size} bytes but ${buf.length - pos} remain`;
      pos += size;
    } else if (wireType === WIRE_LEN) {
      const length = readVarint(buf, pos);
      if (length === undefined) return `the length of field ${field} is cut short`;
      pos = length.end;
      if (length.value > buf.length - pos) {
        return `field ${field} declares ${length.value} bytes but ${buf.length - pos} remain`;
      }
      pos += length.value;
    } else {
      return `field ${field} has wire type ${wireType}, which these messages do not use`;
    }
  }
  return undefined;
}
