/**
 * The trace viewer's default store: traces in memory, bounded by a span count and a byte budget; when either is
 * exceeded the oldest traces (by first arrival) are evicted whole, and the evictions counted.
 *
 * Indexes: traces by id (in arrival order, for eviction); per service, its traces and operations; per service
 * and operation, its traces; per trace, the bounds of its spans' start times and durations, so that a search
 * passes over a trace that cannot match without looking at its spans. Tags are matched on the spans of the
 * traces these leave.
 *
 * @module
 */

import { log } from '../../logger.ts';
import { type Attribute, type AttributeValue, type SpanRecord, StatusCode } from '../span-record.ts';
import type { DurationRank, OperationRecord, StoreStats, TraceQuery, TraceStore } from './trace-store.ts';

/** Bounds of a memory store. */
export interface MemoryStoreOptions {
  /** Most spans kept. @default 500000 */
  readonly maxSpans?: number;
  /** Most bytes kept, as estimated per span (see `estimateSpanBytes`). @default 268435456 (256 MiB) */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_SPANS = 500_000;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/** One stored trace: its spans in arrival order, with their start times and durations in µs alongside. */
interface StoredTrace {
  readonly id: string;
  readonly spans: SpanRecord[];
  readonly startUs: number[];
  readonly durationUs: number[];
  minStartUs: number;
  maxStartUs: number;
  minDurationUs: number;
  maxDurationUs: number;
  bytes: number;
}

/** Per service and operation name: the kinds seen (with span counts) and the traces holding such spans. */
interface OperationEntry {
  readonly kinds: Map<number, number>;
  /** Traces with spans of this operation. */
  readonly traces: Set<StoredTrace>;
}

interface ServiceEntry {
  /** Traces with spans of this service. */
  readonly traces: Set<StoredTrace>;
  readonly operations: Map<string, OperationEntry>;
}

const KIND_NAMES: Readonly<Record<string, number>> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

/**
 * Bytes a span is estimated to hold in memory, as measured for V8 objects of this shape (object headers, the
 * bigint times, attribute objects, strings not shared with other spans). Shared resources, scopes, interned
 * strings and attribute pairs are not counted against each span.
 */
export function estimateSpanBytes(span: SpanRecord): number {
  let bytes = 240 + span.traceState.length + span.statusMessage.length;
  for (const attribute of span.attributes) bytes += 16 + valueBytes(attribute.value);
  for (const event of span.events) {
    bytes += 72;
    for (const attribute of event.attributes) bytes += 16 + valueBytes(attribute.value);
  }
  for (const link of span.links) {
    bytes += 160 + link.traceState.length;
    for (const attribute of link.attributes) bytes += 16 + valueBytes(attribute.value);
  }
  return bytes;
}

function valueBytes(value: AttributeValue): number {
  if (typeof value === 'string') return value.length > 96 ? 16 + value.length : 0;
  if (typeof value === 'bigint') return 24;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return 0;
  if (value instanceof Uint8Array) return 96 + value.byteLength;
  if ('array' in value) return value.array.reduce((sum: number, item) => sum + 8 + valueBytes(item), 32);
  return value.kvlist.reduce((sum: number, item) => sum + 24 + valueBytes(item.value), 32);
}

/** A span's start time and duration, in µs. */
function startMicros(span: SpanRecord): number {
  return Number(span.startTimeUnixNano) / 1000;
}

function durationMicros(span: SpanRecord): number {
  const ns = span.endTimeUnixNano - span.startTimeUnixNano;
  return ns > 0n ? Number(ns) / 1000 : 0;
}

/** An attribute value as the string a tag query compares against. */
export function valueText(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

function hasAttribute(attributes: readonly Attribute[], key: string, value: string): boolean {
  for (const attribute of attributes) {
    if (attribute.key === key && valueText(attribute.value) === value) return true;
  }
  return false;
}

/** A trace id as stored: 32 lowercase hex digits (Jaeger drops leading zeros). */
function normalizeTraceId(traceId: string): string {
  const id = traceId.toLowerCase();
  return id.length < 32 ? id.padStart(32, '0') : id;
}

/** A bounded list of the best `limit` traces by a key (largest first), kept as a min-heap. */
class TopTraces {
  readonly #limit: number;
  readonly #keys: number[] = [];
  readonly #traces: StoredTrace[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The smallest key that still enters. */
  get floor(): number {
    return this.#keys.length < this.#limit ? -Infinity : this.#keys[0]!;
  }

  offer(key: number, trace: StoredTrace): void {
    if (this.#limit <= 0) return;
    const keys = this.#keys;
    const traces = this.#traces;
    if (keys.length < this.#limit) {
      keys.push(key);
      traces.push(trace);
      let i = keys.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (keys[parent]! <= keys[i]!) break;
        this.#swap(i, parent);
        i = parent;
      }
      return;
    }
    if (key <= keys[0]!) return;
    keys[0] = key;
    traces[0] = trace;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < keys.length && keys[left]! < keys[smallest]!) smallest = left;
      if (right < keys.length && keys[right]! < keys[smallest]!) smallest = right;
      if (smallest === i) break;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #swap(a: number, b: number): void {
    const keys = this.#keys;
    const traces = this.#traces;
    [keys[a], keys[b]] = [keys[b]!, keys[a]!];
    [traces[a], traces[b]] = [traces[b]!, traces[a]!];
  }

  /** The traces, largest key first. */
  sorted(): StoredTrace[] {
    const order = this.#keys.map((key, i) => ({ key, trace: this.#traces[i]! }));
    order.sort((a, b) => b.key - a.key);
    return order.map((entry) => entry.trace);
  }
}

/** A {@link TraceStore} in memory. */
export class MemoryStore implements TraceStore {
  readonly #maxSpans: number;
  readonly #maxBytes: number;
  readonly #traces = new Map<string, StoredTrace>();
  readonly #services = new Map<string, ServiceEntry>();
  readonly #listeners = new Set<(traceId: string) => void>();
  #spans = 0;
  #bytes = 0;
  #evictedTraces = 0;
  #evictedSpans = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  add(spans: readonly SpanRecord[]): void {
    let lastTrace: StoredTrace | undefined;
    const touched = new Set<string>();
    for (const span of spans) {
      let trace = lastTrace !== undefined && lastTrace.id === span.traceId ? lastTrace : this.#traces.get(span.traceId);
      if (trace === undefined) {
        trace = {
          id: span.traceId,
          spans: [],
          startUs: [],
          durationUs: [],
          minStartUs: Infinity,
          maxStartUs: -Infinity,
          minDurationUs: Infinity,
          maxDurationUs: -Infinity,
          bytes: 0,
        };
        this.#traces.set(trace.id, trace);
      }
      if (trace !== lastTrace) touched.add(trace.id);
      lastTrace = trace;
      this.#addSpan(trace, span);
    }
    this.#evict();
    for (const traceId of touched) {
      if (!this.#traces.has(traceId)) continue;
      for (const listener of this.#listeners) {
        try {
          listener(traceId);
        } catch (error) {
          log.warn(`trace viewer: a trace listener failed: ${(error as Error).message}`);
        }
      }
    }
  }

