/**
 * Tracing inside a worker instance (loaded there when a traced request arrives): spans of `request.tracedSpan`
 * (ts-triton's recorded spans) and of the OpenTelemetry API (an SDK tracer provider registered here) are encoded
 * as OTLP entries as they end, and the bytes are moved to the main thread with the batch's outcome, where the
 * server's one pipeline adds them to its export batches. `request.span` is the main thread's `infer_callable`
 * span seen from here: its ids parent the spans started under it, and what the code does to it is recorded and
 * replayed on the real span.
 *
 * @module
 */

import { type Context, context, type Exception, type Span, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { emptyResource } from '@opentelemetry/resources';
import type { EncodedSpans, RequestTracer, SpanCall, TracedSpan } from '../core/trace-hooks.ts';
import { writeReadableSpanEntry } from './otlp/encode-readable-spans.ts';
import { writeSpanEntry } from './otlp/encode-recorded-spans.ts';
import { RecordedSpan, type SpanScope } from './otlp/recorded-span.ts';
import { recordFailure } from './tree-span.ts';
import { ProtoWriter } from '../wire/proto-writer.ts';

/** The scope of `request.tracedSpan` spans: Triton's, as on the main thread (otel-pipeline's TRACER_NAME). */
const CODE_SCOPE = 'triton-server';

/** The spans of one scope ended since the last drain, encoded as they end. */
interface ScopeEntries {
  readonly scope: EncodedSpans['scope'];
  readonly writer: ProtoWriter;
  ends: number[];
}

/** Per instrumentation scope (by identity: each tracer has its own), what ended since the last drain. */
const ended = new Map<ReadableSpan['instrumentationScope'], ScopeEntries>();

const collector: SpanProcessor = {
  onStart: () => {},
  onEnd: (span) => {
    let entries = ended.get(span.instrumentationScope);
    if (entries === undefined) {
      const { name, version, schemaUrl } = span.instrumentationScope;
      entries = { scope: { name, version, schemaUrl }, writer: new ProtoWriter(4096), ends: [] };
      ended.set(span.instrumentationScope, entries);
    }
    const mark = entries.writer.pos;
    try {
      if (span instanceof RecordedSpan) writeSpanEntry(entries.writer, span);
      else writeReadableSpanEntry(entries.writer, span);
    } catch {
      entries.writer.pos = mark; // a span that cannot be encoded (e.g. a cyclic attribute) is dropped alone
      return;
    }
    entries.ends.push(entries.writer.pos);
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};

const provider = new TracerProvider({ spanProcessors: [collector] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
/** `request.tracedSpan` spans are ts-triton's lean recorded spans, as on the main thread. */
const codeScope: SpanScope = {
  processor: collector,
  resource: emptyResource(),
  instrumentationScope: Object.freeze({ name: CODE_SCOPE }),
};

/**
 * Spans ended since the last call, encoded, for posting to the main thread; their buffers are added to
 * `transfer` (each is the message's own copy).
 */
export function drainSpans(transfer: ArrayBufferLike[]): EncodedSpans[] {
  const drained: EncodedSpans[] = [];
  for (const entries of ended.values()) {
    if (entries.ends.length === 0) continue;
    const bytes = new Uint8Array(entries.writer.finish());
    const ends = Uint32Array.from(entries.ends);
    entries.writer.reset();
    entries.ends = [];
    drained.push({ scope: entries.scope, bytes, ends });
    transfer.push(bytes.buffer, ends.buffer);
  }
  return drained;
}

/** `request.span` in a worker: the main thread's span, whose changes are recorded for replay there. */
function callableSpan(parent: SpanContext, calls: SpanCall[]): Span {
  const spanContext = { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.traceFlags };
  const span: Span = {
    spanContext: () => spanContext,
    setAttribute: (...args) => (calls.push(['setAttribute', ...args]), span),
    setAttributes: (...args) => (calls.push(['setAttributes', ...args]), span),
    addEvent: (...args) => (calls.push(['addEvent', ...args]), span),
    addLink: () => span,
    addLinks: () => span,
    setStatus: (...args) => (calls.push(['setStatus', ...args]), span),
    updateName: (...args) => (calls.push(['updateName', ...args]), span),
    end: () => {},
    isRecording: () => true,
    recordException: (exception: Exception, time) => {
      const wire =
        typeof exception === 'string'
          ? exception
          : { name: exception.name, message: exception.message, stack: exception.stack };
      calls.push(['recordException', wire, time]);
    },
  };
  return span;
}

/** The tracer a worker's request gets, and the calls to its span to replay on the main thread. */
export function remoteRequestTracer(parent: SpanContext): { tracer: RequestTracer; calls: SpanCall[] } {
  const calls: SpanCall[] = [];
  const span = callableSpan(parent, calls);
  const base = context.active();
  let active: Context | undefined; // made on the first run(): open() and untouched requests never need it
  const tracer: RequestTracer = {
    span,
    run<T>(name: string, fn: () => T): T {
      const child = RecordedSpan.codeSpan(codeScope, parent, name);
      const failed = (error: unknown): never => {
        recordFailure(child, error);
        child.end();
        throw error;
      };
      let result: T;
      try {
        active ??= trace.setSpan(base, span);
        result = context.with(trace.setSpan(active, child), fn);
      } catch (error) {
        return failed(error);
      }
      if (result instanceof Promise) {
        return result.then((value: unknown) => {
          child.end();
          return value;
        }, failed) as T;
      }
      child.end();
      return result;
    },
    open(name: string): TracedSpan {
      return RecordedSpan.codeSpan(codeScope, parent, name);
    },
  };
  return { tracer, calls };
}
