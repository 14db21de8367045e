/**
 * The trace viewer's default store: traces in memory, bounded by a span count and a byte budget; when either is
 * exceeded the oldest traces (by first arrival) are evicted whole, and the evictions counted.
 *
 * Spans live in a {@link SpanTable} (columns, not an object per span); a trace holds its first and last span's
 * slots and its span count, its spans being a list through the table.
 *
 * Indexes: traces by id; per service, and per service and operation, its traces in arrival order (a search walks
 * them newest first and passes over traces too old to enter its results, by their latest start read from the
 * table's start column) and, per operation, its span durations (exact ranks); per trace, a Bloom mask of its
 * attribute pairs (made when a tag search first needs it), so that a tag search passes over a trace that cannot
 * match without looking at its spans' attributes.
 *
 * @module
 */

import { log } from '../../logger.ts';
import { intern, NONE } from '../otlp/intern.ts';
import { type Attribute, type SpanRecord, StatusCode } from '../span-record.ts';
import {
  DurationIndex,
  type ListedTrace,
  pairBits,
  spansMask,
  type TagMask,
  TopTraces,
  TraceList,
  valueText,
} from './memory-indexes.ts';
import { SharedLists, SpanTable } from './span-table.ts';
import type { DurationRank, OperationRecord, StoreStats, TraceQuery, TraceStore } from './trace-store.ts';

export { valueText } from './memory-indexes.ts';

/** Bounds of a memory store. */
export interface MemoryStoreOptions {
  /** Most spans kept. @default 500000 */
  readonly maxSpans?: number;
  /** Most bytes kept, as estimated per span (see `SpanTable.bytes`). @default 268435456 (256 MiB) */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_SPANS = 500_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** One stored trace: its spans, a list through the store's table in arrival order. */
interface StoredTrace extends ListedTrace {
  readonly id: string;
  /** The slots of its first and last span. */
  first: number;
  last: number;
  /** How many spans it has. */
  count: number;
  bytes: number;
  /**
   * The lists the trace is in (its services' and operations'), to note its eviction there: never changed in place
   * (replaced when one is added), so that traces of one shape share one array.
   */
  lists: readonly TraceList<StoredTrace>[];
  /** The Bloom mask of its attribute pairs; undefined until a tag search needs it, and after spans are added. */
  tagMask: TagMask | undefined;
  /** The number of the last `add` that touched it. */
  lastAdd: number;
}

/** Per service and operation name: the kinds seen (with span counts), the traces and the spans' durations. */
interface OperationEntry {
  readonly kinds: Map<number, number>;
  readonly traces: TraceList<StoredTrace>;
  readonly durations: DurationIndex;
}

interface ServiceEntry {
  readonly traces: TraceList<StoredTrace>;
  readonly operations: Map<string, OperationEntry>;
}

const KIND_NAMES: Readonly<Record<string, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

function hasAttribute(attributes: readonly Attribute[], key: string, value: string): boolean {
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i]!;
    if (attribute.key !== key) continue;
    const held = attribute.value;
    if (typeof held === 'string' ? held === value : valueText(held) === value) return true;
  }
  return false;
}

/** A trace id as stored: 32 lowercase hex digits (Jaeger drops leading zeros). */
function normalizeTraceId(traceId: string): string {
  const id = traceId.toLowerCase();
  return id.length < 32 ? id.padStart(32, '0') : id;
}

