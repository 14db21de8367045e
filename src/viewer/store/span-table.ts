/**
 * The memory store's spans, kept in columns: a typed array for each number (start, duration, ids, kind, status,
 * flags, the next span of the same trace) and a plain array for each reference (name, resource, scope,
 * attributes, event names, trace state, status message), both indexed by the span's slot. A stored span is then
 * no object of its own: the young-generation collector copies every object that survives it, and spans are kept
 * for a long time, so what it copies is only what is new in each span (an attribute list with new values), not
 * the span (docs/performance.md, "Trace viewer").
 *
 * Shared rather than kept per span: names, resources and scopes (the decoders intern them), the list of event
 * names and the attribute list when they hold the same items as the last span of the same name (the protobuf
 * decoder gives equal attributes one object), and the trace id strings of links. Events without attributes are
 * kept as those names plus their times in ns after the start, and links without attributes as their trace id,
 * span id words and trace state, each in a pool of runs ({@link RunPool}). Events and links with attributes are
 * kept as they came (a tag search reads only those). A span that a column cannot hold exactly (ids that are not
 * 16 hex digits, a start outside 64 bits, a duration past 2^53 ns, events past 2^53 ns, a kind or status past 255,
 * flags past 2^32) is also kept whole beside the columns. {@link SpanTable.record} gives the record back field by
 * field.
 *
 * @module
 */

import { NONE } from '../otlp/intern.ts';
import type { Attribute, EventRecord, LinkRecord, ResourceRecord, ScopeRecord, SpanRecord } from '../span-record.ts';

const EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_U64 = (1n << 64n) - 1n;
/** `#eventAt` of a span whose events are kept whole (or that has none). */
const WHOLE = 0xffffffff;

/** The value of 8 lowercase hex digits of `id` from `at`, or -1 when one is not such a digit. */
function hexWord(id: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const c = id.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function wordHex(word: number): string {
  return word.toString(16).padStart(8, '0');
}

/**
 * Lists shared by content: the last list kept for each key is given again for an equal list (same length, same
 * items by identity), so that the spans (or traces) that hold equal lists hold one.
 */
export class SharedLists<K, T> {
  readonly #last = new Map<K, readonly T[]>();

  share(key: K, list: readonly T[]): readonly T[] {
    if (list.length === 0) return NONE;
    const known = this.#last.get(key);
    if (known !== undefined && known.length === list.length) {
      let same = true;
      for (let i = 0; i < list.length; i++) {
        if (known[i] !== list[i]) {
          same = false;
          break;
        }
      }
      if (same) return known;
    }
    if (this.#last.size >= 4096) this.#last.clear();
    this.#last.set(key, list);
    return list;
  }
}

const eventNameLists = new SharedLists<string, string>();
const attributeLists = new SharedLists<string, Attribute>();

/** Whether `events` can be kept as names and offsets: none has attributes, each within 2^53 ns of `start`. */
function packableEvents(events: readonly EventRecord[], start: bigint): boolean {
  if (events.length === 0) return true;
  const earliest = start - EXACT;
  const latest = start + EXACT;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.attributes.length !== 0 || event.timeUnixNano < earliest || event.timeUnixNano > latest) return false;
  }
  return true;
}

/**
 * Estimated bytes of a span's columns (with the room they keep for growth) and its share of its trace's entry:
 * with the rest of {@link SpanTable.bytes}, within a few percent of what bench/viewer-store.ts measures for the
 * guide's trace (heap and ArrayBuffer memory).
 */
const SPAN_BYTES = 180;

