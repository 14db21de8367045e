/**
 * The behaviour every TraceStore shares (trace-store.ts), written once and run against each store: grouping,
 * services and operations, the search matching rules, duration ranks, listeners, and the span and byte bounds
 * (whole oldest traces evicted, counted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeOtlpJson } from '../../src/viewer/otlp/decode-json.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';
import type { TraceQuery, TraceStore } from '../../src/viewer/store/trace-store.ts';

export const BASE_NS = 1_767_225_600_000_000_000n;
export const BASE_US = Number(BASE_NS / 1000n);

/** A made-up span: ids are small numbers, times are µs after BASE_NS. */
export interface SpanSpec {
  trace: number;
  span: number;
  parent?: number;
  service?: string;
  name?: string;
  kind?: number;
  startUs?: number;
  durationUs?: number;
  error?: boolean;
  attributes?: Record<string, string | number | boolean>;
  resource?: Record<string, string>;
  scope?: Record<string, string>;
  event?: Record<string, string>;
  link?: Record<string, string>;
}

export const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

/** Spans decoded from OTLP/JSON, as a receiver hands them to a store. */
export function spans(...specs: SpanSpec[]): SpanRecord[] {
  const attributes = (values: Record<string, string | number | boolean> = {}) =>
    Object.entries(values).map(([key, value]) => ({
      key,
      value:
        typeof value === 'string'
          ? { stringValue: value }
          : typeof value === 'boolean'
            ? { boolValue: value }
            : { intValue: String(value) },
    }));
  return decodeOtlpJson({
    resourceSpans: specs.map((s) => ({
      resource: { attributes: attributes({ 'service.name': s.service ?? 'svc', ...s.resource }) },
      scopeSpans: [
        {
          scope: { name: 'contract', attributes: attributes(s.scope) },
          spans: [
            {
              traceId: hex(s.trace, 32),
              spanId: hex(s.span, 16),
              parentSpanId: s.parent === undefined ? '' : hex(s.parent, 16),
              name: s.name ?? 'op',
              kind: s.kind ?? 2,
              startTimeUnixNano: String(BASE_NS + BigInt(s.startUs ?? 0) * 1000n),
              endTimeUnixNano: String(BASE_NS + BigInt((s.startUs ?? 0) + (s.durationUs ?? 10)) * 1000n),
              attributes: attributes(s.attributes),
              events: s.event ? [{ timeUnixNano: String(BASE_NS), name: 'ev', attributes: attributes(s.event) }] : [],
              links: s.link ? [{ traceId: hex(999, 32), spanId: hex(999, 16), attributes: attributes(s.link) }] : [],
              status: { code: s.error ? 2 : 0 },
            },
          ],
        },
      ],
    })),
  }).spans;
}

/** The short ids of the traces found, in order. */
export const ids = (traces: SpanRecord[][]): string[] => traces.map((t) => t[0]!.traceId.replace(/^0+/, ''));

/** Makes a fresh store with these bounds. */
export type MakeStore = (bounds: { maxSpans?: number; maxBytes?: number }) => TraceStore;

