/**
 * How the memory store keeps spans (store/span-table.ts): in columns, and given back equal, field by field, for
 * every kind of event list, time and id (those the columns cannot hold exactly kept whole); slots reused after
 * they are freed, the events' time pool compacted without losing a time; and the protobuf decoder's attributes
 * shared by their bytes, with values that can change never shared.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../src/wire/proto-writer.ts';
import { decodeOtlpProtobuf } from '../../src/viewer/otlp/decode-protobuf.ts';
import { NONE } from '../../src/viewer/otlp/intern.ts';
import type { EventRecord, SpanRecord } from '../../src/viewer/span-record.ts';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import { SpanTable } from '../../src/viewer/store/span-table.ts';
import { BASE_NS, spans } from './store-contract.ts';

const event = (ns: bigint, name: string, attributes: EventRecord['attributes'] = NONE): EventRecord => ({
  timeUnixNano: ns,
  name,
  attributes,
});

function withEvents(events: EventRecord[], end = BASE_NS + 10_000n): SpanRecord {
  return { ...spans({ trace: 1, span: 1 })[0]!, events, endTimeUnixNano: end };
}

const span = (fields: Partial<SpanRecord>): SpanRecord => ({ ...spans({ trace: 1, span: 1 })[0]!, ...fields });

describe('SpanTable', () => {
  const cases: [string, SpanRecord][] = [
    ['no events', withEvents([])],
    ['timestamp events, one before the start', withEvents([event(BASE_NS - 5n, 'a'), event(BASE_NS + 7n, 'b')])],
    ['an event with attributes', withEvents([event(BASE_NS + 1n, 'a', [{ key: 'k', value: 'v' }])])],
    ['an event 2^60 ns after the start', withEvents([event(BASE_NS + 2n ** 60n, 'late')])],
    ['a duration of 2^60 ns', withEvents([event(BASE_NS, 'a')], BASE_NS + 2n ** 60n + 3n)],
    ['an end before the start', withEvents([], BASE_NS - 1n)],
    ['a parent', span({ spanId: 'ffffffff00000001', parentSpanId: '8000000000000000' })],
    ['an id of all zeros', span({ spanId: '0000000000000000' })],
    ['a parent id of all zeros', span({ parentSpanId: '0000000000000000' })],
    ['an id in capitals', span({ spanId: 'ABCDEF0123456789' })],
    ['an id of 4 bytes', span({ spanId: '01020304', parentSpanId: 'ff' })],
    ['a start before 1970', span({ startTimeUnixNano: -5n, endTimeUnixNano: 5n })],
    ['a start past 2^64 ns', span({ startTimeUnixNano: 2n ** 64n, endTimeUnixNano: 2n ** 64n + 1n })],
    ['a kind and status past 255, flags past 2^32', span({ kind: 300, statusCode: 256, flags: 2 ** 33 })],
    [
      'links without attributes (kept in columns)',
      span({
        links: [
          { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: 'x=y', attributes: NONE },
          { traceId: '01'.repeat(16), spanId: 'ffffffffffffffff', traceState: '', attributes: NONE },
        ],
      }),
    ],
    [
      'a link with a span id of 4 bytes',
      span({ links: [{ traceId: 'ab'.repeat(16), spanId: '01020304', traceState: '', attributes: NONE }] }),
    ],
    [
      'a trace state, status message and link with attributes',
      span({
        traceState: 'a=b',
        statusMessage: 'why',
        links: [
          { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceState: '', attributes: [{ key: 'k', value: 1n }] },
        ],
      }),
    ],
  ];
  for (const [name, record] of cases) {
    test(`gives back the record it kept: ${name}`, () => {
      const table = new SpanTable();
      table.add(span({ spanId: '0000000000000009' }));
      const slot = table.add(record);
      assert.deepStrictEqual(table.record(slot, record.traceId), record);
      assert.equal(table.kind(slot), record.kind);
      assert.equal(table.statusCode(slot), record.statusCode);
    });
  }

  test('only events that came with attributes or unexact times are kept whole (what a tag search reads)', () => {
    const table = new SpanTable();
    assert.equal(table.wholeEvents(table.add(cases[1]![1])).length, 0);
    assert.equal(table.wholeEvents(table.add(cases[2]![1])).length, 1);
    assert.equal(table.wholeEvents(table.add(cases[3]![1])).length, 1);
  });

  test('links without attributes are kept in columns; a search reads only those kept whole', () => {
    const table = new SpanTable();
    const link = { traceId: 'ef'.repeat(16), spanId: '00000000000000aa', traceState: '', attributes: NONE };
    assert.equal(table.wholeLinks(table.add(span({ links: [link] }))).length, 0);
    const withAttributes = { ...link, attributes: [{ key: 'k', value: 'v' }] };
    assert.equal(table.wholeLinks(table.add(span({ links: [link, withAttributes] }))).length, 2);
  });

  test('spans of one operation share their event names and, when equal, their attribute list', () => {
    const table = new SpanTable();
    const attributes = [{ key: 'k', value: 'v' }];
    const a = table.add({ ...withEvents([event(BASE_NS + 1n, 'x'), event(BASE_NS + 2n, 'y')]), attributes });
    const b = table.add({
      ...withEvents([event(BASE_NS + 3n, 'x'), event(BASE_NS + 4n, 'y')]),
      attributes: [attributes[0]!],
    });
    const c = table.add({ ...withEvents([]), attributes: [{ key: 'k', value: 'v' }] });
    const [ra, rb, rc] = [a, b, c].map((slot) => table.record(slot, '1'));
    assert.equal(ra!.attributes, rb!.attributes);
    assert.notEqual(rb!.attributes, rc!.attributes);
    assert.equal(ra!.events[0]!.name, rb!.events[0]!.name);
    assert.deepEqual(
      rb!.events.map((e) => [e.name, e.timeUnixNano - BASE_NS]),
      [
        ['x', 3n],
        ['y', 4n],
      ],
    );
  });

  test('freed slots are reused, and the pools of event times and links are compacted without losing one', () => {
    const table = new SpanTable();
    const linkTo = (i: number) => ({
      traceId: i.toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      traceState: '',
      attributes: NONE,
    });
    const record = (i: number): SpanRecord => ({
      ...withEvents([event(BASE_NS + BigInt(i), 'a'), event(BASE_NS + BigInt(2 * i), 'b')], BASE_NS + 1_000_000n),
      links: i % 3 === 0 ? [] : [linkTo(i), linkTo(i + 7)].slice(0, 1 + (i % 2)),
    });
    const live = new Map<number, number>();
    // Far more events than the pool's first size, most of them freed as they would be by eviction (oldest first).
    for (let i = 0; i < 20_000; i++) {
      live.set(table.add(record(i)), i);
      if (live.size > 300) {
        const [oldest] = live.keys();
        table.free(oldest!);
        live.delete(oldest!);
      }
    }
    const slots = [...live.keys()];
    assert.ok(Math.max(...slots) < 1024, `slots reused (highest ${Math.max(...slots)})`);
    for (const [slot, i] of live) assert.deepStrictEqual(table.record(slot, record(i).traceId), record(i));
  });

  test('ids stay right in a stored trace whose children came first', () => {
    const store = new MemoryStore();
    store.add(spans({ trace: 5, span: 2, parent: 1 }, { trace: 5, span: 1 }, { trace: 5, span: 3, parent: 1 }));
    const trace = store.trace('5')!;
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    assert.deepEqual([...byId.keys()].sort(), ['0000000000000001', '0000000000000002', '0000000000000003']);
    for (const s of trace) if (s.parentSpanId !== '') assert.ok(byId.has(s.parentSpanId));
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