  #addSpan(trace: StoredTrace, span: SpanRecord): void {
    const startUs = startMicros(span);
    const durationUs = durationMicros(span);
    const bytes = estimateSpanBytes(span);
    trace.spans.push(span);
    trace.startUs.push(startUs);
    trace.durationUs.push(durationUs);
    if (startUs < trace.minStartUs) trace.minStartUs = startUs;
    if (startUs > trace.maxStartUs) trace.maxStartUs = startUs;
    if (durationUs < trace.minDurationUs) trace.minDurationUs = durationUs;
    if (durationUs > trace.maxDurationUs) trace.maxDurationUs = durationUs;
    trace.bytes += bytes;
    this.#spans++;
    this.#bytes += bytes;
    const serviceName = span.resource.serviceName;
    let service = this.#services.get(serviceName);
    if (service === undefined) {
      service = { traces: new Set(), operations: new Map() };
      this.#services.set(serviceName, service);
    }
    service.traces.add(trace);
    let operation = service.operations.get(span.name);
    if (operation === undefined) {
      operation = { kinds: new Map(), traces: new Set() };
      service.operations.set(span.name, operation);
    }
    operation.kinds.set(span.kind, (operation.kinds.get(span.kind) ?? 0) + 1);
    operation.traces.add(trace);
  }

  #evict(): void {
    while ((this.#spans > this.#maxSpans || this.#bytes > this.#maxBytes) && this.#traces.size > 0) {
      const oldest = this.#traces.values().next().value!;
      this.#remove(oldest);
      this.#evictedTraces++;
      this.#evictedSpans += oldest.spans.length;
    }
  }

  #remove(trace: StoredTrace): void {
    this.#traces.delete(trace.id);
    this.#spans -= trace.spans.length;
    this.#bytes -= trace.bytes;
    for (const span of trace.spans) {
      const serviceName = span.resource.serviceName;
      const service = this.#services.get(serviceName);
      if (service === undefined) continue;
      service.traces.delete(trace);
      const operation = service.operations.get(span.name);
      if (operation !== undefined) {
        operation.traces.delete(trace);
        const count = (operation.kinds.get(span.kind) ?? 1) - 1;
        if (count > 0) operation.kinds.set(span.kind, count);
        else operation.kinds.delete(span.kind);
        if (operation.kinds.size === 0) service.operations.delete(span.name);
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
    const matcher = new SpanMatcher(query);
    const top = new TopTraces(query.limit);
    for (const trace of candidates) {
      if (!matcher.mayMatch(trace) || trace.maxStartUs <= top.floor) continue;
      const latest = matcher.latestMatch(trace);
      if (latest !== undefined) top.offer(latest, trace);
    }
    return top.sorted().map((trace) => trace.spans.slice());
  }

  /** The traces a query needs to look at: those of its service (and operation), or all. */
  #candidates(query: TraceQuery): Iterable<StoredTrace> | undefined {
    if (query.service === undefined || query.service === '') {
      if (query.operation === undefined || query.operation === '') return this.#traces.values();
      const traces = new Set<StoredTrace>();
      for (const service of this.#services.values()) {
        const operation = service.operations.get(query.operation);
        if (operation !== undefined) for (const trace of operation.traces) traces.add(trace);
      }
      return traces;
    }
    const service = this.#services.get(query.service);
    if (service === undefined) return undefined;
    if (query.operation === undefined || query.operation === '') return service.traces;
    return service.operations.get(query.operation)?.traces;
  }

