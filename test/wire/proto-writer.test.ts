import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { int64Size, ProtoWriter, utf8Size } from '../../src/wire/proto-writer.ts';
import { NotFastPath, WireReader } from '../../src/wire/proto-reader.ts';
import { delimitedSize } from '../../src/wire/varint.ts';
import { tag, WIRE_LEN, WIRE_VARINT } from '../../src/wire/wire-types.ts';

describe('ProtoWriter', () => {
  it('writes a message of a computed size into exactly that buffer and hands it on whole', () => {
    const name = 'grüße ✓';
    const payload = new Uint8Array([1, 2, 3]);
    const size =
      delimitedSize(utf8Size(name)) + delimitedSize(payload.byteLength) + delimitedSize(2) + 1 + int64Size(-1);
    const w = ProtoWriter.exact(size);
    w.stringField(tag(1, WIRE_LEN), name, utf8Size(name));
    w.bytesField(tag(2, WIRE_LEN), payload);
    w.delimited(tag(3, WIRE_LEN), 2);
    w.varint(tag(1, WIRE_VARINT));
    w.bool(true);
    w.varint(tag(4, WIRE_VARINT));
    w.int64(-1);
    const bytes = w.finish();
    assert.equal(bytes.byteLength, size);
    assert.equal(w.finish(), bytes, 'the full buffer is given back as it is, not a new view');

    const r = new WireReader(bytes);
    assert.equal(r.smallVarint(), tag(1, WIRE_LEN));
    assert.equal(r.string(), name);
    assert.equal(r.smallVarint(), tag(2, WIRE_LEN));
    assert.deepEqual([...r.bytes()], [1, 2, 3]);
    assert.equal(r.smallVarint(), tag(3, WIRE_LEN));
    const inner = r.message();
    assert.equal(inner.smallVarint(), tag(1, WIRE_VARINT));
    assert.equal(inner.bool(), true);
    assert.equal(r.smallVarint(), tag(4, WIRE_VARINT));
    assert.equal(r.int64String(true), '-1');
    assert.ok(r.done);
  });

  it('writes the same bytes for a field whether its length is measured first or not', () => {
    for (const text of ['', 'ascii', 'é'.repeat(40), 'x'.repeat(300)]) {
      const measured = new ProtoWriter(8);
      measured.stringField(tag(5, WIRE_LEN), text, utf8Size(text));
      const general = new ProtoWriter(8);
      general.tag(5, WIRE_LEN);
      general.string(text);
      assert.deepEqual(measured.finish(), general.finish(), JSON.stringify(text.slice(0, 10)));
    }
  });

  it('grows a writer that was not sized exactly, keeping what it wrote', () => {
    const w = new ProtoWriter(4);
    for (let i = 0; i < 100; i++) w.bytesField(tag(1, WIRE_LEN), new Uint8Array(10).fill(i));
    const bytes = w.finish();
    assert.equal(bytes.byteLength, 100 * 12);
    assert.equal(bytes[1200 - 1], 99);
  });

  it('leaves values it does not size exactly to the general encoder', () => {
    assert.throws(() => int64Size(1.5), NotFastPath);
    assert.throws(() => utf8Size('bad \ud800'), NotFastPath);
  });
});
