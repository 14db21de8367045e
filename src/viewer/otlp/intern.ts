/**
 * Interning for decoded spans: the stores keep spans for a long time, and most of their strings and attributes
 * repeat (attribute keys, span and event names, service names, attribute pairs such as
 * `model.name=passthrough`). Interning makes each one object, shared by every span that carries it, and lets
 * the decoders give one ResourceRecord / ScopeRecord object to every export of the same resource / scope.
 *
 * Each table is bounded: when full it is emptied and refilled, so a stream of distinct values costs no memory.
 *
 * @module
 */

import type { Attribute, AttributeValue, ResourceRecord, ScopeRecord } from '../span-record.ts';

/** Strings longer than this are not interned (they are rarely repeated: messages, SQL, payloads). */
export const MAX_INTERNED_LENGTH = 96;
/** Entries per table before it is emptied. */
const MAX_ENTRIES = 32_768;
/** Resources and scopes remembered (by their encoded form). */
const MAX_RECORDS = 1024;

const strings = new Map<string, string>();
/** Attribute pairs by key, then by (string or boolean) value. */
const pairs = new Map<string, Map<string | boolean, Attribute>>();
let pairCount = 0;
const resources = new Map<string, ResourceRecord>();
const scopes = new Map<string, ScopeRecord>();

/** The one shared empty list. */
export const NONE: readonly never[] = Object.freeze([]);

/** The shared copy of a short string. */
export function intern(text: string): string {
  if (text.length > MAX_INTERNED_LENGTH) return text;
  const known = strings.get(text);
  if (known !== undefined) return known;
  if (strings.size >= MAX_ENTRIES) strings.clear();
  strings.set(text, text);
  return text;
}

/**
 * An attribute, shared with every other attribute of the same key and (short string or boolean) value. `key` and
 * a string `value` should be interned already (they are looked up by identity first).
 */
export function attribute(key: string, value: AttributeValue): Attribute {
  if (typeof value === 'string') {
    if (value.length > MAX_INTERNED_LENGTH) return { key, value };
  } else if (typeof value !== 'boolean') {
    return { key, value };
  }
  let byValue = pairs.get(key);
  if (byValue === undefined) {
    if (pairCount >= MAX_ENTRIES) {
      pairs.clear();
      pairCount = 0;
    }
    byValue = new Map();
    pairs.set(key, byValue);
  }
  const known = byValue.get(value);
  if (known !== undefined) return known;
  if (pairCount++ >= MAX_ENTRIES) {
    pairs.clear();
    pairCount = 1;
    byValue = new Map();
    pairs.set(key, byValue);
  }
  const made: Attribute = Object.freeze({ key, value });
  byValue.set(value, made);
  return made;
}

/**
 * Values found by the bytes they were decoded from, so that bytes seen before are neither decoded nor hashed
 * into a map again. Each slot holds the last value whose bytes hashed to it (a collision replaces it), and its
 * bytes in one block allocated up front: holding new bytes allocates nothing.
 */
export class BytesTable<T> {
  readonly #mask: number;
  readonly #width: number;
  readonly #block: Uint8Array;
  readonly #lengths: Int32Array;
  readonly #values: (T | undefined)[];

  /**
   * @param slots - a power of two.
   * @param width - the longest bytes held (longer ones are never found).
   */
  constructor(slots: number, width: number) {
    this.#mask = slots - 1;
    this.#width = width;
    this.#block = new Uint8Array(slots * width);
    this.#lengths = new Int32Array(slots).fill(-1);
    this.#values = new Array<T | undefined>(slots).fill(undefined);
  }

  /** The slot of `buf[start, end)`. */
  slot(buf: Buffer, start: number, end: number): number {
    let hash = end - start;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    return (hash ^ (hash >>> 15)) & this.#mask;
  }

  /** The value held in `slot` if it was decoded from the bytes `buf[start, end)`. */
  get(slot: number, buf: Buffer, start: number, end: number): T | undefined {
    if (this.#lengths[slot] !== end - start) return undefined;
    const block = this.#block;
    for (let i = slot * this.#width, at = start; at < end; i++, at++) if (block[i] !== buf[at]) return undefined;
    return this.#values[slot];
  }

  /** Holds `value`, decoded from `buf[start, end)`, in `slot` (unless the bytes are too long to hold). */
  set(slot: number, buf: Buffer, start: number, end: number, value: T): void {
    if (end - start > this.#width) return;
    const block = this.#block;
    for (let i = slot * this.#width, at = start; at < end; i++, at++) block[i] = buf[at]!;
    this.#lengths[slot] = end - start;
    this.#values[slot] = value;
  }
}

const texts = new BytesTable<string>(8192, MAX_INTERNED_LENGTH);

/**
 * The shared string of the UTF-8 bytes `buf[start, end)`, found by the bytes themselves (see {@link BytesTable}).
 */
export function internBytes(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length > MAX_INTERNED_LENGTH) return buf.toString('utf8', start, end);
  const slot = texts.slot(buf, start, end);
  const known = texts.get(slot, buf, start, end);
  if (known !== undefined) return known;
  const text = intern(buf.toString('utf8', start, end));
  texts.set(slot, buf, start, end, text);
  return text;
}

/**
 * The shared resource for `encoded` (its wire bytes or JSON text), made by `make` the first time.
 */
export function sharedResource(encoded: string, make: () => ResourceRecord): ResourceRecord {
  const known = resources.get(encoded);
  if (known !== undefined) return known;
  if (resources.size >= MAX_RECORDS) resources.clear();
  const made = make();
  resources.set(encoded, made);
  return made;
}

/** The shared scope for `encoded` (its wire bytes or JSON text), made by `make` the first time. */
export function sharedScope(encoded: string, make: () => ScopeRecord): ScopeRecord {
  const known = scopes.get(encoded);
  if (known !== undefined) return known;
  if (scopes.size >= MAX_RECORDS) scopes.clear();
  const made = make();
  scopes.set(encoded, made);
  return made;
}

/** A resource record from its attributes: `serviceName` is the `service.name` string attribute. */
export function resourceRecord(attributes: readonly Attribute[]): ResourceRecord {
  let serviceName = '';
  for (const { key, value } of attributes) {
    if (key === 'service.name' && typeof value === 'string') serviceName = value;
  }
  return Object.freeze({ serviceName: intern(serviceName), attributes });
}