  trace(traceId: string): SpanRecord[] | undefined {
    return this.#traces.get(normalizeTraceId(traceId))?.spans.slice();
  }

  rankDuration(service: string, operation: string, durationUs: number): DurationRank {
    const entry = this.#services.get(service)?.operations.get(operation);
    if (entry === undefined) return { percentile: 0, count: 0 };
    let count = 0;
    let below = 0;
    for (const trace of entry.traces) {
      const { spans, durationUs: durations } = trace;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i]!;
        if (span.name !== operation || span.resource.serviceName !== service) continue;
        count++;
        if (durations[i]! <= durationUs) below++;
      }
    }
    return { percentile: count === 0 ? 0 : (100 * below) / count, count };
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
    this.#traces.clear();
    this.#services.clear();
    this.#listeners.clear();
    this.#spans = 0;
    this.#bytes = 0;
  }
}

/** The filters of a query, applied to a stored trace's spans. */
class SpanMatcher {
  readonly #query: TraceQuery;
  readonly #startMin: number;
  readonly #startMax: number;
  readonly #durationMin: number;
  readonly #durationMax: number;
  /** Tags on attributes (not `error` or `span.kind`), and resources already checked against each. */
  readonly #tags: readonly (readonly [string, string])[];
  readonly #resourceHits: Map<object, boolean>[];
  readonly #error: boolean | undefined;
  readonly #kind: number | undefined;
  readonly #never: boolean;

  constructor(query: TraceQuery) {
    this.#query = query;
    this.#startMin = query.startMinUs ?? -Infinity;
    this.#startMax = query.startMaxUs ?? Infinity;
    this.#durationMin = query.minDurationUs ?? -Infinity;
    this.#durationMax = query.maxDurationUs ?? Infinity;
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
      } else tags.push([key, value]);
    }
    this.#tags = tags;
    this.#resourceHits = tags.map(() => new Map<object, boolean>());
    this.#error = error;
    this.#kind = kind;
    this.#never = never;
  }

  /** Whether the trace's bounds allow a match at all. */
  mayMatch(trace: StoredTrace): boolean {
    return (
      !this.#never &&
      trace.maxStartUs >= this.#startMin &&
      trace.minStartUs <= this.#startMax &&
      trace.maxDurationUs >= this.#durationMin &&
      trace.minDurationUs <= this.#durationMax
    );
  }

  /** The latest start (µs) of the trace's spans that match, or undefined when none does. */
  latestMatch(trace: StoredTrace): number | undefined {
    const { service, operation } = this.#query;
    const hasService = service !== undefined && service !== '';
    const hasOperation = operation !== undefined && operation !== '';
    let latest: number | undefined;
    const { spans, startUs, durationUs } = trace;
    for (let i = 0; i < spans.length; i++) {
      const start = startUs[i]!;
      if (latest !== undefined && start <= latest) continue;
      const span = spans[i]!;
      if (hasService && span.resource.serviceName !== service) continue;
      if (hasOperation && span.name !== operation) continue;
      if (start < this.#startMin || start > this.#startMax) continue;
      const duration = durationUs[i]!;
      if (duration < this.#durationMin || duration > this.#durationMax) continue;
      if (this.#kind !== undefined && span.kind !== this.#kind) continue;
      if (this.#error !== undefined && (span.statusCode === StatusCode.ERROR) !== this.#error) continue;
      if (!this.#tagsMatch(span)) continue;
      latest = start;
    }
    return latest;
  }

  #tagsMatch(span: SpanRecord): boolean {
    const tags = this.#tags;
    for (let t = 0; t < tags.length; t++) {
      const [key, value] = tags[t]!;
      if (hasAttribute(span.attributes, key, value) || hasAttribute(span.scope.attributes, key, value)) continue;
      const hits = this.#resourceHits[t]!;
      let resourceHit = hits.get(span.resource);
      if (resourceHit === undefined) {
        resourceHit = hasAttribute(span.resource.attributes, key, value);
        hits.set(span.resource, resourceHit);
      }
      if (resourceHit) continue;
      if (span.events.some((event) => hasAttribute(event.attributes, key, value))) continue;
      if (span.links.some((link) => hasAttribute(link.attributes, key, value))) continue;
      return false;
    }
    return true;
  }
}