/** Runs the shared behaviour tests against the stores `make` creates. */
export function storeContract(name: string, make: MakeStore): void {
  describe(`${name}: the TraceStore contract`, () => {
    test('groups spans by trace id across adds; a trace by id in short or long form; spans keep their content', () => {
      const store = make({});
      try {
        store.add(spans({ trace: 1, span: 1 }, { trace: 2, span: 2 }));
        store.add(
          spans({
            trace: 1,
            span: 3,
            parent: 1,
            attributes: { big: 12, ok: true },
            event: { e: 'v' },
            link: { l: 'w' },
          }),
        );
        const one = store.trace(hex(1, 32))!;
        assert.deepEqual(
          one.map((span) => span.spanId),
          [hex(1, 16), hex(3, 16)],
        );
        assert.deepEqual(store.trace('1'), one);
        assert.equal(store.trace(hex(7, 32)), undefined);
        const original = spans({
          trace: 1,
          span: 3,
          parent: 1,
          attributes: { big: 12, ok: true },
          event: { e: 'v' },
          link: { l: 'w' },
        })[0]!;
        assert.deepEqual(one[1], original);
        assert.deepEqual(store.stats().spans, 3);
        assert.deepEqual(store.stats().traces, 2);
      } finally {
        store.close();
      }
    });

    test('services and operations with their kinds, sorted', () => {
      const store = make({});
      try {
        store.add(
          spans(
            { trace: 1, span: 1, service: 'b', name: 'y', kind: 3 },
            { trace: 1, span: 2, service: 'b', name: 'x' },
            { trace: 2, span: 3, service: 'a', name: 'y', kind: 2 },
            { trace: 2, span: 4, service: 'b', name: 'y', kind: 2 },
          ),
        );
        assert.deepEqual(store.services(), ['a', 'b']);
        assert.deepEqual(store.operations('b'), [
          { name: 'x', kind: 2 },
          { name: 'y', kind: 2 },
          { name: 'y', kind: 3 },
        ]);
        assert.deepEqual(store.operations('nobody'), []);
      } finally {
        store.close();
      }
    });

    test('search: one span must meet every filter; newest first by the latest matching span; limit', () => {
      const store = make({});
      try {
        store.add(
          spans(
            {
              trace: 1,
              span: 1,
              service: 'front',
              name: 'GET',
              startUs: 100,
              durationUs: 50,
              attributes: { 'http.status_code': 500 },
            },
            {
              trace: 1,
              span: 2,
              service: 'model',
              name: 'infer',
              startUs: 110,
              durationUs: 30,
              error: true,
              attributes: { 'model.name': 'm' },
            },
            {
              trace: 2,
              span: 3,
              service: 'front',
              name: 'GET',
              startUs: 300,
              durationUs: 5,
              resource: { region: 'eu' },
            },
            {
              trace: 3,
              span: 4,
              service: 'front',
              name: 'POST',
              startUs: 200,
              durationUs: 500,
              kind: 3,
              event: { 'batch.size': '4' },
              scope: { lib: 'x' },
              link: { why: 'retry' },
            },
          ),
        );
        const q = (query: TraceQuery) => ids(store.search(query));
        assert.deepEqual(q({ limit: 10 }), ['2', '3', '1']);
        assert.deepEqual(q({ service: 'front', limit: 10 }), ['2', '3', '1']);
        assert.deepEqual(q({ service: 'front', limit: 2 }), ['2', '3']);
        assert.deepEqual(q({ service: 'front', operation: 'GET', limit: 10 }), ['2', '1']);
        assert.deepEqual(q({ operation: 'infer', limit: 10 }), ['1']);
        assert.deepEqual(q({ service: 'front', minDurationUs: 40, limit: 10 }), ['3', '1']);
        assert.deepEqual(q({ service: 'front', minDurationUs: 40, maxDurationUs: 100, limit: 10 }), ['1']);
        assert.deepEqual(q({ service: 'front', minDurationUs: 50, maxDurationUs: 50, limit: 10 }), ['1']);
        assert.deepEqual(q({ startMinUs: BASE_US + 150, startMaxUs: BASE_US + 250, limit: 10 }), ['3']);
        assert.deepEqual(q({ startMinUs: BASE_US + 300, startMaxUs: BASE_US + 300, limit: 10 }), ['2']);
        assert.deepEqual(q({ tags: [['http.status_code', '500']], limit: 10 }), ['1']);
        // The tag and the service are on different spans: no single span meets both.
        assert.deepEqual(q({ service: 'model', tags: [['http.status_code', '500']], limit: 10 }), []);
        assert.deepEqual(q({ tags: [['error', 'true']], limit: 10 }), ['1']);
        assert.deepEqual(q({ service: 'front', tags: [['error', 'false']], limit: 10 }), ['2', '3', '1']);
        assert.deepEqual(q({ tags: [['span.kind', 'client']], limit: 10 }), ['3']);
        assert.deepEqual(q({ spanKind: 3, limit: 10 }), ['3']);
        assert.deepEqual(q({ tags: [['region', 'eu']], limit: 10 }), ['2']);
        assert.deepEqual(q({ tags: [['batch.size', '4']], limit: 10 }), ['3']);
        assert.deepEqual(q({ tags: [['lib', 'x']], limit: 10 }), ['3']);
        assert.deepEqual(q({ tags: [['why', 'retry']], limit: 10 }), ['3']);
        assert.deepEqual(
          q({
            tags: [
              ['model.name', 'm'],
              ['error', 'true'],
            ],
            limit: 10,
          }),
          ['1'],
        );
        assert.deepEqual(
          q({
            tags: [
              ['model.name', 'm'],
              ['error', 'false'],
            ],
            limit: 10,
          }),
          [],
        );
        assert.deepEqual(q({ service: 'nobody', limit: 10 }), []);
        assert.deepEqual(q({ service: 'front', limit: 0 }), []);
        // A trace comes back whole, with the spans that did not match too.
        assert.equal(store.search({ service: 'model', limit: 10 })[0]!.length, 2);
      } finally {
        store.close();
      }
    });

    test('rankDuration ranks among the spans of the same service and operation', () => {
      const store = make({});
      try {
        store.add(
          spans(...[10, 20, 30, 40].map((d, i) => ({ trace: i + 1, span: i + 1, name: 'infer', durationUs: d })), {
            trace: 9,
            span: 9,
            name: 'other',
            durationUs: 1,
          }),
        );
        assert.deepEqual(store.rankDuration('svc', 'infer', 30), { percentile: 75, count: 4 });
        assert.deepEqual(store.rankDuration('svc', 'infer', 5), { percentile: 0, count: 4 });
        assert.deepEqual(store.rankDuration('svc', 'infer', 40), { percentile: 100, count: 4 });
        assert.deepEqual(store.rankDuration('svc', 'none', 5), { percentile: 0, count: 0 });
      } finally {
        store.close();
      }
    });

    test('listeners hear each trace id added; a failing listener does not stop the others; unsubscribe', () => {
      const store = make({});
      try {
        const heard: string[] = [];
        store.subscribe(() => {
          throw new Error('listener bug');
        });
        const off = store.subscribe((id) => heard.push(id));
        store.add(spans({ trace: 1, span: 1 }, { trace: 2, span: 2 }, { trace: 1, span: 3 }));
        off();
        store.add(spans({ trace: 3, span: 4 }));
        assert.deepEqual(heard, [hex(1, 32), hex(2, 32)]);
      } finally {
        store.close();
      }
    });

    test('past the span budget, whole oldest traces are evicted and counted; the indexes forget them', () => {
      const store = make({ maxSpans: 10 });
      try {
        for (let t = 1; t <= 6; t++) {
          store.add(
            spans(
              ...[1, 2, 3].map((s) => ({
                trace: t,
                span: t * 10 + s,
                service: t === 1 ? 'first' : 'svc',
                name: t === 1 ? 'gone' : 'op',
              })),
            ),
          );
        }
        const stats = store.stats();
        assert.deepEqual(
          [stats.spans, stats.traces, stats.evictedTraces, stats.evictedSpans, stats.maxSpans],
          [9, 3, 3, 9, 10],
        );
        assert.equal(store.trace(hex(1, 32)), undefined);
        assert.equal(store.trace(hex(3, 32)), undefined);
        assert.equal(store.trace(hex(4, 32))!.length, 3);
        assert.deepEqual(store.services(), ['svc']);
        assert.deepEqual(store.operations('first'), []);
        assert.deepEqual(store.rankDuration('first', 'gone', 100), { percentile: 0, count: 0 });
        assert.deepEqual(ids(store.search({ limit: 100 })).sort(), ['4', '5', '6']);
        // A late span of a stored trace joins it; the trace keeps its place in the eviction order.
        store.add(spans({ trace: 4, span: 98 }, { trace: 4, span: 99 }));
        assert.equal(store.stats().evictedTraces, 4);
        assert.equal(store.stats().spans, 6);
        assert.equal(store.trace(hex(4, 32)), undefined);
      } finally {
        store.close();
      }
    });

    test('past the byte budget, oldest traces are evicted and counted', () => {
      const probe = make({});
      probe.add(spans({ trace: 1, span: 1 }));
      const perTrace = probe.stats().bytes;
      probe.close();
      assert.ok(perTrace > 0);
      const store = make({ maxBytes: perTrace * 4 + 1 });
      try {
        for (let t = 1; t <= 10; t++) store.add(spans({ trace: t, span: t }));
        const stats = store.stats();
        assert.deepEqual([stats.traces, stats.bytes, stats.evictedTraces, stats.evictedSpans], [4, perTrace * 4, 6, 6]);
        assert.deepEqual(ids(store.search({ limit: 100 })).sort(), ['7', '8', '9', 'a']);
      } finally {
        store.close();
      }
    });
  });
}
