/**
 * The index structures of the memory store: lists of traces in arrival order (walked newest first, evicted
 * traces dropped lazily), exact duration ranks kept incrementally, the best traces of a search, and the Bloom
 * masks that let a tag search pass over a trace without looking at its spans.
 *
 * @module
 */

import type { Attribute, AttributeValue } from '../span-record.ts';
import type { SpanTable } from './span-table.ts';

/** What the lists hold: a stored trace, marked when evicted. */
export interface ListedTrace {
  evicted: boolean;
}

/**
 * Traces in arrival order. Eviction takes the oldest traces, so removed entries are mostly at the head; the rest
 * are dropped lazily (an entry is skipped while evicted, and the list compacted when half of it is).
 */
export class TraceList<T extends ListedTrace> {
  #items: T[] = [];
  #head = 0;
  #dead = 0;

  /** Live traces in the list. */
  get size(): number {
    return this.#items.length - this.#head - this.#dead;
  }

  push(trace: T): void {
    this.#items.push(trace);
  }

  /** The oldest live trace (evicted ones at the head are passed over as they are dropped). */
  oldest(): T | undefined {
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) if (!items[i]!.evicted) return items[i];
    return undefined;
  }

  /** Notes that one of the list's traces was evicted. */
  dropped(): void {
    this.#dead++;
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.evicted) {
      this.#head++;
      this.#dead--;
    }
    if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    } else if (this.#dead > 1024 && this.#dead * 2 > items.length - this.#head) {
      this.#items = items.slice(this.#head).filter((trace) => !trace.evicted);
      this.#head = 0;
      this.#dead = 0;
    }
  }

  /** The live traces, newest first. */
  *newestFirst(): Generator<T> {
    const items = this.#items;
    for (let i = items.length - 1; i >= this.#head; i--) {
      const trace = items[i]!;
      if (!trace.evicted) yield trace;
    }
  }
}

/**
 * Pending additions or removals are merged into the sorted array past this many, or past a 16th of its length
 * (a merge copies the whole array; a rank counts the pending ones one by one).
 */
const PENDING_LIMIT = 2048;

