/**
 * A request traced in OpenTelemetry mode: Triton's span tree (`InferRequest` → model → `compute`), plus
 * `infer_callable` for the infer function's call, with every activity as an event.
 *
 * @module
 */

import { type Attributes, type Context, context, type Span, type SpanContext, trace } from '@opentelemetry/api';
import type { CoreActivity, RequestTracer, TracedSpan } from '../core/trace-hooks.ts';
import { FRONTEND_EVENTS, type FrontendProtocol, type FrontendTrace } from './frontend-trace.ts';
import { recordFailure, type RootSpanStarter, type SpanShape, spanShape, type TreeSpan } from './tree-span.ts';

/** The root span's shape per protocol: received, response complete, sent. */
const ROOT_SHAPES: Readonly<Record<FrontendProtocol, SpanShape>> = {
  HTTP: rootShape(FRONTEND_EVENTS.HTTP),
  GRPC: rootShape(FRONTEND_EVENTS.GRPC),
};
const COMPUTE_SHAPE = spanShape('compute', ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END']);
const CALLABLE_SHAPE = spanShape('infer_callable');
const MODEL_EVENTS = ['REQUEST_START', 'QUEUE_START', 'REQUEST_END'];
/**
 * Model span shapes kept (one per model name). Past that, a model's spans get a shape without events, which
 * they never fit, so they are written field by field rather than from a template made per request.
 */
const MODEL_SHAPES_KEPT = 1024;
const modelShapes = new Map<string, SpanShape>();

function rootShape(events: (typeof FRONTEND_EVENTS)[FrontendProtocol]): SpanShape {
  return spanShape('InferRequest', [events.recvStart, events.recvEnd, 'INFER_RESPONSE_COMPLETE', events.sendStart, events.sendEnd]);
}

/** The shape of the span of model `name`. */
function modelShape(name: string): SpanShape {
  let shape = modelShapes.get(name);
  if (shape === undefined) {
    if (modelShapes.size >= MODEL_SHAPES_KEPT) return spanShape(name);
    shape = spanShape(name, MODEL_EVENTS);
    modelShapes.set(name, shape);
  }
  return shape;
}

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

function modelAttributes(
  model: { readonly name: string; readonly version: number },
  tritonId: number,
  requestId: string,
): Attributes {
  const attributes: Attributes = {
    'triton.model_name': model.name,
    'triton.model_version': model.version,
    'triton.trace_id': tritonId,
    'triton.trace_parent_id': 0,
  };
  if (requestId !== '') attributes['triton.request_id'] = requestId;
  return attributes;
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
