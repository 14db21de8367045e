/**
 * A span as the memory store keeps it: the {@link SpanRecord}'s fields with its events and end time packed, so
 * that a stored span is a few objects rather than two per event and one per time. Spans are stored for a long
 * time, and every object they keep is copied by the young-generation collector before it is promoted
 * (docs/performance.md, "Trace viewer").
 *
 * Events without attributes (Triton's timestamps) are kept as their names, one list shared by the spans that have
 * the same names in the same order, and their times as nanoseconds after the span's start; events with
 * attributes, or times that a double cannot hold exactly, are kept as they came. The end time is kept as the
 * duration in nanoseconds when a double holds it exactly. {@link PackedSpan.unpack} gives the record back whole.
 *
 * @module
 */

import { NONE } from '../otlp/intern.ts';
import type { Attribute, EventRecord, LinkRecord, ResourceRecord, ScopeRecord, SpanRecord } from '../span-record.ts';

const EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** The last list of event names packed for each span name: consecutive spans of one operation share it. */
const eventNames = new Map<string, readonly string[]>();
const MAX_NAME_LISTS = 4096;

/** The shared list of `events`' names (interned strings, compared by identity). */
function namesOf(spanName: string, events: readonly EventRecord[]): readonly string[] {
  const known = eventNames.get(spanName);
  if (known !== undefined && known.length === events.length) {
    let same = true;
    for (let i = 0; i < events.length; i++) {
      if (known[i] !== events[i]!.name) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const names = Object.freeze(events.map((event) => event.name));
  if (eventNames.size >= MAX_NAME_LISTS) eventNames.clear();
  eventNames.set(spanName, names);
  return names;
}

/** Whether `events` can be packed: none has attributes, and each is within 2^53 ns of `start`. */
function packable(events: readonly EventRecord[], start: bigint): boolean {
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.attributes.length !== 0) return false;
    const offset = event.timeUnixNano - start;
    if (offset > EXACT || offset < -EXACT) return false;
  }
  return true;
}

/** A stored span. It reads as the {@link SpanRecord} it was packed from. */
export class PackedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  /** The end time less the start (exact up to 2^53 ns; beyond that the end itself is kept as well). */
  readonly durationNs: number;
  readonly attributes: readonly Attribute[];
  readonly links: readonly LinkRecord[];
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly flags: number;
  readonly resource: ResourceRecord;
  readonly scope: ScopeRecord;
  /** The events' names (packed), or the events themselves (not packed). */
  readonly #events: readonly string[] | readonly EventRecord[];
  /** The packed events' times, in ns after the start; undefined when not packed. */
  readonly #offsets: number[] | undefined;
  readonly #end: bigint | undefined;

  /**
   * @param span - the span to pack.
   * @param spanId - its span id, and
   * @param parentSpanId - its parent's, as strings the trace already holds (equal to the span's).
   */
  constructor(span: SpanRecord, spanId = span.spanId, parentSpanId = span.parentSpanId) {
    const start = span.startTimeUnixNano;
    this.traceId = span.traceId;
    this.spanId = spanId;
    this.parentSpanId = parentSpanId;
    this.traceState = span.traceState;
    this.name = span.name;
    this.kind = span.kind;
    this.startTimeUnixNano = start;
    const duration = span.endTimeUnixNano - start;
    this.durationNs = Number(duration);
    this.#end = duration <= EXACT && duration >= -EXACT ? undefined : span.endTimeUnixNano;
    this.attributes = span.attributes;
    this.links = span.links;
    this.statusCode = span.statusCode;
    this.statusMessage = span.statusMessage;
    this.flags = span.flags;
    this.resource = span.resource;
    this.scope = span.scope;
    const events = span.events;
    if (events.length === 0) {
      this.#events = NONE;
      this.#offsets = undefined;
    } else if (packable(events, start)) {
      this.#events = namesOf(span.name, events);
      const offsets = new Array<number>(events.length);
      for (let i = 0; i < events.length; i++) offsets[i] = Number(events[i]!.timeUnixNano - start);
      this.#offsets = offsets;
    } else {
      this.#events = events;
      this.#offsets = undefined;
    }
  }

  get endTimeUnixNano(): bigint {
    return this.#end ?? this.startTimeUnixNano + BigInt(this.durationNs);
  }

  /** The events, made again from their packed form (a new list on each read). */
  get events(): readonly EventRecord[] {
    const offsets = this.#offsets;
    if (offsets === undefined) return this.#events as readonly EventRecord[];
    const names = this.#events as readonly string[];
    const start = this.startTimeUnixNano;
    return names.map((name, i) => ({ timeUnixNano: start + BigInt(offsets[i]!), name, attributes: NONE }));
  }

  /** How many events the span has. */
  get eventCount(): number {
    return this.#events.length;
  }

  /** The events kept as they came (none when packed): the only ones that can carry attributes. */
  get wholeEvents(): readonly EventRecord[] {
    return this.#offsets === undefined ? (this.#events as readonly EventRecord[]) : NONE;
  }

  /** The span as a record, whole. */
  unpack(): SpanRecord {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      traceState: this.traceState,
      name: this.name,
      kind: this.kind,
      startTimeUnixNano: this.startTimeUnixNano,
      endTimeUnixNano: this.endTimeUnixNano,
      attributes: this.attributes,
      events: this.events,
      links: this.links,
      statusCode: this.statusCode,
      statusMessage: this.statusMessage,
      flags: this.flags,
      resource: this.resource,
      scope: this.scope,
    };
  }
}