/** A {@link TraceStore} in memory. */
export class MemoryStore implements TraceStore {
  readonly #maxSpans: number;
  readonly #maxBytes: number;
  readonly #table = new SpanTable();
  readonly #traces = new Map<string, StoredTrace>();
  /** Traces' lists of lists, shared by content (keyed by their first list). */
  readonly #listSets = new SharedLists<TraceList<StoredTrace> | undefined, TraceList<StoredTrace>>();
  /** Every trace, in arrival order. */
  #all = new TraceList<StoredTrace>();
  readonly #services = new Map<string, ServiceEntry>();
  readonly #listeners = new Set<(traceId: string) => void>();
  #spans = 0;
  #bytes = 0;
  #evictedTraces = 0;
  #evictedSpans = 0;
  #adds = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  add(spans: readonly SpanRecord[]): void {
    let lastTrace: StoredTrace | undefined;
    const touched: StoredTrace[] = [];
    const add = ++this.#adds;
    for (const span of spans) {
      let trace = lastTrace !== undefined && lastTrace.id === span.traceId ? lastTrace : this.#traces.get(span.traceId);
      if (trace === undefined) {
        trace = {
          id: this.#table.linkedTraceId(span.traceId),
          first: 0,
          last: 0,
          count: 0,
          evicted: false,
          bytes: 0,
          lists: NONE,
          tagMask: undefined,
          lastAdd: 0,
        };
        this.#traces.set(trace.id, trace);
        this.#all.push(trace);
      }
      if (trace.lastAdd !== add) {
        trace.lastAdd = add;
        touched.push(trace);
      }
      lastTrace = trace;
      this.#addSpan(trace, span);
    }
    for (const trace of touched) {
      trace.tagMask = undefined;
      trace.lists = this.#listSets.share(trace.lists[0], trace.lists);
    }
    this.#evict();
    for (const trace of touched) {
      if (trace.evicted) continue;
      for (const listener of this.#listeners) {
        try {
          listener(trace.id);
        } catch (error) {
          log.warn(`trace viewer: a trace listener failed: ${(error as Error).message}`);
        }
      }
    }
  }

  #addSpan(trace: StoredTrace, span: SpanRecord): void {
    const slot = this.#table.add(span, trace.count === 0 ? undefined : trace.last);
    const bytes = this.#table.bytes(slot);
    if (trace.count++ === 0) trace.first = slot;
    trace.last = slot;
    trace.bytes += bytes;
    this.#spans++;
    this.#bytes += bytes;
    const serviceName = span.resource.serviceName;
    let service = this.#services.get(serviceName);
    if (service === undefined) {
      service = { traces: new TraceList(), operations: new Map() };
      this.#services.set(serviceName, service);
    }
    if (!trace.lists.includes(service.traces)) {
      service.traces.push(trace);
      trace.lists = [...trace.lists, service.traces];
    }
    let operation = service.operations.get(span.name);
    if (operation === undefined) {
      operation = { kinds: new Map(), traces: new TraceList(), durations: new DurationIndex() };
      service.operations.set(span.name, operation);
    }
    operation.kinds.set(span.kind, (operation.kinds.get(span.kind) ?? 0) + 1);
    operation.durations.add(this.#table.durationUs(slot));
    if (!trace.lists.includes(operation.traces)) {
      operation.traces.push(trace);
      trace.lists = [...trace.lists, operation.traces];
    }
  }

  #evict(): void {
    while (this.#spans > this.#maxSpans || this.#bytes > this.#maxBytes) {
      // Not the first of #traces: a Map's iterator walks over every entry deleted since it was last rehashed.
      const oldest = this.#all.oldest();
      if (oldest === undefined) break;
      this.#remove(oldest);
      this.#evictedTraces++;
      this.#evictedSpans += oldest.count;
    }
  }

  #remove(trace: StoredTrace): void {
    trace.evicted = true;
    this.#traces.delete(trace.id);
    this.#all.dropped();
    this.#spans -= trace.count;
    this.#bytes -= trace.bytes;
    for (const list of trace.lists) list.dropped();
    const table = this.#table;
    for (let i = 0, slot = trace.first, next = 0; i < trace.count; i++, slot = next) {
      next = table.next(slot);
      const serviceName = table.resource(slot).serviceName;
      const name = table.name(slot);
      const kind = table.kind(slot);
      const durationUs = table.durationUs(slot);
      table.free(slot);
      const service = this.#services.get(serviceName);
      if (service === undefined) continue;
      const operation = service.operations.get(name);
      if (operation !== undefined) {
        operation.durations.remove(durationUs);
        const count = (operation.kinds.get(kind) ?? 1) - 1;
        if (count > 0) operation.kinds.set(kind, count);
        else operation.kinds.delete(kind);
        if (operation.kinds.size === 0) service.operations.delete(name);
      }
      if (service.traces.size === 0) this.#services.delete(serviceName);
    }
  }

  services(): string[] {
    return [...this.#services.keys()].sort();
  }

  operations(service: string): OperationRecord[] {
    const entry = this.#services.get(service);
    if (entry === undefined) return [];
    const records: OperationRecord[] = [];
    for (const [name, operation] of entry.operations) {
      for (const kind of operation.kinds.keys()) records.push({ name, kind });
    }
    return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.kind - b.kind));
  }

  search(query: TraceQuery): SpanRecord[][] {
    const candidates = this.#candidates(query);
    if (candidates === undefined) return [];
    const matcher = new SpanMatcher(query, this.#table);
    const top = new TopTraces<StoredTrace>(query.limit);
    for (const trace of candidates) {
      // Newest first: most traces past the first `limit` matches are too old to enter.
      if (this.#table.latestStartUs(trace.first, trace.count) <= top.floor || !matcher.mayMatch(trace)) continue;
      const latest = matcher.latestMatch(trace);
      if (latest !== undefined) top.offer(latest, trace);
    }
    return top.sorted().map((trace) => this.#records(trace));
  }

  /** The traces a query needs to look at, newest first: those of its service (and operation), or all. */
  #candidates(query: TraceQuery): Iterable<StoredTrace> | undefined {
    if (query.service === undefined || query.service === '') {
      if (query.operation === undefined || query.operation === '') return this.#all.newestFirst();
      const traces = new Set<StoredTrace>();
      for (const service of this.#services.values()) {
        const operation = service.operations.get(query.operation);
        if (operation !== undefined) for (const trace of operation.traces.newestFirst()) traces.add(trace);
      }
      const latest = new Map([...traces].map((trace) => [trace, this.#table.latestStartUs(trace.first, trace.count)]));
      return [...traces].sort((a, b) => latest.get(b)! - latest.get(a)!);
    }
    const service = this.#services.get(query.service);
    if (service === undefined) return undefined;
    if (query.operation === undefined || query.operation === '') return service.traces.newestFirst();
    return service.operations.get(query.operation)?.traces.newestFirst();
  }

  trace(traceId: string): SpanRecord[] | undefined {
    const trace = this.#traces.get(normalizeTraceId(traceId));
    return trace === undefined ? undefined : this.#records(trace);
  }

  /** A stored trace's spans as records. */
  #records(trace: StoredTrace): SpanRecord[] {
    const table = this.#table;
    const records = new Array<SpanRecord>(trace.count);
    for (let i = 0, slot = trace.first; i < trace.count; i++, slot = table.next(slot))
      records[i] = table.record(slot, trace.id);
    return records;
  }

  rankDuration(service: string, operation: string, durationUs: number): DurationRank {
    const durations = this.#services.get(service)?.operations.get(operation)?.durations;
    if (durations === undefined || durations.count === 0) return { percentile: 0, count: 0 };
    const count = durations.count;
    return { percentile: (100 * durations.atMost(durationUs)) / count, count };
  }

  stats(): StoreStats {
    return {
      spans: this.#spans,
      traces: this.#traces.size,
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
    for (const trace of this.#traces.values()) trace.evicted = true;
    this.#traces.clear();
    this.#table.clear();
    this.#services.clear();
    this.#listeners.clear();
    this.#all = new TraceList();
    this.#spans = 0;
    this.#bytes = 0;
  }
}

/** The filters of a query, applied to a stored trace's spans. */
class SpanMatcher {
  readonly #query: TraceQuery;
  readonly #table: SpanTable;
  readonly #startMin: number;
  readonly #startMax: number;
  readonly #durationMin: number;
  readonly #durationMax: number;
  readonly #checkDuration: boolean;
  /** Whether a time or duration window is set (without, every trace's bounds allow it). */
  readonly #checkBounds: boolean;
  /** Tags on attributes (not `error` or `span.kind`), and resources already checked against each. */
  readonly #tags: readonly (readonly [string, string])[];
  readonly #sharedHits: Map<object, boolean>[];
  /** The mask bits every tag pair needs, or undefined without tags. */
  readonly #tagBits: TagMask | undefined;
  readonly #error: boolean | undefined;
  readonly #kind: number | undefined;
  readonly #never: boolean;

  constructor(query: TraceQuery, table: SpanTable) {
    this.#query = query;
    this.#table = table;
    this.#startMin = query.startMinUs ?? -Infinity;
    this.#startMax = query.startMaxUs ?? Infinity;
    this.#durationMin = query.minDurationUs ?? -Infinity;
    this.#durationMax = query.maxDurationUs ?? Infinity;
    this.#checkDuration = query.minDurationUs !== undefined || query.maxDurationUs !== undefined;
    this.#checkBounds = this.#checkDuration || query.startMinUs !== undefined || query.startMaxUs !== undefined;
    const tags: (readonly [string, string])[] = [];
    let error: boolean | undefined;
    let kind = query.spanKind;
    let never = false;
    for (const [key, value] of query.tags ?? []) {
      if (key === 'error' && (value === 'true' || value === 'false')) {
        if (error !== undefined && error !== (value === 'true')) never = true;
        error = value === 'true';
      } else if (key === 'span.kind' && Object.hasOwn(KIND_NAMES, value)) {
        if (kind !== undefined && kind !== KIND_NAMES[value]) never = true;
        kind = KIND_NAMES[value];
      } else tags.push([intern(key), value]);
    }
    this.#tags = tags;
    this.#sharedHits = tags.map(() => new Map<object, boolean>());
    if (tags.length > 0) {
      const bits: TagMask = { low: 0, high: 0 };
      for (const [key, value] of tags) {
        const pair = pairBits(key, value);
        bits.low |= pair.low;
        bits.high |= pair.high;
      }
      this.#tagBits = bits;
    }
    this.#error = error;
    this.#kind = kind;
    this.#never = never;
  }

  /** Whether the trace's bounds and attribute mask allow a match at all. */
  mayMatch(trace: StoredTrace): boolean {
    if (this.#never || (this.#checkBounds && !this.#boundsAllow(trace))) return false;
    const bits = this.#tagBits;
    if (bits === undefined) return true;
    const mask = (trace.tagMask ??= spansMask(this.#table, trace.first, trace.count));
    return (mask.low & bits.low) === bits.low && (mask.high & bits.high) === bits.high;
  }

  /** Whether the spans' starts and durations reach into the query's windows. */
  #boundsAllow(trace: StoredTrace): boolean {
    const table = this.#table;
    let minStart = Infinity;
    let maxStart = -Infinity;
    let minDuration = Infinity;
    let maxDuration = -Infinity;
    for (let i = 0, slot = trace.first; i < trace.count; i++, slot = table.next(slot)) {
      const start = table.startUs(slot);
      const duration = table.durationUs(slot);
      if (start < minStart) minStart = start;
      if (start > maxStart) maxStart = start;
      if (duration < minDuration) minDuration = duration;
      if (duration > maxDuration) maxDuration = duration;
    }
    return (
      maxStart >= this.#startMin &&
      minStart <= this.#startMax &&
      maxDuration >= this.#durationMin &&
      minDuration <= this.#durationMax
    );
  }

  /** The latest start (µs) of the trace's spans that match, or undefined when none does. */
  latestMatch(trace: StoredTrace): number | undefined {
    const { service, operation } = this.#query;
    const hasService = service !== undefined && service !== '';
    const hasOperation = operation !== undefined && operation !== '';
    const table = this.#table;
    let latest: number | undefined;
    for (let i = 0, slot = trace.first; i < trace.count; i++, slot = table.next(slot)) {
      if (hasService && table.resource(slot).serviceName !== service) continue;
      if (hasOperation && table.name(slot) !== operation) continue;
      const start = table.startUs(slot);
      if (latest !== undefined && start <= latest) continue;
      if (start < this.#startMin || start > this.#startMax) continue;
      if (this.#checkDuration) {
        const duration = table.durationUs(slot);
        if (duration < this.#durationMin || duration > this.#durationMax) continue;
      }
      if (this.#kind !== undefined && table.kind(slot) !== this.#kind) continue;
      if (this.#error !== undefined && (table.statusCode(slot) === StatusCode.ERROR) !== this.#error) continue;
      if (!this.#tagsMatch(slot)) continue;
      latest = start;
    }
    return latest;
  }

  #tagsMatch(slot: number): boolean {
    const table = this.#table;
    const tags = this.#tags;
    for (let t = 0; t < tags.length; t++) {
      const [key, value] = tags[t]!;
      if (hasAttribute(table.attributes(slot), key, value)) continue;
      if (this.#sharedHas(t, table.resource(slot), key, value) || this.#sharedHas(t, table.scope(slot), key, value))
        continue;
      if (!eventsOrLinksHave(table, slot, key, value)) return false;
    }
    return true;
  }

  /** Whether a resource or scope (shared by many spans, so checked once per query) has the attribute. */
  #sharedHas(tag: number, holder: { readonly attributes: readonly Attribute[] }, key: string, value: string): boolean {
    if (holder.attributes.length === 0) return false;
    const hits = this.#sharedHits[tag]!;
    let hit = hits.get(holder);
    if (hit === undefined) {
      hit = hasAttribute(holder.attributes, key, value);
      hits.set(holder, hit);
    }
    return hit;
  }
}

function eventsOrLinksHave(table: SpanTable, slot: number, key: string, value: string): boolean {
  for (const event of table.wholeEvents(slot)) if (hasAttribute(event.attributes, key, value)) return true;
  for (const link of table.wholeLinks(slot)) if (hasAttribute(link.attributes, key, value)) return true;
  return false;
}
