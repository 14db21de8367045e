/**
 * How the memory store keeps spans (store/packed-span.ts): packed and given back equal, field by field, for
 * every kind of event list and time; ids shared within a trace; and the protobuf decoder's attributes shared by
 * their bytes, with values that can change never shared.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../src/wire/proto-writer.ts';
import { decodeOtlpProtobuf } from '../../src/viewer/otlp/decode-protobuf.ts';
import { NONE } from '../../src/viewer/otlp/intern.ts';
import type { EventRecord, SpanRecord } from '../../src/viewer/span-record.ts';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import { PackedSpan } from '../../src/viewer/store/packed-span.ts';
import { BASE_NS, spans } from './store-contract.ts';

const event = (ns: bigint, name: string, attributes: EventRecord['attributes'] = NONE): EventRecord => ({
  timeUnixNano: ns,
  name,
  attributes,
});

function withEvents(events: EventRecord[], end = BASE_NS + 10_000n): SpanRecord {
  return { ...spans({ trace: 1, span: 1 })[0]!, events, endTimeUnixNano: end };
}

describe('PackedSpan', () => {
  const cases: [string, SpanRecord][] = [
    ['no events', withEvents([])],
    ['timestamp events, one before the start', withEvents([event(BASE_NS - 5n, 'a'), event(BASE_NS + 7n, 'b')])],
    ['an event with attributes', withEvents([event(BASE_NS + 1n, 'a', [{ key: 'k', value: 'v' }])])],
    ['an event 2^60 ns after the start', withEvents([event(BASE_NS + 2n ** 60n, 'late')])],
    ['a duration of 2^60 ns', withEvents([event(BASE_NS, 'a')], BASE_NS + 2n ** 60n + 3n)],
    ['an end before the start', withEvents([], BASE_NS - 1n)],
  ];
  for (const [name, record] of cases) {
    test(`gives back the record it packed: ${name}`, () => {
      const packed = new PackedSpan(record);
      assert.deepStrictEqual(packed.unpack(), record);
      assert.equal(packed.endTimeUnixNano, record.endTimeUnixNano);
      assert.equal(packed.eventCount, record.events.length);
    });
  }

  test('only events that came with attributes or unexact times are kept whole (what a tag search reads)', () => {
    assert.equal(new PackedSpan(cases[1]![1]).wholeEvents.length, 0);
    assert.equal(new PackedSpan(cases[2]![1]).wholeEvents.length, 1);
    assert.equal(new PackedSpan(cases[3]![1]).wholeEvents.length, 1);
  });

  test('packed events give back their names and times, span after span of one operation', () => {
    const a = new PackedSpan(cases[1]![1]).events;
    const b = new PackedSpan(withEvents([event(BASE_NS + 1n, 'a'), event(BASE_NS + 2n, 'b')])).events;
    assert.deepEqual(
      b.map((e) => [e.name, e.timeUnixNano - BASE_NS]),
      [
        ['a', 1n],
        ['b', 2n],
      ],
    );
    assert.equal(a[0]!.name, b[0]!.name);
  });

  test('ids stay right when the spans of a stored trace share their id strings', () => {
    const store = new MemoryStore();
    // Children first, as spans end; then the parent and a sibling.
    store.add(spans({ trace: 5, span: 2, parent: 1 }, { trace: 5, span: 1 }, { trace: 5, span: 3, parent: 1 }));
    const trace = store.trace('5')!;
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    assert.deepEqual([...byId.keys()].sort(), ['0000000000000001', '0000000000000002', '0000000000000003']);
    for (const span of trace) if (span.parentSpanId !== '') assert.ok(byId.has(span.parentSpanId));
  });
});

/** An export of `count` spans of one trace, each with the attributes `k=v` (string) and `n=<n>` (int). */
function exportOf(count: number, n: number): Buffer {
  const writer = new ProtoWriter(4096);
  writer.tag(1, WIRE_LEN);
  const resourceSpans = writer.beginLarge();
  writer.tag(2, WIRE_LEN);
  const scopeSpans = writer.beginLarge();
  for (let i = 0; i < count; i++) {
    writer.tag(2, WIRE_LEN);
    const span = writer.beginLarge();
    writer.tag(1, WIRE_LEN);
    writer.bytes(Buffer.alloc(16, 7));
    writer.tag(2, WIRE_LEN);
    writer.bytes(Buffer.alloc(8, i + 1));
    writer.tag(5, WIRE_LEN);
    writer.string('op');
    writer.tag(7, WIRE_I64);
    writer.fixed64Sum(BASE_NS, { low: 0, high: 0 });
    writer.tag(8, WIRE_I64);
    writer.fixed64Sum(BASE_NS + 1000n, { low: 0, high: 0 });
    for (const [key, write] of [
      ['k', () => (writer.tag(1, WIRE_LEN), writer.string('v'))],
      ['n', () => (writer.tag(3, WIRE_VARINT), writer.varint(n))],
      ['list', () => (writer.tag(5, WIRE_LEN), writer.bytes(Buffer.from([0x0a, 0x03, 0x0a, 0x01, 0x78])))],
    ] as const) {
      writer.tag(9, WIRE_LEN);
      const keyValue = writer.begin();
      writer.tag(1, WIRE_LEN);
      writer.string(key);
      writer.tag(2, WIRE_LEN);
      const value = writer.begin();
      write();
      writer.end(value);
      writer.end(keyValue);
    }
    writer.endLarge(span);
  }
  writer.endLarge(scopeSpans);
  writer.endLarge(resourceSpans);
  return Buffer.from(writer.finish());
}

describe('the protobuf decoder shares attributes by their bytes', () => {
  test('equal attributes are one frozen object; a list value is each span its own', () => {
    const [a, b] = decodeOtlpProtobuf(exportOf(2, 300)).spans;
    const [c] = decodeOtlpProtobuf(exportOf(1, 301)).spans;
    assert.deepEqual(
      a!.attributes.map((x) => [x.key, x.value]),
      [
        ['k', 'v'],
        ['n', 300n],
        ['list', { array: ['x'] }],
      ],
    );
    assert.equal(a!.attributes[0], b!.attributes[0]);
    assert.equal(a!.attributes[1], b!.attributes[1]);
    assert.ok(Object.isFrozen(a!.attributes[1]));
    assert.equal(c!.attributes[1]!.value, 301n);
    assert.notEqual(a!.attributes[2], b!.attributes[2]);
    assert.deepEqual(a!.attributes[2], b!.attributes[2]);
  });

  test('ids are written in hex as Buffer writes them', () => {
    const [span] = decodeOtlpProtobuf(exportOf(1, 1)).spans;
    assert.equal(span!.traceId, Buffer.alloc(16, 7).toString('hex'));
    assert.equal(span!.spanId, Buffer.alloc(8, 1).toString('hex'));
  });
});
