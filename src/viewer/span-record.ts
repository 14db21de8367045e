/**
 * A span as the trace viewer receives, stores and serves it: decoded from OTLP (protobuf or JSON), independent of
 * the wire form and of the JSON the query APIs answer with. The OTLP decoders produce it; the stores keep it (in
 * any internal form they like) and give it back; the Jaeger (v1) and OTLP-JSON (v3) views are derived from it.
 *
 * @module
 */

/** An attribute's value with OTLP's types kept: integers are `bigint` (Jaeger's int64), doubles `number`. */
export type AttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | null
  | { readonly array: readonly AttributeValue[] }
  | { readonly kvlist: readonly Attribute[] };

/** One key/value attribute (OTLP `KeyValue`). */
export interface Attribute {
  readonly key: string;
  readonly value: AttributeValue;
}

/** OTLP `Resource`: the process that sent the span. Spans of one export share one object. */
export interface ResourceRecord {
  /** The `service.name` attribute, or '' when absent. */
  readonly serviceName: string;
  /** Every resource attribute, `service.name` included. */
  readonly attributes: readonly Attribute[];
}

/** OTLP `InstrumentationScope`. Spans of one scope in one export share one object. */
export interface ScopeRecord {
  readonly name: string;
  readonly version: string;
  readonly attributes: readonly Attribute[];
}

/** OTLP `Span.Event`. */
export interface EventRecord {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: readonly Attribute[];
}

/** OTLP `Span.Link`. */
export interface LinkRecord {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: readonly Attribute[];
}

/** OTLP `SpanKind` numbers. */
export const SpanKind = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** OTLP `Status.StatusCode` numbers. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

/** One span, whole. */
export interface SpanRecord {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits, or '' for a root span. */
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  /** A {@link SpanKind} number. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly Attribute[];
  readonly events: readonly EventRecord[];
  readonly links: readonly LinkRecord[];
  /** A {@link StatusCode} number. */
  readonly statusCode: number;
  readonly statusMessage: string;
  /** OTLP span flags (W3C trace flags in the low byte). */
  readonly flags: number;
  readonly resource: ResourceRecord;
  readonly scope: ScopeRecord;
}
