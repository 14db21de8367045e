/**
 * A request traced in OpenTelemetry mode: Triton's span tree (`InferRequest` → model → `compute`), plus
 * `infer_callable` for the infer function's call, with every activity as an event.
 *
 * @module
 */

import { type Context, context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { CoreActivity, RequestTracer, TracedSpan } from '../core/trace-hooks.ts';
import { toHrTime } from './clock.ts';
import { FRONTEND_EVENTS, type FrontendProtocol, type FrontendTrace } from './frontend-trace.ts';

const SERVER = { kind: SpanKind.SERVER };

/** Options of {@link OtelRequestTrace}. */
export interface OtelRequestTraceOptions {
  readonly tracer: Tracer;
  /** The propagated context (or the root context). */
  readonly parent: Context;
  readonly protocol: FrontendProtocol;
  /** Triton's numeric trace id. */
  readonly tritonId: number;
  /** When the request arrived. */
  readonly startNs: bigint;
  /** Called once when the trace is complete. */
  readonly onFinish: () => void;
}

/** One request's spans in OpenTelemetry mode. */
export class OtelRequestTrace implements FrontendTrace {
  readonly #tracer: Tracer;
  readonly #events: (typeof FRONTEND_EVENTS)[FrontendProtocol];
  readonly #tritonId: number;
  readonly #onFinish: () => void;
  readonly #root: Span;
  readonly #rootContext: Context;
  #model: Span | undefined;
  #modelContext: Context | undefined;
  #compute: Span | undefined;
  #computeContext: Context | undefined;
  #callable: Span | undefined;

  /** Starts the root `InferRequest` span. */
  constructor(options: OtelRequestTraceOptions) {
    this.#tracer = options.tracer;
    this.#events = FRONTEND_EVENTS[options.protocol];
    this.#tritonId = options.tritonId;
    this.#onFinish = options.onFinish;
    const start = toHrTime(options.startNs);
    this.#root = this.#tracer.startSpan('InferRequest', { ...SERVER, startTime: start }, options.parent);
    this.#root.addEvent(this.#events.recvStart, start);
    this.#rootContext = trace.setSpan(options.parent, this.#root);
  }

  received(ns: bigint): void {
    this.#root.addEvent(this.#events.recvEnd, toHrTime(ns));
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    const time = toHrTime(ns);
    const span = this.#tracer.startSpan(model.name, { ...SERVER, startTime: time }, this.#rootContext);
    span.setAttributes({
      'triton.model_name': model.name,
      'triton.model_version': model.version,
      'triton.trace_id': this.#tritonId,
      'triton.trace_parent_id': 0,
    });
    if (requestId !== '') span.setAttribute('triton.request_id', requestId);
    span.addEvent('REQUEST_START', time);
    this.#model = span;
    this.#modelContext = trace.setSpan(this.#rootContext, span);
  }

  activity(name: CoreActivity, ns: bigint): void {
    const time = toHrTime(ns);
    if (name === 'QUEUE_START') {
      this.#model?.addEvent(name, time);
      return;
    }
    if (name === 'COMPUTE_START' && this.#modelContext) {
      this.#compute = this.#tracer.startSpan('compute', { ...SERVER, startTime: time }, this.#modelContext);
      this.#computeContext = trace.setSpan(this.#modelContext, this.#compute);
    }
    this.#compute?.addEvent(name, time);
    if (name === 'COMPUTE_END') this.#compute?.end(time);
  }

  callableStart(ns: bigint): RequestTracer {
    const parent = this.#computeContext ?? this.#rootContext;
    const span = this.#tracer.startSpan('infer_callable', { ...SERVER, startTime: toHrTime(ns) }, parent);
    this.#callable = span;
    return new OtelRequestTracer(this.#tracer, span, trace.setSpan(parent, span));
  }

  callableEnd(ns: bigint, error?: unknown): void {
    const span = this.#callable;
    if (!span) return;
    if (error !== undefined) recordFailure(span, error);
    span.end(toHrTime(ns));
  }

  responseComplete(ns: bigint): void {
    const time = toHrTime(ns);
    this.#root.addEvent('INFER_RESPONSE_COMPLETE', time);
    if (this.#model) {
      this.#model.addEvent('REQUEST_END', time);
      this.#model.end(time);
    }
  }

  sendStart(ns: bigint): void {
    this.#root.addEvent(this.#events.sendStart, toHrTime(ns));
  }

  sendEnd(ns: bigint): void {
    const time = toHrTime(ns);
    this.#root.addEvent(this.#events.sendEnd, time);
    this.#root.end(time);
    this.#onFinish();
  }
}

function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** `request.span` and `request.tracedSpan` of a request traced in OpenTelemetry mode. */
class OtelRequestTracer implements RequestTracer {
  readonly span: Span;
  readonly #tracer: Tracer;
  readonly #context: Context;

  constructor(tracer: Tracer, span: Span, context: Context) {
    this.#tracer = tracer;
    this.span = span;
    this.#context = context;
  }

  /** Runs `fn` with a child span active, so OpenTelemetry API calls inside it nest under that span. */
  run<T>(name: string, fn: () => T): T {
    const span = this.#tracer.startSpan(name, undefined, this.#context);
    const ended = (value: T): T => {
      span.end();
      return value;
    };
    const failed = (error: unknown): never => {
      recordFailure(span, error);
      span.end();
      throw error;
    };
    let result: T;
    try {
      result = context.with(trace.setSpan(this.#context, span), fn);
    } catch (error) {
      return failed(error);
    }
    if (result instanceof Promise) return result.then(ended, failed) as T;
    return ended(result);
  }

  open(name: string): TracedSpan {
    const span = this.#tracer.startSpan(name, undefined, this.#context) as TracedSpan;
    span[Symbol.dispose] = () => span.end();
    return span;
  }
}
