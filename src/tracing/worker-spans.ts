/**
 * Tracing inside a worker instance (loaded there when a traced request arrives): a tracer provider whose spans
 * are kept as plain data and posted to the main thread with the batch's outcome, where the server's one pipeline
 * exports them. `request.span` is the main thread's `infer_callable` span seen from here: its ids parent the spans
 * started under it, and what the code does to it is recorded and replayed on the real span.
 *
 * @module
 */

import { context, type Exception, type Span, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { RemoteSpanData, RequestTracer, SpanCall, TracedSpan } from '../core/trace-hooks.ts';
import { recordFailure } from './tree-span.ts';

/** The scope of `request.tracedSpan` spans: Triton's, as on the main thread (otel-pipeline's TRACER_NAME). */
const CODE_SCOPE = 'triton-server';

let ended: RemoteSpanData[] = [];

const collector: SpanProcessor = {
  onStart: () => {},
  onEnd: (span) => void ended.push(toData(span)),
  forceFlush: async () => {},
  shutdown: async () => {},
};

const provider = new TracerProvider({ spanProcessors: [collector] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
const codeTracer = provider.getTracer(CODE_SCOPE);

/** Spans ended since the last call, for posting to the main thread. */
export function drainSpans(): RemoteSpanData[] {
  const spans = ended;
  ended = [];
  return spans;
}

function toData(span: ReadableSpan): RemoteSpanData {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const scope = span.instrumentationScope;
  return {
    name: span.name,
    kind: span.kind,
    traceId,
    spanId,
    traceFlags,
    parentSpanId: span.parentSpanContext?.spanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code, message: span.status.message },
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, time: e.time, attributes: e.attributes })),
    links: span.links.map((l) => ({ ...l.context, attributes: l.attributes })),
    scope: { name: scope.name, version: scope.version, schemaUrl: scope.schemaUrl },
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
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
  const active = trace.setSpan(context.active(), span);
  const tracer: RequestTracer = {
    span,
    run<T>(name: string, fn: () => T): T {
      const child = codeTracer.startSpan(name, undefined, active);
      const failed = (error: unknown): never => {
        recordFailure(child, error);
        child.end();
        throw error;
      };
      let result: T;
      try {
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
      const child = codeTracer.startSpan(name, undefined, active) as TracedSpan;
      child[Symbol.dispose] = () => child.end();
      return child;
    },
  };
  return { tracer, calls };
}
