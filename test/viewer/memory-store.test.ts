/**
 * The memory trace store beyond the TraceStore contract (store-contract.ts): its defaults, its byte estimate, its
 * search against a plain reading of the contract over random spans, and its indexes under late spans and
 * evictions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';
import { BASE_US, ids, spans } from './store-contract.ts';

// The behaviour every store shares is store-contract.ts's, run against this store by store-contract.test.ts;
// here, what is this store's own.
describe('MemoryStore', () => {
  test('its default bounds, in its stats', () => {
    const store = new MemoryStore();
    store.add(spans({ trace: 1, span: 1 }, { trace: 2, span: 2 }));
    store.add(spans({ trace: 1, span: 3, parent: 1 }));
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

  test('past the byte budget, oldest traces are evicted, spans counted at their estimated size', () => {
    const alone = new MemoryStore();
    alone.add(spans({ trace: 1, span: 1 }));
    const perSpan = alone.stats().bytes;
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
