/**
 * The trace viewer's persisted store: the same {@link TraceStore} over SQLite through `node:sqlite` (built into
 * Node 24, no native addon), so that traces survive a restart. Bounded like the memory store by a span count and
 * a byte budget (the bytes of the rows written for each span); when either is exceeded the oldest traces (by
 * first arrival) are deleted whole and counted.
 *
 * Tables: `traces` (one row per trace id, in arrival order), `spans` (the searchable columns, and the rest of the
 * span as JSON), `span_tags` (every span, event and link attribute as text, for tag queries), `shared` and
 * `shared_tags` (each distinct resource and scope once, with its attributes), `operations` (the span count of each
 * service, operation and kind). Indexes serve the same queries as the memory store's: by service and operation in
 * start time order (a search walks the matching spans newest first and stops at its limit of traces), by start
 * time, by duration, by tag, by trace.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { log } from '../../logger.ts';
import type { Attribute, ResourceRecord, ScopeRecord, SpanRecord } from '../span-record.ts';
import { StatusCode } from '../span-record.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_SPANS, valueText } from './memory-store.ts';
import type { DurationRank, OperationRecord, StoreStats, TraceQuery, TraceStore } from './trace-store.ts';

/** Where and how much a SQLite store keeps. */
export interface SqliteStoreOptions {
  /** The database file (created when missing), or `:memory:`. */
  readonly path: string;
  /** Most spans kept. @default 500000 */
  readonly maxSpans?: number;
  /** Most bytes of span rows kept. @default 268435456 (256 MiB) */
  readonly maxBytes?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS traces (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trace_id TEXT NOT NULL UNIQUE,
  spans INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS shared (
  id INTEGER PRIMARY KEY,
  json TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS shared_tags (
  shared INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shared_tags_by_key ON shared_tags (key, value, shared);
CREATE TABLE IF NOT EXISTS spans (
  id INTEGER PRIMARY KEY,
  trace INTEGER NOT NULL,
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  status INTEGER NOT NULL,
  start_us REAL NOT NULL,
  duration_us REAL NOT NULL,
  resource INTEGER NOT NULL,
  scope INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_us);
CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, start_us);
CREATE INDEX IF NOT EXISTS spans_by_operation ON spans (service, name, start_us);
CREATE INDEX IF NOT EXISTS spans_by_duration ON spans (service, name, duration_us);
CREATE TABLE IF NOT EXISTS operations (
  service TEXT NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  spans INTEGER NOT NULL,
  PRIMARY KEY (service, name, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS span_tags (
  span INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS span_tags_by_key ON span_tags (key, value, span);
CREATE INDEX IF NOT EXISTS span_tags_by_span ON span_tags (span);
`;

const KIND_NAMES: Readonly<Record<string, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/** Per-row bytes SQLite spends beyond the text (record header, rowid, index entries), estimated. */
const SPAN_ROW_OVERHEAD = 120;
const TAG_ROW_OVERHEAD = 40;

/** A {@link TraceStore} in a SQLite database. */
export class SqliteStore implements TraceStore {
  readonly #db: DatabaseSync;
  readonly #maxSpans: number;
  readonly #maxBytes: number;
  readonly #listeners = new Set<(traceId: string) => void>();
  readonly #statements: ReturnType<typeof prepare>;
  /** Resources and scopes by row id, read back as shared objects. */
  readonly #sharedById = new Map<number, ResourceRecord | ScopeRecord>();
  readonly #sharedIds = new WeakMap<object, number>();
  #spans: number;
  #bytes: number;
  #traces: number;
  #evictedTraces = 0;
  #evictedSpans = 0;

  constructor(options: SqliteStoreOptions) {
    this.#db = new DatabaseSync(options.path);
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
    this.#maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#statements = prepare(this.#db);
    const totals = this.#statements.totals.get() as { traces: number; spans: number | null; bytes: number | null };
    this.#traces = totals.traces;
    this.#spans = totals.spans ?? 0;
    this.#bytes = totals.bytes ?? 0;
  }

  add(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    /** The traces this add touches: their rows and what they grow by. */
    const touched = new Map<string, { row: number; spans: number; bytes: number }>();
    const s = this.#statements;
    this.#db.exec('BEGIN');
    try {
      for (const span of spans) {
        let trace = touched.get(span.traceId);
        if (trace === undefined) {
          const known = s.traceRow.get(span.traceId) as { id: number } | undefined;
          let row = known?.id;
          if (row === undefined) {
            row = Number(s.insertTrace.run(span.traceId).lastInsertRowid);
            this.#traces++;
          }
          touched.set(span.traceId, (trace = { row, spans: 0, bytes: 0 }));
        }
        const bytes = this.#insertSpan(trace.row, span);
        trace.spans++;
        trace.bytes += bytes;
        this.#spans++;
        this.#bytes += bytes;
      }
      for (const trace of touched.values()) s.growTrace.run(trace.spans, trace.bytes, trace.row);
      this.#evict();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    for (const traceId of touched.keys()) {
      if (s.traceRow.get(traceId) === undefined) continue;
      for (const listener of this.#listeners) {
        try {
          listener(traceId);
        } catch (error) {
          log.warn(`trace viewer: a trace listener failed: ${(error as Error).message}`);
        }
      }
    }
  }

  /** Writes one span's rows; returns the bytes they are counted as. */
  #insertSpan(traceRow: number, span: SpanRecord): number {
    const s = this.#statements;
    const json = encodeJson({
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      traceState: span.traceState,
      flags: span.flags,
      start: span.startTimeUnixNano,
      end: span.endTimeUnixNano,
      statusMessage: span.statusMessage,
      attributes: span.attributes,
      events: span.events,
      links: span.links,
    });
    const durationNs = span.endTimeUnixNano - span.startTimeUnixNano;
    const row = s.insertSpan.run(
      traceRow,
      span.resource.serviceName,
      span.name,
      span.kind,
      span.statusCode,
      Number(span.startTimeUnixNano) / 1000,
      durationNs > 0n ? Number(durationNs) / 1000 : 0,
      this.#sharedId(span.resource),
      this.#sharedId(span.scope),
      json,
    );
    const spanRow = Number(row.lastInsertRowid);
    s.countOperation.run(span.resource.serviceName, span.name, span.kind);
    let bytes = SPAN_ROW_OVERHEAD + json.length + span.name.length + span.resource.serviceName.length;
    const tag = (attribute: Attribute): void => {
      const text = valueText(attribute.value);
      s.insertSpanTag.run(spanRow, attribute.key, text);
      bytes += TAG_ROW_OVERHEAD + attribute.key.length + text.length;
    };
    span.attributes.forEach(tag);
    for (const event of span.events) event.attributes.forEach(tag);
    for (const link of span.links) link.attributes.forEach(tag);
    return bytes;
  }

  /** The row of a resource or scope, written once per distinct content. */
  #sharedId(record: ResourceRecord | ScopeRecord): number {
    const known = this.#sharedIds.get(record);
    if (known !== undefined) return known;
    const s = this.#statements;
    const json = encodeJson(record);
    let row = s.sharedRow.get(json) as { id: number } | undefined;
    if (row === undefined) {
      row = { id: Number(s.insertShared.run(json).lastInsertRowid) };
      for (const attribute of record.attributes)
        s.insertSharedTag.run(row.id, attribute.key, valueText(attribute.value));
    }
    this.#sharedIds.set(record, row.id);
    this.#sharedById.set(row.id, record);
    return row.id;
  }

  #evict(): void {
    const s = this.#statements;
    while ((this.#spans > this.#maxSpans || this.#bytes > this.#maxBytes) && this.#traces > 0) {
      const oldest = s.oldestTrace.get() as { id: number; spans: number; bytes: number };
      for (const op of s.traceOperations.all(oldest.id) as {
        service: string;
        name: string;
        kind: number;
        count: number;
      }[]) {
        s.uncountOperation.run(op.count, op.service, op.name, op.kind);
      }
      s.dropOperations.run();
      s.deleteTags.run(oldest.id);
      s.deleteSpans.run(oldest.id);
      s.deleteTrace.run(oldest.id);
      this.#traces--;
      this.#spans -= oldest.spans;
      this.#bytes -= oldest.bytes;
      this.#evictedTraces++;
      this.#evictedSpans += oldest.spans;
    }
  }

  services(): string[] {
    return (this.#statements.services.all() as { service: string }[]).map((row) => row.service);
  }

  operations(service: string): OperationRecord[] {
    return (this.#statements.operations.all(service) as { name: string; kind: number }[]).map((row) => ({
      name: row.name,
      kind: row.kind,
    }));
  }

  search(query: TraceQuery): SpanRecord[][] {
    if (query.limit <= 0) return [];
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.service !== undefined && query.service !== '') where.push('s.service = ?') && args.push(query.service);
    if (query.operation !== undefined && query.operation !== '') where.push('s.name = ?') && args.push(query.operation);
    if (query.startMinUs !== undefined) where.push('s.start_us >= ?') && args.push(query.startMinUs);
    if (query.startMaxUs !== undefined) where.push('s.start_us <= ?') && args.push(query.startMaxUs);
    if (query.minDurationUs !== undefined) where.push('s.duration_us >= ?') && args.push(query.minDurationUs);
    if (query.maxDurationUs !== undefined) where.push('s.duration_us <= ?') && args.push(query.maxDurationUs);
    if (query.spanKind !== undefined) where.push('s.kind = ?') && args.push(query.spanKind);
    for (const [key, value] of query.tags ?? []) {
      if (key === 'error' && (value === 'true' || value === 'false')) {
        where.push(value === 'true' ? 's.status = ?' : 's.status != ?');
        args.push(StatusCode.ERROR);
      } else if (key === 'span.kind' && Object.hasOwn(KIND_NAMES, value)) {
        where.push('s.kind = ?');
        args.push(KIND_NAMES[value]!);
      } else {
        where.push(
          `(EXISTS (SELECT 1 FROM span_tags t WHERE t.span = s.id AND t.key = ? AND t.value = ?)
            OR EXISTS (SELECT 1 FROM shared_tags r WHERE r.shared IN (s.resource, s.scope) AND r.key = ? AND r.value = ?))`,
        );
        args.push(key, value, key, value);
      }
    }
    // The matching spans newest first: the first span seen of each trace is its latest match, so the traces come
    // in the order the contract asks for, and the walk stops at the limit.
    const sql = `SELECT s.trace AS trace FROM spans s ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.start_us DESC`;
    const found = new Set<number>();
    for (const row of this.#db.prepare(sql).iterate(...args) as Iterable<{ trace: number }>) {
      found.add(row.trace);
      if (found.size >= query.limit) break;
    }
    return [...found].map((row) => this.#traceByRow(row));
  }

  #traceByRow(row: number): SpanRecord[] {
    const { traceId } = this.#statements.traceIdOf.get(row) as { traceId: string };
    return (this.#statements.spansOfRow.all(row) as unknown as SpanRow[]).map((span) => this.#record(traceId, span));
  }

  trace(traceId: string): SpanRecord[] | undefined {
    const id = traceId.toLowerCase().padStart(32, '0');
    const rows = this.#statements.traceSpans.all(id) as unknown as SpanRow[];
    if (rows.length === 0) return undefined;
    return rows.map((row) => this.#record(id, row));
  }

  #record(traceId: string, row: SpanRow): SpanRecord {
    const rest = decodeJson(row.json) as StoredSpan;
    return {
      traceId,
      spanId: rest.spanId,
      parentSpanId: rest.parentSpanId,
      traceState: rest.traceState,
      name: row.name,
      kind: row.kind,
      startTimeUnixNano: rest.start,
      endTimeUnixNano: rest.end,
      attributes: rest.attributes,
      events: rest.events,
      links: rest.links,
      statusCode: row.status,
      statusMessage: rest.statusMessage,
      flags: rest.flags,
      resource: this.#shared(row.resource) as ResourceRecord,
      scope: this.#shared(row.scope) as ScopeRecord,
    };
  }

  #shared(id: number): ResourceRecord | ScopeRecord {
    let record = this.#sharedById.get(id);
    if (record === undefined) {
      const row = this.#statements.sharedJson.get(id) as { json: string };
      record = decodeJson(row.json) as ResourceRecord | ScopeRecord;
      this.#sharedById.set(id, record);
      this.#sharedIds.set(record, id);
    }
    return record;
  }

  rankDuration(service: string, operation: string, durationUs: number): DurationRank {
    const row = this.#statements.rank.get(durationUs, service, operation) as { count: number; below: number | null };
    return { percentile: row.count === 0 ? 0 : (100 * (row.below ?? 0)) / row.count, count: row.count };
  }

  stats(): StoreStats {
    return {
      spans: this.#spans,
      traces: this.#traces,
      bytes: this.#bytes,
      maxSpans: this.#maxSpans,
      maxBytes: this.#maxBytes,
      evictedTraces: this.#evictedTraces,
      evictedSpans: this.#evictedSpans,
    };
  }

  subscribe(listener: (traceId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  close(): void {
    this.#listeners.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

interface SpanRow {
  readonly name: string;
  readonly kind: number;
  readonly status: number;
  readonly resource: number;
  readonly scope: number;
  readonly json: string;
}

/** The columns of a span kept as JSON. */
interface StoredSpan {
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly flags: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly statusMessage: string;
  readonly attributes: readonly Attribute[];
  readonly events: SpanRecord['events'];
  readonly links: SpanRecord['links'];
}

function prepare(db: DatabaseSync) {
  const statement = (sql: string): StatementSync => db.prepare(sql);
  return {
    totals: statement('SELECT COUNT(*) AS traces, SUM(spans) AS spans, SUM(bytes) AS bytes FROM traces'),
    traceRow: statement('SELECT id FROM traces WHERE trace_id = ?'),
    insertTrace: statement('INSERT INTO traces (trace_id) VALUES (?)'),
    growTrace: statement('UPDATE traces SET spans = spans + ?, bytes = bytes + ? WHERE id = ?'),
    traceIdOf: statement('SELECT trace_id AS traceId FROM traces WHERE id = ?'),
    spansOfRow: statement('SELECT name, kind, status, resource, scope, json FROM spans WHERE trace = ? ORDER BY id'),
    countOperation: statement(
      'INSERT INTO operations (service, name, kind, spans) VALUES (?, ?, ?, 1) ON CONFLICT DO UPDATE SET spans = spans + 1',
    ),
    traceOperations: statement(
      'SELECT service, name, kind, COUNT(*) AS count FROM spans WHERE trace = ? GROUP BY service, name, kind',
    ),
    uncountOperation: statement('UPDATE operations SET spans = spans - ? WHERE service = ? AND name = ? AND kind = ?'),
    dropOperations: statement('DELETE FROM operations WHERE spans <= 0'),
    oldestTrace: statement('SELECT id, spans, bytes FROM traces ORDER BY id LIMIT 1'),
    deleteTags: statement('DELETE FROM span_tags WHERE span IN (SELECT id FROM spans WHERE trace = ?)'),
    deleteSpans: statement('DELETE FROM spans WHERE trace = ?'),
    deleteTrace: statement('DELETE FROM traces WHERE id = ?'),
    insertSpan: statement(
      `INSERT INTO spans (trace, service, name, kind, status, start_us, duration_us, resource, scope, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSpanTag: statement('INSERT INTO span_tags (span, key, value) VALUES (?, ?, ?)'),
    sharedRow: statement('SELECT id FROM shared WHERE json = ?'),
    insertShared: statement('INSERT INTO shared (json) VALUES (?)'),
    insertSharedTag: statement('INSERT INTO shared_tags (shared, key, value) VALUES (?, ?, ?)'),
    sharedJson: statement('SELECT json FROM shared WHERE id = ?'),
    services: statement('SELECT DISTINCT service FROM operations ORDER BY service'),
    operations: statement('SELECT name, kind FROM operations WHERE service = ? ORDER BY name, kind'),
    traceSpans: statement(
      `SELECT s.name, s.kind, s.status, s.resource, s.scope, s.json FROM spans s
       JOIN traces t ON t.id = s.trace WHERE t.trace_id = ? ORDER BY s.id`,
    ),
    rank: statement(
      `SELECT COUNT(*) AS count, SUM(duration_us <= ?) AS below FROM spans WHERE service = ? AND name = ?`,
    ),
  };
}

/** JSON with the span record's bigints and bytes kept: `{"$n":"123"}` and `{"$b":"base64"}`. */
function encodeJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, item: unknown) {
    if (typeof item === 'bigint') return { $n: item.toString() };
    if (item instanceof Uint8Array)
      return { $b: Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('base64') };
    return item;
  });
}

function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const keys = Object.keys(item);
      if (keys.length === 1 && keys[0] === '$n') return BigInt((item as { $n: string }).$n);
      if (keys.length === 1 && keys[0] === '$b')
        return new Uint8Array(Buffer.from((item as { $b: string }).$b, 'base64'));
    }
    return item;
  });
}
