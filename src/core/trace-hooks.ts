/**
 * The small interface through which the data plane reports a traced request's progress. The tracing
 * package implements it; the core only calls it (and does nothing when a request is not traced).
 *
 * @module
 */

import type { Span, SpanContext } from '@opentelemetry/api';
import type { NDArray } from '../tensor/ndarray.ts';

/** Triton's activities inside the core, in the order they happen. */
export type CoreActivity =
  'QUEUE_START' | 'COMPUTE_START' | 'COMPUTE_INPUT_END' | 'COMPUTE_OUTPUT_START' | 'COMPUTE_END';

/** A span handle from `request.tracedSpan(name)`: the span itself, ended by `using` (dispose). */
export type TracedSpan = Span & Disposable;

/** What a traced request offers the code of an infer function: `request.span` and `request.tracedSpan`. */
export interface RequestTracer {
  /** The span of the infer function call for this request (non-recording when not traced). */
  readonly span: Span;
  /** Runs `fn` inside a child span of `span` and returns its result; a throw is recorded and rethrown. */
  run<T>(name: string, fn: () => T): T;
  /** Starts a child span of `span`, to be ended by `using` or `end()`. */
  open(name: string): TracedSpan;
  /**
   * The context of `span` when it records, undefined when it does not; read without making `span` itself (a
   * request on ts-triton's compact path stays on it). Without it, `span` is asked.
   */
  readonly recordingContext?: () => SpanContext | undefined;
}

/** The context of a tracer's `span` when it records (what a worker instance's spans are parented to). */
export function recordingContextOf(tracer: RequestTracer): SpanContext | undefined {
  if (tracer.recordingContext) return tracer.recordingContext();
  return tracer.span.isRecording() ? tracer.span.spanContext() : undefined;
}

/** What the data plane knows of one execution of a dynamic batch, for its span. */
export interface BatchFacts {
  readonly model: { readonly name: string; readonly version: number };
  /** The batch's rows (the sum of its requests' batch sizes). */
  readonly rows: number;
  /** How many requests it holds. */
  readonly requests: number;
  /** The index of the model instance that executes it. */
  readonly instance: number;
  /** How long its oldest request waited in the queue, in nanoseconds. */
  readonly oldestQueueNs: bigint;
}

/** The span of one execution of a dynamic batch. */
export interface BatchTrace {
  /** Ends it at `ns`; `error` marks it failed (the infer function threw). */
  end(ns: bigint, error?: unknown): void;
}

/** The hooks of one traced request, called by the data plane. */
export interface RequestTrace {
  /**
   * Starts the span of a batch of two or more requests whose traced members are `members` (this one among
   * them), linked to each member's model span; each member's compute span links back to it.
   */
  startBatch?(members: readonly RequestTrace[], facts: BatchFacts, ns: bigint): BatchTrace | undefined;
  /**
   * This request is a member of the batch whose span has `batch` for context: its compute span will link to
   * it. Returns the context of its model span (for the batch span's link), if it has one.
   */
  joinBatch?(batch: SpanContext): SpanContext | undefined;
  /** The request is one of a decoupled model's: its responses are streamed (reported by `response`). */
  streaming?(): void;
  /** One of its streamed responses was delivered at `ns`. */
  response?(ns: bigint): void;
  /** Its stream was cancelled at `ns` (the request's signal aborted with `reason`) before the model ended it. */
  cancelled?(reason: unknown, ns: bigint): void;
  /** The request reached its model (REQUEST_START). */
  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void;
  /** A core activity happened at `ns` (monotonic nanoseconds, `process.hrtime.bigint()`). */
  activity(name: CoreActivity, ns: bigint): void;
  /** Tensor-level tracing of inputs as queued or outputs as produced; undefined when the level is not TENSORS. */
  readonly tensors?: (
    activity: 'TENSOR_QUEUE_INPUT' | 'TENSOR_BACKEND_OUTPUT',
    tensors: Readonly<Record<string, NDArray>>,
  ) => void;
  /** Opens the span around the infer function's call; returns what the user's Request exposes. */
  callableStart(ns: bigint): RequestTracer;
  /** Closes that span; `error` marks it failed. */
  callableEnd(ns: bigint, error?: unknown): void;
  /**
   * The W3C ids of the request's root span, for what points at the trace from outside it (metric exemplars,
   * response headers); absent when the trace does not draw its ids before it is exported.
   */
  readonly rootSpanContext?: () => { readonly traceId: string; readonly spanId: string } | undefined;
}

/** W3C's invalid span context (all-zero ids): what a span that records nothing carries. */
const INVALID_SPAN_CONTEXT: SpanContext = Object.freeze({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

/**
 * `request.span` of a request that is not traced: a span that records nothing, as the OpenTelemetry API's
 * non-recording span. Written here so that a server without tracing never loads the OpenTelemetry API.
 */
const NOOP_SPAN: Span = Object.freeze({
  spanContext: () => INVALID_SPAN_CONTEXT,
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => {},
  isRecording: () => false,
  recordException: () => {},
});

const NOOP_TRACED_SPAN: TracedSpan = Object.freeze(
  Object.assign(Object.create(NOOP_SPAN) as Span, { [Symbol.dispose]: () => {} }),
) as TracedSpan;

/** The tracer of a request that is not traced: a non-recording span, and spans that cost nothing. */
export const NOOP_REQUEST_TRACER: RequestTracer = Object.freeze({
  span: NOOP_SPAN,
  run: <T>(_name: string, fn: () => T): T => fn(),
  open: (): TracedSpan => NOOP_TRACED_SPAN,
  recordingContext: () => undefined,
});

/**
 * Spans recorded in a worker instance, already encoded there as OTLP `Span` entries of a `ScopeSpans` message
 * (field 2), for the main thread's pipeline to add to its export batches as they are.
 */
export interface EncodedSpans {
  /** The instrumentation scope of the tracer that made them. */
  readonly scope: {
    readonly name: string;
    readonly version?: string | undefined;
    readonly schemaUrl?: string | undefined;
  };
  /** The entries, one after another. */
  readonly bytes: Uint8Array;
  /** Where each entry ends in `bytes`. */
  readonly ends: Uint32Array;
}

/** What a worker did to `request.span` (the main thread's span), replayed there: a method name and its arguments. */
export type SpanCall = readonly [
  method: 'setAttribute' | 'setAttributes' | 'addEvent' | 'setStatus' | 'updateName' | 'recordException',
  ...args: unknown[],
];

let remoteSpanSink: ((spans: readonly EncodedSpans[]) => void) | undefined;

/**
 * Sets where spans recorded in worker instances go (the running OpenTelemetry pipeline sets it; undefined when
 * none runs, and such spans are dropped).
 */
export function setRemoteSpanSink(sink: ((spans: readonly EncodedSpans[]) => void) | undefined): void {
  remoteSpanSink = sink;
}

/** Hands spans recorded in a worker instance to the server's export pipeline. */
export function exportRemoteSpans(spans: readonly EncodedSpans[]): void {
  if (spans.length > 0) remoteSpanSink?.(spans);
}
