/**
 * The varint writer shared by the gRPC and OTLP encoders, read back with protobufjs at every size boundary.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { delimitedSize, putInt64, putVarint, varintSize } from '../../src/wire/varint.ts';

const UNSIGNED = [
  0,
  1,
  127,
  128,
  16_383,
  16_384,
  2 ** 21 - 1,
  2 ** 21,
  2 ** 28,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 35,
  2 ** 53 - 1,
];
const SIGNED = [-1, -128, -(2 ** 31), -(2 ** 32), -(2 ** 53 - 1), 0, 300, 2 ** 53 - 1];

describe('varints', () => {
  it('writes non-negative integers that protobufjs reads back, in varintSize bytes', () => {
    const buf = new Uint8Array(8 * UNSIGNED.length);
    let pos = 0;
    for (const value of UNSIGNED) {
      const next = putVarint(buf, pos, value);
      assert.equal(next - pos, varintSize(value), `size of ${value}`);
      pos = next;
    }
    const reader = protobuf.Reader.create(buf.subarray(0, pos));
    for (const value of UNSIGNED) assert.equal(Number(reader.uint64()), value);
    assert.equal(reader.pos, pos);
  });

  it('writes int64 as two’s complement: ten bytes for a negative value', () => {
    const buf = new Uint8Array(10 * SIGNED.length);
    let pos = 0;
    for (const value of SIGNED) {
      const next = putInt64(buf, pos, value);
      assert.equal(next - pos, value < 0 ? 10 : varintSize(value), `size of ${value}`);
      pos = next;
    }
    const reader = protobuf.Reader.create(buf.subarray(0, pos));
    for (const value of SIGNED) assert.equal(reader.int64().toString(), String(value));
  });

  it('sizes a length-delimited field: tag, length prefix and content', () => {
    assert.equal(delimitedSize(0), 2);
    assert.equal(delimitedSize(127), 129);
    assert.equal(delimitedSize(128), 131);
    assert.equal(delimitedSize(16_384), 16_388);
  });
});