/** Index of the first element of `sorted[0, length)` greater than `value`. */
function upperBound(sorted: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The durations of one operation's spans, for exact ranks: a sorted array, with additions and removals since
 * the last merge kept aside (a rank counts them one by one) and merged in once either is long.
 */
export class DurationIndex {
  #sorted = new Float64Array(16);
  #length = 0;
  #added: number[] = [];
  #removed: number[] = [];

  get count(): number {
    return this.#length + this.#added.length - this.#removed.length;
  }

  add(durationUs: number): void {
    this.#added.push(durationUs);
    if (this.#added.length > this.#pendingLimit()) this.#merge();
  }

  /** Removes a duration added before. */
  remove(durationUs: number): void {
    this.#removed.push(durationUs);
    if (this.#removed.length > this.#pendingLimit()) this.#merge();
  }

  /** How many durations are less than or equal to `durationUs`. */
  atMost(durationUs: number): number {
    let count = upperBound(this.#sorted, this.#length, durationUs);
    for (const added of this.#added) if (added <= durationUs) count++;
    for (const removed of this.#removed) if (removed <= durationUs) count--;
    return count;
  }

  #pendingLimit(): number {
    return Math.max(PENDING_LIMIT, this.#length >>> 4);
  }

  #merge(): void {
    const added = Float64Array.from(this.#added).sort();
    const removed = Float64Array.from(this.#removed).sort();
    const total = this.#length + added.length;
    const merged = new Float64Array(Math.max(16, total - removed.length));
    const sorted = this.#sorted;
    let i = 0;
    let j = 0;
    let r = 0;
    let out = 0;
    while (i < this.#length || j < added.length) {
      const value = j >= added.length || (i < this.#length && sorted[i]! <= added[j]!) ? sorted[i++]! : added[j++]!;
      // Drop one stored copy of each removed duration (removals are of durations added before).
      while (r < removed.length && removed[r]! < value) r++;
      if (r < removed.length && removed[r] === value) {
        r++;
        continue;
      }
      merged[out++] = value;
    }
    this.#sorted = merged;
    this.#length = out;
    this.#added = [];
    this.#removed = [];
  }
}

/** The best `limit` traces by a key (largest first), kept as a min-heap. */
export class TopTraces<T> {
  readonly #limit: number;
  readonly #keys: number[] = [];
  readonly #traces: T[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** A key must be above this to enter. */
  get floor(): number {
    if (this.#limit <= 0) return Infinity;
    return this.#keys.length < this.#limit ? -Infinity : this.#keys[0]!;
  }

  offer(key: number, trace: T): void {
    if (key <= this.floor) return;
    const keys = this.#keys;
    const traces = this.#traces;
    let i: number;
    if (keys.length < this.#limit) {
      keys.push(key);
      traces.push(trace);
      i = keys.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (keys[parent]! <= keys[i]!) break;
        this.#swap(i, parent);
        i = parent;
      }
      return;
    }
    keys[0] = key;
    traces[0] = trace;
    i = 0;
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
  sorted(): T[] {
    const order = this.#keys.map((key, i) => ({ key, trace: this.#traces[i]! }));
    order.sort((a, b) => b.key - a.key);
    return order.map((entry) => entry.trace);
  }
}

/** An attribute value as the string a tag query compares against. */
export function valueText(value: AttributeValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

/**
 * A Bloom mask of `key=value` pairs: two bits of 30 per pair in each of two words (small integers, so stored
 * unboxed). A pair whose bits are not all set is certainly absent.
 */
export interface TagMask {
  low: number;
  high: number;
}

/** The bits of one pair in a {@link TagMask}. */
export function pairBits(key: string, value: string): TagMask {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ 0x3d, 0x01000193);
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  hash >>>= 0;
  return {
    low: (1 << (hash % 30)) | (1 << ((hash >>> 5) % 30)),
    high: (1 << ((hash >>> 10) % 30)) | (1 << ((hash >>> 15) % 30)),
  };
}

/** Adds attributes to a mask. */
function addAttributes(mask: TagMask, attributes: readonly Attribute[]): void {
  for (const { key, value } of attributes) {
    const bits = pairBits(key, valueText(value));
    mask.low |= bits.low;
    mask.high |= bits.high;
  }
}

/** Masks of resources and scopes, which many spans share. */
const sharedMasks = new WeakMap<object, TagMask>();

function sharedMask(holder: { readonly attributes: readonly Attribute[] }): TagMask {
  let mask = sharedMasks.get(holder);
  if (mask === undefined) {
    mask = { low: 0, high: 0 };
    addAttributes(mask, holder.attributes);
    sharedMasks.set(holder, mask);
  }
  return mask;
}

/** The mask of every attribute a tag query can match on `count` spans of a trace from slot `first`: theirs, their resources', scopes', events', links'. */
export function spansMask(table: SpanTable, first: number, count: number): TagMask {
  const mask: TagMask = { low: 0, high: 0 };
  let lastResource: object | undefined;
  let lastScope: object | undefined;
  for (let i = 0, slot = first; i < count; i++, slot = table.next(slot)) {
    addAttributes(mask, table.attributes(slot));
    for (const event of table.wholeEvents(slot)) addAttributes(mask, event.attributes);
    for (const link of table.wholeLinks(slot)) addAttributes(mask, link.attributes);
    const resource = table.resource(slot);
    if (resource !== lastResource) {
      const shared = sharedMask(resource);
      mask.low |= shared.low;
      mask.high |= shared.high;
      lastResource = resource;
    }
    const scope = table.scope(slot);
    if (scope !== lastScope) {
      const shared = sharedMask(scope);
      mask.low |= shared.low;
      mask.high |= shared.high;
      lastScope = scope;
    }
  }
  return mask;
}