function attributesBytes(attributes: readonly Attribute[]): number {
  let bytes = 16 * attributes.length;
  for (let i = 0; i < attributes.length; i++) {
    const value = attributes[i]!.value;
    if (typeof value !== 'string' || value.length > 96) bytes += valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: Attribute['value']): number {
  if (typeof value === 'string') return value.length > 96 ? 16 + value.length : 0;
  if (typeof value === 'bigint') return 24;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return 0;
  if (value instanceof Uint8Array) return 96 + value.byteLength;
  if ('array' in value) return value.array.reduce((sum: number, item) => sum + 8 + valueBytes(item), 32);
  return value.kvlist.reduce((sum: number, item) => sum + 24 + valueBytes(item.value), 32);
}

function grown<T extends Float64Array | Uint32Array | Uint8Array | BigUint64Array>(array: T, length: number): T {
  const next = new (array.constructor as new (length: number) => T)(length);
  next.set(array as never);
  return next;
}

/** A column of a {@link RunPool}: a typed array, or a plain array for references. */
type Column = Float64Array | Uint32Array | unknown[];

/**
 * Items in runs, one run per span, in parallel columns (`widths[i]` entries per item in column i). Runs are added
 * at the end; a freed run is dead room until the pool is full and at least half dead, when the live runs are
 * copied to the front of new columns.
 */
class RunPool {
  readonly #widths: readonly number[];
  columns: Column[];
  #capacity: number;
  #end = 0;
  #dead = 0;

  constructor(columns: Column[], widths: readonly number[]) {
    this.columns = columns;
    this.#widths = widths;
    this.#capacity = columns[0]!.length / widths[0]!;
  }

  /**
   * Room for `count` items; returns where it starts. `live` is called when the pool is compacted: it calls
   * `move(at, count)` for every live run and stores the new start that `move` returns.
   */
  reserve(count: number, live: (move: (at: number, count: number) => number) => void): number {
    if (this.#end + count > this.#capacity) {
      const used = this.#end - this.#dead;
      const capacity = this.#dead * 2 >= this.#end ? Math.max(1024, 2 * (used + count)) : 2 * (this.#end + count);
      const from = this.columns;
      const widths = this.#widths;
      const to = from.map((column, i) => newColumn(column, capacity * widths[i]!));
      let end = 0;
      const move = (at: number, n: number): number => {
        for (let i = 0; i < from.length; i++) copyItems(from[i]!, to[i]!, widths[i]!, at, end, n);
        end += n;
        return end - n;
      };
      if (this.#dead === 0) move(0, this.#end);
      else live(move);
      this.columns = to;
      this.#capacity = capacity;
      this.#end = end;
      this.#dead = 0;
    }
    this.#end += count;
    return this.#end - count;
  }

  /** Notes that a run of `count` items is no longer used. */
  release(count: number): void {
    this.#dead += count;
  }

  clear(): void {
    this.#end = 0;
    this.#dead = 0;
  }
}

function newColumn(like: Column, length: number): Column {
  if (Array.isArray(like)) return new Array<unknown>(length).fill(undefined);
  return new (like.constructor as new (length: number) => Float64Array | Uint32Array)(length);
}

/** Copies items: a short run (most are) one by one, since a typed array's `subarray` is an object per run. */
function copyItems(from: Column, to: Column, width: number, at: number, toAt: number, count: number): void {
  const length = count * width;
  if (length > 16 && !Array.isArray(from)) {
    (to as Float64Array).set((from as Float64Array).subarray(at * width, at * width + length), toAt * width);
    return;
  }
  const source = from as Record<number, unknown>;
  const target = to as Record<number, unknown>;
  for (let i = 0; i < length; i++) target[toAt * width + i] = source[at * width + i];
}

/** Spans in columns, each at a slot from {@link SpanTable.add} until {@link SpanTable.free}. */
export class SpanTable {
  #capacity = 0;
  /** Slots ever used; those below it and not live are in #free. */
  #used = 0;
  #free: number[] = [];
  #live = new Uint8Array(0);
  #startNs = new BigUint64Array(0);
  #startUs = new Float64Array(0);
  #durationNs = new Float64Array(0);
  /** Per slot: the span id's high and low words, then the parent's (both 0 for no parent). */
  #ids = new Uint32Array(0);
  #kind = new Uint8Array(0);
  #status = new Uint8Array(0);
  #flags = new Uint32Array(0);
  /** The next span of the same trace (a trace's spans are a list through this column, in arrival order). */
  #next = new Uint32Array(0);
  /** Where the span's event times start in #eventTimes, or WHOLE (kept in #events). */
  #eventAt = new Uint32Array(0);
  /** Where the span's links start in #linkItems, and how many; WHOLE when kept in #links. */
  #linkAt = new Uint32Array(0);
  #linkCount = new Uint32Array(0);
  readonly #name: (string | undefined)[] = [];
  readonly #resource: (ResourceRecord | undefined)[] = [];
  readonly #scope: (ScopeRecord | undefined)[] = [];
  readonly #attributes: (readonly Attribute[] | undefined)[] = [];
  /** The event names (when packed) or the events. */
  readonly #events: (readonly string[] | readonly EventRecord[] | undefined)[] = [];
  /** Links kept whole (those with attributes or ids not in 16 hex digits). */
  readonly #links: (readonly LinkRecord[] | undefined)[] = [];
  readonly #traceState: (string | undefined)[] = [];
  readonly #statusMessage: (string | undefined)[] = [];
  /** The plain-array columns (references), freed and grown together. */
  readonly #references: unknown[][] = [
    this.#name,
    this.#resource,
    this.#scope,
    this.#attributes,
    this.#events,
    this.#links,
    this.#traceState,
    this.#statusMessage,
  ];
  /** Spans the columns cannot hold exactly. */
  readonly #whole = new Map<number, SpanRecord>();
  /** Packed events' times in ns after their span's start. */
  readonly #eventTimes = new RunPool([new Float64Array(1024)], [1]);
  /** Packed links: trace id, span id words (2), trace state. */
  readonly #linkItems = new RunPool(
    [new Array(1024).fill(undefined), new Uint32Array(2048), new Array(1024).fill(undefined)],
    [1, 2, 1],
  );
  /** Trace id strings that links pointed to lately, so that links to one trace share one string. */
  #traceIds = new Map<string, string>();

  /** Keeps `span`, after the span at slot `after` of the same trace when given; returns its slot. */
  add(span: SpanRecord, after?: number): number {
    const slot = this.#allocate();
    if (after !== undefined) this.#next[after] = slot;
    const start = span.startTimeUnixNano;
    const duration = span.endTimeUnixNano - start;
    let exact = start >= 0n && start <= MAX_U64 && duration <= EXACT && duration >= -EXACT;
    this.#live[slot] = 1;
    this.#startNs[slot] = start;
    this.#startUs[slot] = Number(start) / 1000;
    this.#durationNs[slot] = Number(duration);
    exact = this.#setIds(slot, span.spanId, span.parentSpanId) && exact;
    this.#kind[slot] = span.kind;
    this.#status[slot] = span.statusCode;
    this.#flags[slot] = span.flags;
    exact &&= this.#kind[slot] === span.kind && this.#status[slot] === span.statusCode;
    exact &&= this.#flags[slot] === span.flags;
    const name = span.name;
    this.#name[slot] = name;
    this.#resource[slot] = span.resource;
    this.#scope[slot] = span.scope;
    this.#attributes[slot] = attributeLists.share(name, span.attributes);
    this.#traceState[slot] = span.traceState;
    this.#statusMessage[slot] = span.statusMessage;
    this.#setEvents(slot, span.events, start);
    this.#setLinks(slot, span.links);
    if (!exact) this.#whole.set(slot, span);
    return slot;
  }

  /** Lets go of a span; its slot may be given to the next span added. */
  free(slot: number): void {
    if (this.#live[slot] !== 1) return;
    this.#live[slot] = 0;
    if (this.#eventAt[slot] !== WHOLE) this.#eventTimes.release(this.#events[slot]!.length);
    if (this.#linkAt[slot] !== WHOLE) this.#linkItems.release(this.#linkCount[slot]!);
    this.#eventAt[slot] = WHOLE;
    this.#linkAt[slot] = WHOLE;
    for (const column of this.#references) column[slot] = undefined;
    this.#whole.delete(slot);
    this.#free.push(slot);
  }

  /** Frees every span. */
  clear(): void {
    for (let slot = 0; slot < this.#used; slot++) this.free(slot);
    this.#free = [];
    this.#used = 0;
    this.#eventTimes.clear();
    this.#linkItems.clear();
    this.#traceIds.clear();
  }

  /**
   * Bytes the span is estimated to hold as stored: its columns, events' times (or whole events when not packed),
   * links, and attributes not shared with other spans, and its share of its trace's entry and index entries, sized
   * as V8 lays them out. Shared resources, scopes, interned strings, event name lists and attribute pairs are not
   * counted.
   */
  bytes(slot: number): number {
    const events = this.#events[slot]!;
    let bytes = SPAN_BYTES + this.#traceState[slot]!.length + this.#statusMessage[slot]!.length;
    bytes += attributesBytes(this.#attributes[slot]!);
    if (this.#eventAt[slot] !== WHOLE) bytes += 8 * events.length;
    else for (const event of events as readonly EventRecord[]) bytes += 96 + attributesBytes(event.attributes);
    if (this.#linkAt[slot] !== WHOLE) bytes += 32 * this.#linkCount[slot]!;
    else
      for (const link of this.#links[slot]!) bytes += 160 + link.traceState.length + attributesBytes(link.attributes);
    return bytes;
  }

  /** The string a link lately held for trace id `traceId` (or `traceId`): a trace's id then shares it. */
  linkedTraceId(traceId: string): string {
    return this.#traceIds.get(traceId) ?? traceId;
  }

  /** The slot of the span added after this one to its trace (valid for all but a trace's last span). */
  next(slot: number): number {
    return this.#next[slot]!;
  }

  name(slot: number): string {
    return this.#name[slot]!;
  }

  kind(slot: number): number {
    return this.#oddOne(slot)?.kind ?? this.#kind[slot]!;
  }

  statusCode(slot: number): number {
    return this.#oddOne(slot)?.statusCode ?? this.#status[slot]!;
  }

  resource(slot: number): ResourceRecord {
    return this.#resource[slot]!;
  }

  scope(slot: number): ScopeRecord {
    return this.#scope[slot]!;
  }

  attributes(slot: number): readonly Attribute[] {
    return this.#attributes[slot]!;
  }

  /** The links kept whole (none when packed): the only ones that can carry attributes. */
  wholeLinks(slot: number): readonly LinkRecord[] {
    return this.#linkAt[slot] === WHOLE ? this.#links[slot]! : NONE;
  }

  /** The start, µs since the epoch (a double: for comparisons, not for the record). */
  startUs(slot: number): number {
    return this.#startUs[slot]!;
  }

  /** The latest start of `count` spans of a trace from slot `first`, µs since the epoch (-Infinity for none). */
  latestStartUs(first: number, count: number): number {
    const starts = this.#startUs;
    const next = this.#next;
    let latest = -Infinity;
    for (let i = 0, slot = first; i < count; i++, slot = next[slot]!) latest = Math.max(latest, starts[slot]!);
    return latest;
  }

  /** The duration in µs, 0 when the end is not after the start. */
  durationUs(slot: number): number {
    const duration = this.#durationNs[slot]!;
    return duration > 0 ? duration / 1000 : 0;
  }

  /** The events kept whole (none when packed): the only ones that can carry attributes. */
  wholeEvents(slot: number): readonly EventRecord[] {
    return this.#eventAt[slot] === WHOLE ? (this.#events[slot] as readonly EventRecord[]) : NONE;
  }

  /** The span as a record of trace `traceId`, whole (new objects but for the shared values). */
  record(slot: number, traceId: string): SpanRecord {
    const whole = this.#oddOne(slot);
    if (whole !== undefined) return whole;
    const ids = this.#ids;
    const at = 4 * slot;
    const start = this.#startNs[slot]!;
    return {
      traceId,
      spanId: wordHex(ids[at]!) + wordHex(ids[at + 1]!),
      parentSpanId: ids[at + 2] === 0 && ids[at + 3] === 0 ? '' : wordHex(ids[at + 2]!) + wordHex(ids[at + 3]!),
      traceState: this.#traceState[slot]!,
      name: this.#name[slot]!,
      kind: this.#kind[slot]!,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(this.#durationNs[slot]!),
      attributes: this.#attributes[slot]!,
      events: this.#eventsOf(slot, start),
      links: this.#linksOf(slot),
      statusCode: this.#status[slot]!,
      statusMessage: this.#statusMessage[slot]!,
      flags: this.#flags[slot]!,
      resource: this.#resource[slot]!,
      scope: this.#scope[slot]!,
    };
  }

  /** The span kept whole, if it is. */
  #oddOne(slot: number): SpanRecord | undefined {
    return this.#whole.size === 0 ? undefined : this.#whole.get(slot);
  }

  #eventsOf(slot: number, start: bigint): readonly EventRecord[] {
    const at = this.#eventAt[slot]!;
    const events = this.#events[slot]!;
    if (at === WHOLE) return events as readonly EventRecord[];
    const times = this.#eventTimes.columns[0] as Float64Array;
    return (events as readonly string[]).map((name, i) => ({
      timeUnixNano: start + BigInt(times[at + i]!),
      name,
      attributes: NONE,
    }));
  }

  #linksOf(slot: number): readonly LinkRecord[] {
    const at = this.#linkAt[slot]!;
    if (at === WHOLE) return this.#links[slot]!;
    const [traceIds, words, traceStates] = this.#linkItems.columns as [string[], Uint32Array, string[]];
    const links = new Array<LinkRecord>(this.#linkCount[slot]!);
    for (let i = 0; i < links.length; i++) {
      const item = at + i;
      links[i] = {
        traceId: traceIds[item]!,
        spanId: wordHex(words[2 * item]!) + wordHex(words[2 * item + 1]!),
        traceState: traceStates[item]!,
        attributes: NONE,
      };
    }
    return links;
  }

  /** Sets the id words; false when an id is not 16 lowercase hex digits (or a parent's is all zeros). */
  #setIds(slot: number, spanId: string, parentSpanId: string): boolean {
    const ids = this.#ids;
    const at = 4 * slot;
    const high = spanId.length === 16 ? hexWord(spanId, 0) : -1;
    const low = spanId.length === 16 ? hexWord(spanId, 8) : -1;
    ids[at] = high;
    ids[at + 1] = low;
    if (parentSpanId === '') {
      ids[at + 2] = 0;
      ids[at + 3] = 0;
      return high >= 0 && low >= 0;
    }
    const parentHigh = parentSpanId.length === 16 ? hexWord(parentSpanId, 0) : -1;
    const parentLow = parentSpanId.length === 16 ? hexWord(parentSpanId, 8) : -1;
    ids[at + 2] = parentHigh;
    ids[at + 3] = parentLow;
    return high >= 0 && low >= 0 && parentHigh >= 0 && parentLow >= 0 && parentHigh + parentLow > 0;
  }

  #setEvents(slot: number, events: readonly EventRecord[], start: bigint): void {
    this.#eventAt[slot] = WHOLE;
    if (events.length === 0 || !packableEvents(events, start)) {
      this.#events[slot] = events.length === 0 ? NONE : events;
      return;
    }
    const names = new Array<string>(events.length);
    for (let i = 0; i < events.length; i++) names[i] = events[i]!.name;
    this.#events[slot] = eventNameLists.share(this.#name[slot]!, names);
    const at = this.#eventTimes.reserve(events.length, (move) => this.#moveRuns(move, this.#eventAt, this.#events));
    const times = this.#eventTimes.columns[0] as Float64Array;
    for (let i = 0; i < events.length; i++) times[at + i] = Number(events[i]!.timeUnixNano - start);
    this.#eventAt[slot] = at;
  }

  #setLinks(slot: number, links: readonly LinkRecord[]): void {
    this.#linkAt[slot] = WHOLE;
    if (links.length === 0 || !links.every(packableLink)) {
      this.#links[slot] = links.length === 0 ? NONE : links;
      return;
    }
    this.#links[slot] = undefined;
    const at = this.#linkItems.reserve(links.length, (move) => this.#moveRuns(move, this.#linkAt, this.#linkCount));
    const [traceIds, words, traceStates] = this.#linkItems.columns as [string[], Uint32Array, string[]];
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      traceIds[at + i] = this.#shareTraceId(link.traceId);
      words[2 * (at + i)] = hexWord(link.spanId, 0);
      words[2 * (at + i) + 1] = hexWord(link.spanId, 8);
      traceStates[at + i] = link.traceState;
    }
    this.#linkAt[slot] = at;
    this.#linkCount[slot] = links.length;
  }

  /** Moves the live spans' runs of a pool (starts in `starts`, lengths from `lengths`) for its compaction. */
  #moveRuns(
    move: (at: number, count: number) => number,
    starts: Uint32Array,
    lengths: Uint32Array | readonly ({ readonly length: number } | undefined)[],
  ): void {
    for (let slot = 0; slot < this.#used; slot++) {
      const at = starts[slot]!;
      if (this.#live[slot] !== 1 || at === WHOLE) continue;
      const length = lengths[slot]!;
      starts[slot] = move(at, typeof length === 'number' ? length : length.length);
    }
  }

  /** The string kept for a link's trace id `traceId` (the first seen lately), so that equal ids share one string. */
  #shareTraceId(traceId: string): string {
    const known = this.#traceIds.get(traceId);
    if (known !== undefined) return known;
    if (this.#traceIds.size >= 16_384) this.#traceIds = new Map();
    this.#traceIds.set(traceId, traceId);
    return traceId;
  }

  #allocate(): number {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    if (this.#used === this.#capacity) this.#grow(Math.max(1024, 2 * this.#capacity));
    return this.#used++;
  }

  #grow(capacity: number): void {
    this.#capacity = capacity;
    // The reference columns get their room at once, so that a span's stores into them are all in bounds.
    for (const column of this.#references) column.length = capacity;
    this.#live = grown(this.#live, capacity);
    this.#startNs = grown(this.#startNs, capacity);
    this.#startUs = grown(this.#startUs, capacity);
    this.#durationNs = grown(this.#durationNs, capacity);
    this.#ids = grown(this.#ids, 4 * capacity);
    this.#kind = grown(this.#kind, capacity);
    this.#status = grown(this.#status, capacity);
    this.#flags = grown(this.#flags, capacity);
    this.#next = grown(this.#next, capacity);
    this.#eventAt = grown(this.#eventAt, capacity);
    this.#linkAt = grown(this.#linkAt, capacity);
    this.#linkCount = grown(this.#linkCount, capacity);
  }
}

/** Whether a link can be kept in columns: no attributes, a span id of 16 lowercase hex digits. */
function packableLink(link: LinkRecord): boolean {
  return (
    link.attributes.length === 0 &&
    link.spanId.length === 16 &&
    hexWord(link.spanId, 0) >= 0 &&
    hexWord(link.spanId, 8) >= 0
  );
}
