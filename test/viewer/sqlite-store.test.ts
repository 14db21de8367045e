/**
 * The SQLite store's own behaviour: traces survive a restart (reopened from the same file, with their spans,
 * indexes and counters), and the bounds keep applying to what was stored before the restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { SqliteStore } from '../../src/viewer/store/sqlite-store.ts';
import { BASE_US, hex, ids, spans } from './store-contract.ts';

describe('SqliteStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-triton-sqlite-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('traces survive a restart: spans, services, operations, search, ranks and counts', () => {
    const file = path.join(dir, 'traces.db');
    const first = new SqliteStore({ path: file });
    const stored = spans(
      {
        trace: 1,
        span: 1,
        service: 'front',
        name: 'GET',
        startUs: 100,
        durationUs: 50,
        attributes: { 'http.status_code': 500, ok: true },
      },
      {
        trace: 1,
        span: 2,
        parent: 1,
        service: 'model',
        name: 'infer',
        startUs: 110,
        durationUs: 30,
        error: true,
        event: { 'batch.size': '4' },
      },
      { trace: 2, span: 3, service: 'front', name: 'GET', startUs: 300, durationUs: 5, resource: { region: 'eu' } },
    );
    first.add(stored);
    const before = first.stats();
    first.close();

    const second = new SqliteStore({ path: file });
    try {
      assert.deepEqual(second.stats(), before);
      assert.deepEqual(second.trace(hex(1, 32)), stored.slice(0, 2));
      assert.deepEqual(second.services(), ['front', 'model']);
      assert.deepEqual(second.operations('front'), [{ name: 'GET', kind: 2 }]);
      assert.deepEqual(ids(second.search({ service: 'front', limit: 10 })), ['2', '1']);
      assert.deepEqual(ids(second.search({ tags: [['region', 'eu']], limit: 10 })), ['2']);
      assert.deepEqual(
        ids(
          second.search({
            tags: [
              ['batch.size', '4'],
              ['error', 'true'],
            ],
            startMinUs: BASE_US,
            limit: 10,
          }),
        ),
        ['1'],
      );
      assert.deepEqual(second.rankDuration('front', 'GET', 5), { percentile: 50, count: 2 });
      // New spans join the traces stored before the restart.
      second.add(spans({ trace: 1, span: 4, parent: 1, service: 'front', name: 'late' }));
      assert.equal(second.trace(hex(1, 32))!.length, 3);
      assert.equal(second.stats().traces, 2);
    } finally {
      second.close();
    }
  });

  test('after a restart with a smaller budget, the oldest traces stored before it are evicted first', () => {
    const file = path.join(dir, 'traces.db');
    const first = new SqliteStore({ path: file });
    for (let t = 1; t <= 5; t++) first.add(spans({ trace: t, span: t }, { trace: t, span: t + 100 }));
    first.close();
    const second = new SqliteStore({ path: file, maxSpans: 6 });
    try {
      assert.equal(second.stats().spans, 10);
      second.add(spans({ trace: 6, span: 6 }));
      const stats = second.stats();
      assert.deepEqual([stats.spans, stats.traces, stats.evictedTraces, stats.evictedSpans], [5, 3, 3, 6]);
      assert.deepEqual(ids(second.search({ limit: 10 })).sort(), ['4', '5', '6']);
    } finally {
      second.close();
    }
    // The evictions are in the file too.
    const third = new SqliteStore({ path: file });
    try {
      assert.equal(third.stats().spans, 5);
      assert.equal(third.trace(hex(1, 32)), undefined);
    } finally {
      third.close();
    }
  });

  test('close is idempotent; an empty add does nothing', () => {
    const store = new SqliteStore({ path: ':memory:' });
    store.add([]);
    assert.equal(store.stats().spans, 0);
    store.close();
    store.close();
  });
});
