/**
 * The memory trace store: grouping, the matching rules of the TraceStore contract, operations, duration ranks,
 * listeners, and its bounds (eviction of whole oldest traces, counted).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeOtlpJson } from '../../src/viewer/otlp/decode-json.ts';
import { MemoryStore, estimateSpanBytes } from '../../src/viewer/store/memory-store.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';

const BASE_NS = 1_767_225_600_000_000_000n;

interface SpanSpec {
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
  event?: Record<string, string>;
}

const hex = (n: number, digits: number): string => n.toString(16).padStart(digits, '0');

/** Spans decoded from OTLP/JSON, as the receiver hands them to the store. */
function spans(...specs: SpanSpec[]): SpanRecord[] {
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
              status: { code: s.error ? 2 : 0 },
            },
          ],
        },
      ],
    })),
  }).spans;
}

const BASE_US = Number(BASE_NS / 1000n);
const ids = (traces: SpanRecord[][]): string[] => traces.map((t) => t[0]!.traceId.replace(/^0+/, ''));

describe('MemoryStore', () => {
  test('groups spans by trace id, across adds, and returns a trace by id (short or long form)', () => {
    const store = new MemoryStore();
    store.add(spans({ trace: 1, span: 1 }, { trace: 2, span: 2 }));
    store.add(spans({ trace: 1, span: 3, parent: 1 }));
    assert.deepEqual(
      store.trace(hex(1, 32))!.map((s) => s.spanId),
      [hex(1, 16), hex(3, 16)],
    );
    assert.deepEqual(store.trace('1')!.length, 2);
    assert.equal(store.trace(hex(9, 32)), undefined);
    assert.deepEqual(
      { ...store.stats(), bytes: 0 },
      {
        spans: 3,
        traces: 2,
        bytes: 0,
        maxSpans: 500_000,
        maxBytes: 256 * 1024 * 1024,
        evictedTraces: 0,
        evictedSpans: 0,
      },
    );
  });

  test('services and operations with their kinds, sorted', () => {
    const store = new MemoryStore();
    store.add(
      spans(
        { trace: 1, span: 1, service: 'b', name: 'y', kind: 3 },
        { trace: 1, span: 2, service: 'b', name: 'x', kind: 2 },
        { trace: 2, span: 3, service: 'a', name: 'y', kind: 2 },
        { trace: 3, span: 4, service: 'b', name: 'y', kind: 2 },
      ),
    );
    assert.deepEqual(store.services(), ['a', 'b']);
    assert.deepEqual(store.operations('b'), [
      { name: 'x', kind: 2 },
      { name: 'y', kind: 2 },
      { name: 'y', kind: 3 },
    ]);
    assert.deepEqual(store.operations('nope'), []);
  });

  test('search: one span must meet every filter; newest first by the latest matching span; limit', () => {
    const store = new MemoryStore();
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
        { trace: 2, span: 3, service: 'front', name: 'GET', startUs: 300, durationUs: 5, resource: { region: 'eu' } },
        {
          trace: 3,
          span: 4,
          service: 'front',
          name: 'POST',
          startUs: 200,
          durationUs: 500,
          kind: 3,
          event: { 'batch.size': '4' },
        },
      ),
    );
    const q = (query: Parameters<MemoryStore['search']>[0]) => ids(store.search(query));
    assert.deepEqual(q({ limit: 10 }), ['2', '3', '1']);
    assert.deepEqual(q({ service: 'front', limit: 10 }), ['2', '3', '1']);
    assert.deepEqual(q({ service: 'front', limit: 2 }), ['2', '3']);
    assert.deepEqual(q({ service: 'front', operation: 'GET', limit: 10 }), ['2', '1']);
    assert.deepEqual(q({ operation: 'infer', limit: 10 }), ['1']);
    assert.deepEqual(q({ service: 'front', minDurationUs: 40, limit: 10 }), ['3', '1']);
    assert.deepEqual(q({ service: 'front', minDurationUs: 40, maxDurationUs: 100, limit: 10 }), ['1']);
    assert.deepEqual(q({ startMinUs: BASE_US + 150, startMaxUs: BASE_US + 250, limit: 10 }), ['3']);
    assert.deepEqual(q({ tags: [['http.status_code', '500']], limit: 10 }), ['1']);
    // The tag and the service are on different spans: no single span meets both.
    assert.deepEqual(q({ service: 'model', tags: [['http.status_code', '500']], limit: 10 }), []);
    assert.deepEqual(q({ tags: [['error', 'true']], limit: 10 }), ['1']);
    assert.deepEqual(q({ service: 'front', tags: [['error', 'false']], limit: 10 }), ['2', '3', '1']);
    assert.deepEqual(q({ tags: [['span.kind', 'client']], limit: 10 }), ['3']);
    assert.deepEqual(q({ spanKind: 3, limit: 10 }), ['3']);
    assert.deepEqual(q({ tags: [['region', 'eu']], limit: 10 }), ['2']);
    assert.deepEqual(q({ tags: [['batch.size', '4']], limit: 10 }), ['3']);
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
    assert.deepEqual(q({ service: 'nobody', limit: 10 }), []);
    assert.deepEqual(q({ service: 'front', limit: 0 }), []);
  });

  test('rankDuration ranks among the spans of the same service and operation', () => {
    const store = new MemoryStore();
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
    assert.deepEqual(store.rankDuration('svc', 'none', 5), { percentile: 0, count: 0 });
  });

  test('listeners hear each trace id added; a failing listener does not stop the others; unsubscribe', () => {
    const store = new MemoryStore();
    const heard: string[] = [];
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    const off = store.subscribe((id) => heard.push(id));
    store.add(spans({ trace: 1, span: 1 }, { trace: 2, span: 2 }, { trace: 1, span: 3 }));
    off();
    store.add(spans({ trace: 3, span: 4 }));
    assert.deepEqual(heard, [hex(1, 32), hex(2, 32)]);
  });

  test('past the span budget, whole oldest traces are evicted and counted; the indexes forget them', () => {
    const store = new MemoryStore({ maxSpans: 10 });
    for (let t = 1; t <= 6; t++) {
      store.add(spans(...[1, 2, 3].map((s) => ({ trace: t, span: t * 10 + s, service: t === 1 ? 'first' : 'svc' }))));
    }
    const stats = store.stats();
    assert.equal(stats.spans, 9);
    assert.equal(stats.traces, 3);
    assert.equal(stats.evictedTraces, 3);
    assert.equal(stats.evictedSpans, 9);
    assert.equal(store.trace(hex(1, 32)), undefined);
    assert.equal(store.trace(hex(3, 32)), undefined);
    assert.equal(store.trace(hex(4, 32))!.length, 3);
    assert.deepEqual(store.services(), ['svc']);
    assert.deepEqual(ids(store.search({ limit: 100 })).sort(), ['4', '5', '6']);
    // A late span of a stored trace joins it; the trace keeps its place in the eviction order.
    store.add(spans({ trace: 4, span: 98 }, { trace: 4, span: 99 }));
    assert.equal(store.stats().evictedTraces, 4);
    assert.equal(store.stats().spans, 6);
    assert.equal(store.trace(hex(4, 32)), undefined);
  });

  test('past the byte budget, oldest traces are evicted', () => {
    const one = spans({ trace: 1, span: 1 })[0]!;
    const perSpan = estimateSpanBytes(one);
    const store = new MemoryStore({ maxBytes: perSpan * 4 + 1 });
    for (let t = 1; t <= 10; t++) store.add(spans({ trace: t, span: t }));
    const stats = store.stats();
    assert.equal(stats.traces, 4);
    assert.equal(stats.bytes, perSpan * 4);
    assert.equal(stats.evictedTraces, 6);
    assert.deepEqual(ids(store.search({ limit: 100 })).sort(), ['7', '8', '9', 'a']);
  });
});

