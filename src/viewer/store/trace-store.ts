/**
 * What every trace store (in memory, SQLite) offers the receivers and the query APIs.
 *
 * Matching follows Jaeger's memory store: a trace qualifies when one of its spans meets every filter of the query
 * (service, operation, span kind, start window, duration range, every tag). A tag `key=value` matches when the
 * value, as a string, equals a span, scope, resource, event or link attribute of that key; `error=true|false` tests
 * the span's status (ERROR or not); `span.kind=server` (client, producer, consumer, internal) tests its kind.
 *
 * @module
 */

import type { SpanRecord } from '../span-record.ts';

/** A search, in the units of Jaeger's API (microseconds since the epoch, durations in microseconds). */
export interface TraceQuery {
  readonly service?: string;
  readonly operation?: string;
  /** A SpanKind number the matching span must have. */
  readonly spanKind?: number;
  /** Pairs that must all match on the same span. */
  readonly tags?: readonly (readonly [key: string, value: string])[];
  /** Bounds on the matching span's start time, inclusive. */
  readonly startMinUs?: number;
  readonly startMaxUs?: number;
  /** Bounds on the matching span's duration, inclusive. */
  readonly minDurationUs?: number;
  readonly maxDurationUs?: number;
  /** The most traces returned. */
  readonly limit: number;
}

/** An operation seen for a service, with the span kind it was seen with. */
export interface OperationRecord {
  readonly name: string;
  /** A SpanKind number. */
  readonly kind: number;
}

/** Counters a store keeps; shown by the viewer and exported as metrics. */
export interface StoreStats {
  readonly spans: number;
  readonly traces: number;
  /** Estimated bytes held for the stored spans. */
  readonly bytes: number;
  readonly maxSpans: number;
  readonly maxBytes: number;
  /** Whole traces evicted to stay within the bounds, since start. */
  readonly evictedTraces: number;
  /** Spans those evictions removed, since start. */
  readonly evictedSpans: number;
}

/** Where a span's duration stands among the stored spans of the same service and operation. */
export interface DurationRank {
  /** Percent of those spans (0–100) whose duration is less than or equal to the one asked about. */
  readonly percentile: number;
  /** How many spans the rank is taken over. */
  readonly count: number;
}

/** A trace store. Every method is synchronous (node:sqlite is too) and never throws on well-formed input. */
export interface TraceStore {
  /** Adds spans from one export; spans of traces already stored join them. */
  add(spans: readonly SpanRecord[]): void;
  /** Every service name stored, sorted. */
  services(): string[];
  /** The distinct (operation, kind) pairs of a service, sorted by name. */
  operations(service: string): OperationRecord[];
  /** Traces matching the query, newest (by latest matching span start) first, at most `query.limit`. */
  search(query: TraceQuery): SpanRecord[][];
  /** One trace's spans, or undefined when none is stored. */
  trace(traceId: string): SpanRecord[] | undefined;
  /** Ranks a duration among the spans of one service and operation. */
  rankDuration(service: string, operation: string, durationUs: number): DurationRank;
  stats(): StoreStats;
  /** Calls `listener` with the trace id whenever spans of a trace are added; returns the unsubscribe function. */
  subscribe(listener: (traceId: string) => void): () => void;
  close(): void;
}
