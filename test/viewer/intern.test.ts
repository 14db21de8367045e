/**
 * The decoders' tables of values by their bytes (viewer/otlp/intern.ts): a value is found only by exactly the
 * bytes it was held with, wherever those bytes sit in a buffer; a collision replaces the slot's value; bytes longer
 * than the table's width are never held; and strings found by their bytes are the shared (interned) ones.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BytesTable, internBytes } from '../../src/viewer/otlp/intern.ts';

describe('BytesTable', () => {
  test('finds a value by equal bytes anywhere, and not by other bytes of the same slot', () => {
    const table = new BytesTable<string>(1, 8); // one slot: every key collides
    const buf = Buffer.from('xxabcdyyabcdabce');
    const slot = table.slot(buf, 2, 6);
    assert.equal(slot, 0);
    assert.equal(table.get(slot, buf, 2, 6), undefined);
    table.set(slot, buf, 2, 6, 'abcd');
    assert.equal(table.get(slot, buf, 8, 12), 'abcd'); // the same bytes elsewhere
    assert.equal(table.get(slot, buf, 12, 16), undefined); // same length, one byte differs
    assert.equal(table.get(slot, buf, 2, 5), undefined); // a prefix
    table.set(slot, buf, 12, 16, 'abce');
    assert.equal(table.get(slot, buf, 2, 6), undefined, 'replaced by the collision');
    assert.equal(table.get(slot, buf, 12, 16), 'abce');
  });

  test('bytes longer than its width are never held', () => {
    const table = new BytesTable<number>(4, 3);
    const buf = Buffer.from('abcd');
    const slot = table.slot(buf, 0, 4);
    table.set(slot, buf, 0, 4, 1);
    assert.equal(table.get(slot, buf, 0, 4), undefined);
  });

  test('spreads keys over its slots', () => {
    const table = new BytesTable<number>(256, 16);
    const slots = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const buf = Buffer.from(`key-${i}`);
      slots.add(table.slot(buf, 0, buf.length));
    }
    assert.ok(slots.size > 200, `${slots.size} slots used of 256`);
  });
});

describe('internBytes', () => {
  test('gives equal strings for equal bytes, decoding UTF-8, and the empty string for no bytes', () => {
    const buf = Buffer.from('héllo|héllo|');
    const first = internBytes(buf, 0, 6);
    assert.equal(first, 'héllo');
    assert.equal(internBytes(buf, 7, 13), 'héllo');
    assert.equal(internBytes(buf, 3, 3), '');
    const long = Buffer.from('x'.repeat(200));
    assert.equal(internBytes(long, 0, 200), 'x'.repeat(200));
  });
});