describe('MemoryStore against a plain reading of the contract', () => {
  /** A small deterministic generator. */
  function random(seed: number): () => number {
    return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  }

  /** The contract, read plainly: every stored trace, every span, every filter. */
  function reference(all: SpanRecord[], evicted: Set<string>, query: Parameters<MemoryStore['search']>[0]): string[] {
    const byTrace = new Map<string, SpanRecord[]>();
    for (const span of all)
      if (!evicted.has(span.traceId))
        (byTrace.get(span.traceId) ?? byTrace.set(span.traceId, []).get(span.traceId)!).push(span);
    const text = (value: unknown) => (typeof value === 'string' ? value : String(value));
    const has = (attributes: readonly { key: string; value: unknown }[], key: string, value: string) =>
      attributes.some((a) => a.key === key && text(a.value) === value);
    const kinds: Record<string, number> = { server: 2, client: 3 };
    const matches = (span: SpanRecord) => {
      const startUs = Number(span.startTimeUnixNano) / 1000;
      const durationUs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1000;
      if (query.service && span.resource.serviceName !== query.service) return false;
      if (query.operation && span.name !== query.operation) return false;
      if (query.startMinUs !== undefined && startUs < query.startMinUs) return false;
      if (query.startMaxUs !== undefined && startUs > query.startMaxUs) return false;
      if (query.minDurationUs !== undefined && durationUs < query.minDurationUs) return false;
      if (query.maxDurationUs !== undefined && durationUs > query.maxDurationUs) return false;
      for (const [key, value] of query.tags ?? []) {
        if (key === 'error') {
          if ((span.statusCode === 2) !== (value === 'true')) return false;
        } else if (key === 'span.kind') {
          if (span.kind !== kinds[value]) return false;
        } else if (
          !has(span.attributes, key, value) &&
          !has(span.resource.attributes, key, value) &&
          !span.events.some((e) => has(e.attributes, key, value))
        ) {
          return false;
        }
      }
      return true;
    };
    const found: [string, number][] = [];
    for (const [id, spans] of byTrace) {
      const starts = spans.filter(matches).map((s) => Number(s.startTimeUnixNano) / 1000);
      if (starts.length > 0) found.push([id, Math.max(...starts)]);
    }
    found.sort((a, b) => b[1] - a[1]);
    return found.slice(0, query.limit).map(([id]) => id);
  }

  test('random spans, late spans, evictions and queries: the same traces in the same order', () => {
    const next = random(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const store = new MemoryStore({ maxSpans: 400 });
    const all: SpanRecord[] = [];
    const evicted = new Set<string>();
    const arrived: string[] = [];
    let spanId = 1;
    for (let round = 0; round < 300; round++) {
      const trace = round > 20 && next() < 0.2 ? Math.max(1, round - Math.floor(next() * 20)) : round + 1;
      const batch = spans(
        ...Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
          trace,
          span: spanId++,
          service: pick(['a', 'b', 'c']),
          name: pick(['get', 'put', 'infer']),
          kind: pick([2, 3]),
          // Start times are not in arrival order.
          startUs: Math.floor(next() * 100_000),
          durationUs: Math.floor(next() * 1000),
          error: next() < 0.1,
          attributes: { 'model.name': pick(['m1', 'm2', 'm3']), size: Math.floor(next() * 4) },
          resource: { region: pick(['eu', 'us']) },
          event: next() < 0.3 ? { 'batch.size': pick(['1', '2']) } : undefined,
        })),
      );
      const id = batch[0]!.traceId;
      if (!arrived.includes(id)) arrived.push(id);
      store.add(batch);
      all.push(...batch);
      // Evictions take whole traces, oldest by first arrival: replay them from the counters.
      while (evicted.size < store.stats().evictedTraces) {
        const oldest = arrived.find((t) => !evicted.has(t))!;
        evicted.add(oldest);
        for (let i = all.length - 1; i >= 0; i--) if (all[i]!.traceId === oldest) all.splice(i, 1);
        arrived.splice(arrived.indexOf(oldest), 1);
      }
      if (round % 10 !== 9) continue;
      for (let q = 0; q < 20; q++) {
        const query = {
          service: next() < 0.7 ? pick(['a', 'b', 'c', 'd']) : undefined,
          operation: next() < 0.4 ? pick(['get', 'put', 'infer']) : undefined,
          startMinUs: next() < 0.3 ? BASE_US + Math.floor(next() * 50_000) : undefined,
          startMaxUs: next() < 0.3 ? BASE_US + 50_000 + Math.floor(next() * 50_000) : undefined,
          minDurationUs: next() < 0.3 ? Math.floor(next() * 500) : undefined,
          maxDurationUs: next() < 0.2 ? 500 + Math.floor(next() * 500) : undefined,
          tags:
            next() < 0.5
              ? [
                  pick<[string, string]>([
                    ['model.name', 'm1'],
                    ['size', '2'],
                    ['region', 'eu'],
                    ['error', 'true'],
                    ['span.kind', 'client'],
                    ['batch.size', '2'],
                    ['model.name', 'nope'],
                  ]),
                ]
              : undefined,
          limit: pick([1, 3, 20]),
        };
        assert.deepEqual(
          ids(store.search(query)),
          reference(all, evicted, query).map((id) => id.replace(/^0+/, '')),
          JSON.stringify(query),
        );
      }
      // Exact duration ranks, across additions and evictions.
      for (const [service, name] of [
        ['a', 'get'],
        ['b', 'infer'],
      ] as const) {
        const durations = all
          .filter((s) => s.resource.serviceName === service && s.name === name)
          .map((s) => Number(s.endTimeUnixNano - s.startTimeUnixNano) / 1000);
        const probe = Math.floor(next() * 1000);
        const rank = store.rankDuration(service, name, probe);
        assert.equal(rank.count, durations.length);
        if (durations.length > 0)
          assert.equal(rank.percentile, (100 * durations.filter((d) => d <= probe).length) / durations.length);
      }
    }
    assert.ok(store.stats().evictedTraces > 50);
  });

  test('evictions far from the head of a service list (late spans of old traces) are dropped there too', () => {
    const store = new MemoryStore({ maxSpans: 4000 });
    for (let t = 1; t <= 2000; t++) store.add(spans({ trace: t, span: t, service: 'a', startUs: t }));
    // Service b's spans join the traces newest first, so b's list holds the oldest traces at its end.
    for (let t = 2000; t >= 1; t--) store.add(spans({ trace: t, span: 10_000 + t, service: 'b', startUs: 5000 - t }));
    assert.equal(store.stats().evictedTraces, 0);
    // Each new one-span trace past the bound evicts the oldest (two-span) trace: 1500 new traces evict traces
    // 1..750, which sit at the end of b's list.
    for (let t = 2001; t <= 3500; t++) store.add(spans({ trace: t, span: t, service: 'a', startUs: t }));
    assert.equal(store.stats().evictedTraces, 750);
    const b = store.search({ service: 'b', limit: 2000 });
    assert.equal(b.length, 1250);
    // Newest first by the matching span (b's span of trace 751 started last).
    assert.deepEqual(ids(b.slice(0, 2)), ['2ef', '2f0']);
    assert.deepEqual(store.services(), ['a', 'b']);
    for (let t = 3501; t <= 6100; t++) store.add(spans({ trace: t, span: t, service: 'a', startUs: t }));
    assert.ok(store.stats().evictedTraces >= 2000);
    assert.deepEqual(store.services(), ['a']);
    assert.deepEqual(store.search({ service: 'b', limit: 10 }), []);
  });

  test('duration ranks stay exact past the pending additions and removals', () => {
    const store = new MemoryStore({ maxSpans: 3000 });
    for (let i = 0; i < 10_000; i++)
      store.add(spans({ trace: i + 1, span: i + 1, name: 'infer', durationUs: i % 1000 }));
    const kept = Array.from({ length: 3000 }, (_, k) => (7000 + k) % 1000);
    for (const probe of [0, 1, 499, 500, 998, 999]) {
      assert.deepEqual(store.rankDuration('svc', 'infer', probe), {
        percentile: (100 * kept.filter((d) => d <= probe).length) / 3000,
        count: 3000,
      });
    }
  });
});
