/**
 * A request traced in OpenTelemetry mode: Triton's span tree (`InferRequest` → model → `compute`), plus
 * `infer_callable` for the infer function's call, with every activity as an event. Built from span objects:
 * the application's tracer's, or ts-triton's recorded spans when a request leaves the course a
 * `CompactRequestTrace` records (otlp/compact-request-trace.ts).
 *
 * @module
 */

import { type Context, context, type Span, type SpanContext, trace } from '@opentelemetry/api';
import type { CoreActivity, RequestTracer, TracedSpan } from '../core/trace-hooks.ts';
import { FRONTEND_EVENTS, type FrontendProtocol, type FrontendTrace } from './frontend-trace.ts';
import { CALLABLE_SHAPE, COMPUTE_SHAPE, modelAttributes, modelShape, ROOT_SHAPES } from './tree-shapes.ts';
import { recordFailure, type RootSpanStarter, type TreeSpan } from './tree-span.ts';

/** Options of {@link OtelRequestTrace}. */
export interface OtelRequestTraceOptions {
  /** Starts the root span (ts-triton's recorded spans, or the application's tracer). */
  readonly startRoot: RootSpanStarter;
  /** The propagated (remote) span context, if any. */
  readonly parent: SpanContext | undefined;
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
  readonly #events: (typeof FRONTEND_EVENTS)[FrontendProtocol];
  readonly #tritonId: number;
  readonly #onFinish: () => void;
  readonly #root: TreeSpan;
  #model: TreeSpan | undefined;
  #compute: TreeSpan | undefined;
  #callable: TreeSpan | undefined;

  /** Starts the root `InferRequest` span. */
  constructor(options: OtelRequestTraceOptions) {
    this.#events = FRONTEND_EVENTS[options.protocol];
    this.#tritonId = options.tritonId;
    this.#onFinish = options.onFinish;
    this.#root = options.startRoot(ROOT_SHAPES[options.protocol], options.startNs, options.parent);
    this.#root.mark(this.#events.recvStart, options.startNs);
  }

  received(ns: bigint): void {
    this.#root.mark(this.#events.recvEnd, ns);
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    const span = this.#root.startChild(modelShape(model.name), ns);
    span.annotate(modelAttributes(model, this.#tritonId, requestId));
    span.mark('REQUEST_START', ns);
    this.#model = span;
  }

  activity(name: CoreActivity, ns: bigint): void {
    if (name === 'QUEUE_START') {
      this.#model?.mark(name, ns);
      return;
    }
    if (name === 'COMPUTE_START' && this.#model) this.#compute = this.#model.startChild(COMPUTE_SHAPE, ns);
    this.#compute?.mark(name, ns);
    if (name === 'COMPUTE_END') this.#compute?.finish(ns);
  }

  callableStart(ns: bigint): RequestTracer {
    const span = (this.#compute ?? this.#root).startChild(CALLABLE_SHAPE, ns);
    this.#callable = span;
    return new OtelRequestTracer(span);
  }

  callableEnd(ns: bigint, error?: unknown): void {
    this.#callable?.finish(ns, error);
  }

  responseComplete(ns: bigint): void {
    this.#root.mark('INFER_RESPONSE_COMPLETE', ns);
    if (this.#model) {
      this.#model.mark('REQUEST_END', ns);
      this.#model.finish(ns);
    }
  }

  sendStart(ns: bigint): void {
    this.#root.mark(this.#events.sendStart, ns);
  }

  sendEnd(ns: bigint): void {
    this.#root.mark(this.#events.sendEnd, ns);
    this.#root.finish(ns);
    this.#onFinish();
  }
}

/** `request.span` and `request.tracedSpan` of a request traced in OpenTelemetry mode. */
class OtelRequestTracer implements RequestTracer {
  readonly #span: TreeSpan;
  #context: Context | undefined;

  constructor(span: TreeSpan) {
    this.#span = span;
  }

  get span(): Span {
    return this.#span.api;
  }

  #activeContext(): Context {
    return (this.#context ??= this.#span.activeContext());
  }

  /** Runs `fn` with a child span active, so OpenTelemetry API calls inside it nest under that span. */
  run<T>(name: string, fn: () => T): T {
    const span = this.#span.startCodeSpan(name);
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
      result = context.with(trace.setSpan(this.#activeContext(), span), fn);
    } catch (error) {
      return failed(error);
    }
    if (result instanceof Promise) return result.then(ended, failed) as T;
    return ended(result);
  }

  open(name: string): TracedSpan {
    return this.#span.startCodeSpan(name);
  }
}
