/**
 * One span of a traced request's tree (`InferRequest`, the model span, `compute`, `infer_callable`), as the
 * request trace drives it: events and ends at monotonic timestamps, children started under it. Two kinds:
 * the spans ts-triton records itself (`RecordedSpan`, when it runs the export pipeline) and {@link ApiTreeSpan},
 * a span of whatever tracer the application registered.
 *
 * @module
 */

import type { Id } from './otlp/span-ids.ts';
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { HrTime } from '@opentelemetry/api';
import type { TracedSpan } from '../core/trace-hooks.ts';
import { toHrTime } from '../core/clock.ts';
import { ON_FAILURE } from './span-tree.ts';

/**
 * A span of the tree as it is when the request goes the usual way: its name and the events it gets, in order.
 * Declared once per kind of span (not per request), so an encoder can prepare the span's bytes once and fill
 * in only the ids and times; a span whose events turn out different is written field by field.
 */
export interface SpanShape {
  readonly name: string;
  readonly events: readonly string[];
}

/** The shape of span `name` with `events` (frozen: shapes are shared by every request). */
export function spanShape(name: string, events: readonly string[] = []): SpanShape {
  return Object.freeze({ name, events: Object.freeze([...events]) });
}

/**
 * Shapes by span name for spans that recur under a few names (a model's, the model code's): one shape per
 * name for the first `limit` names; past that, `unkept(name)`, a shape no span should fit, so such spans are
 * written field by field rather than from a template made for each of them.
 */
export class ShapesByName {
  readonly #shapes = new Map<string, SpanShape>();
  readonly #events: readonly string[];
  readonly #limit: number;
  readonly #unkept: (name: string) => SpanShape;

  constructor(events: readonly string[], unkept: (name: string) => SpanShape, limit = 1024) {
    this.#events = events;
    this.#unkept = unkept;
    this.#limit = limit;
  }

  /** The shape of spans named `name`. */
  shapeOf(name: string): SpanShape {
    return this.kept(name) ?? this.#unkept(name);
  }

  /** The kept shape of spans named `name`, or undefined when no more names are kept. */
  kept(name: string): SpanShape | undefined {
    let shape = this.#shapes.get(name);
    if (shape === undefined) {
      if (this.#shapes.size >= this.#limit) return undefined;
      shape = spanShape(name, this.#events);
      this.#shapes.set(name, shape);
    }
    return shape;
  }
}

/** A span of a request's tree. */
export interface TreeSpan {
  /** The span as OpenTelemetry's API sees it (`request.span`). */
  readonly api: Span;
  /** Adds event `name` at monotonic `ns`. */
  mark(name: string, ns: bigint): void;
  /** Sets attributes computed by ts-triton. */
  annotate(attributes: Attributes): void;
  /** Starts a child span of `kind` (SERVER in Triton's tree) at monotonic `ns`, with `ids` when given. */
  startChild(shape: SpanShape, ns: bigint, kind: SpanKind, ids?: PresetIds): TreeSpan;
  /** Ends the span at monotonic `ns`; an `error` is recorded first ({@link recordTreeFailure}). */
  finish(ns: bigint, error?: unknown): void;
  /** Starts, now, a span of the model code's under this one (`request.tracedSpan`; kind INTERNAL). */
  startCodeSpan(name: string): TracedSpan;
  /** A context in which this span is the active one. */
  activeContext(): Context;
  /** Whether the span took `ids` (it was started with them and can take preset ids). */
  tookIds(ids: PresetIds): boolean;
}

/** Starts the root span of a request's tree, under the propagated `parent` span context when there is one. */
export type RootSpanStarter = (
  shape: SpanShape,
  ns: bigint,
  parent: SpanContext | undefined,
  ids?: PresetIds,
) => TreeSpan;

/**
 * Ids drawn before a span started (a batch's span linked to them), for spans that can take them (ts-triton's
 * recorded spans; an SDK's span draws its own). `traceId` applies to a root without a propagated parent.
 */
export interface PresetIds {
  readonly traceId: Id;
  readonly spanId: Id;
}

/** Records `error` on `span`: an `exception` event and the ERROR status with its message. */
export function recordFailure(span: Span, error: unknown, time?: HrTime): void {
  span.recordException(error instanceof Error ? error : String(error), time);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Records `error` on a span of the tree at monotonic `ns`: what {@link ON_FAILURE} declares. */
export function recordTreeFailure(span: Span, error: unknown, ns: bigint): void {
  recordFailure(span, error, toHrTime(ns));
  for (const attribute of ON_FAILURE.attributes) span.setAttribute(attribute.key, attribute.value(error));
}

/** A tree span of an OpenTelemetry API tracer. */
export class ApiTreeSpan implements TreeSpan {
  readonly api: Span;
  readonly #tracer: Tracer;
  readonly #context: Context;

  /** Starts the span of `shape` at monotonic `ns` under `parent`. */
  constructor(tracer: Tracer, shape: SpanShape, ns: bigint, parent: Context, kind: SpanKind = SpanKind.SERVER) {
    this.#tracer = tracer;
    this.api = tracer.startSpan(shape.name, { kind, startTime: toHrTime(ns) }, parent);
    this.#context = trace.setSpan(parent, this.api);
  }

  /** The root span starter of `tracer`. */
  static starter(tracer: Tracer): RootSpanStarter {
    return (shape, ns, parent) =>
      new ApiTreeSpan(
        tracer,
        shape,
        ns,
        parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent),
      );
  }

  mark(name: string, ns: bigint): void {
    this.api.addEvent(name, toHrTime(ns));
  }

  annotate(attributes: Attributes): void {
    this.api.setAttributes(attributes);
  }

  startChild(shape: SpanShape, ns: bigint, kind: SpanKind): TreeSpan {
    return new ApiTreeSpan(this.#tracer, shape, ns, this.#context, kind);
  }

  finish(ns: bigint, error?: unknown): void {
    if (error !== undefined) recordTreeFailure(this.api, error, ns);
    this.api.end(toHrTime(ns));
  }

  activeContext(): Context {
    return this.#context;
  }

  /** An SDK's span draws its own ids. */
  tookIds(): boolean {
    return false;
  }

  startCodeSpan(name: string): TracedSpan {
    const span = this.#tracer.startSpan(name, undefined, this.#context) as TracedSpan;
    span[Symbol.dispose] = () => span.end();
    return span;
  }
}
