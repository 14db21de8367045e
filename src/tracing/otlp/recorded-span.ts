/**
 * The spans ts-triton records itself in OpenTelemetry mode when it runs the export pipeline (its tree's, and
 * those model code opens with `request.tracedSpan`): a lean span that is at once an OpenTelemetry API `Span`
 * (what `request.span` is, so model code can add attributes and events and parent its own spans on it) and an
 * SDK `ReadableSpan` (what the batch span processor queues).
 * Times are kept as the monotonic nanoseconds ts-triton reads (the OTLP encoder adds the wall-clock offset as
 * it writes them), and ids as 32-bit words; the span context, hex ids and the `ReadableSpan` views
 * (`startTime`, `events`, …) are built only if something asks for them.
 *
 * Behaviour follows the SDK's span: attribute and event limits (the SDK's defaults), attribute value
 * checks, operations after `end()` ignored with a diagnostic, `recordException` as an `exception` event.
 *
 * @module
 */

import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type AttributeValue,
  type Exception,
  diag,
  type HrTime,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
  type TraceState,
} from '@opentelemetry/api';
import { AddAttributeDecision, cleanAttributes, cleanSimpleAttributes, maybeAddAttribute } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { type Id, idFromHex, newSpanId, newTraceId } from './span-ids.ts';
import { nowNs, timeInputToMonotonicNs, toHrTime } from '../../core/clock.ts';
import type { TracedSpan } from '../../core/trace-hooks.ts';
import {
  type PresetIds,
  recordTreeFailure,
  type RootSpanStarter,
  type SpanShape,
  ShapesByName,
  spanShape,
  type TreeSpan,
} from '../tree-span.ts';

/** The SDK's default span limits. */
const LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: Infinity } as const;
const EVENT_COUNT_LIMIT = 128;
const LINK_COUNT_LIMIT = 128;

// Shared until a span gets its own (most recorded spans never have attributes, links or a status).
/** The attributes of a span that has none (shared; the encoder skips it without looking inside). */
export const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
/** The status of a span whose status was never set (shared). */
export const UNSET_STATUS: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });

/** The shape of a code span whose name is not kept: no span has its name, so none is written from it. */
const UNKEPT_SHAPE = spanShape('\u0000unkept');
/** Shapes of the model code's spans, by name (most code opens a few names over and over). */
const codeSpanShapes = new ShapesByName([], () => UNKEPT_SHAPE);

/** What every span of one pipeline shares. */
export interface SpanScope {
  readonly processor: SpanProcessor;
  readonly resource: Resource;
  readonly instrumentationScope: { readonly name: string; readonly version?: string };
}

/** The parent of a new span: another recorded span, a remote span context, or none (a new trace). */
export type SpanParent = RecordedSpan | SpanContext | undefined;

/** One event of a recorded span. */
export interface RecordedEvent {
  readonly name: string;
  /** Monotonic nanoseconds (`process.hrtime.bigint()`). */
  readonly ns: bigint;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

/** A span recorded by ts-triton (see the module comment). */
export class RecordedSpan implements Span, ReadableSpan, TreeSpan, TracedSpan {
  name: string;
  /** What the span is expected to look like (the encoder writes a span that still fits it from a template). */
  readonly shape: SpanShape;
  readonly kind: SpanKind;
  readonly resource: Resource;
  readonly instrumentationScope: { readonly name: string; readonly version?: string };
  readonly #scope: SpanScope;
  readonly #parent: RecordedSpan | SpanContext | undefined;
  #context: SpanContext | undefined;
  /** The ids, as words for the encoder. */
  readonly traceId: Id;
  readonly spanId: Id;
  readonly parentSpanId: Id | undefined;
  /** Whether the parent is a propagated (remote) span context. */
  readonly parentIsRemote: boolean;
  readonly traceState: TraceState | undefined;
  /** Monotonic nanoseconds. */
  readonly startNs: bigint;
  endNs = 0n;
  ended = false;
  attributes: Attributes = NO_ATTRIBUTES;
  #attributeCount = 0;
  droppedAttributesCount = 0;
  readonly recordedEvents: RecordedEvent[] = [];
  droppedEventsCount = 0;
  links: Link[] = NO_LINKS;
  droppedLinksCount = 0;
  status: SpanStatus = UNSET_STATUS;

  /**
   * Starts a span (always sampled: like Triton, a propagated context that is not sampled is still traced).
   * @param startNs - monotonic nanoseconds.
   * @param name - the span's name, when it is not its shape's.
   */
  constructor(
    scope: SpanScope,
    shape: SpanShape,
    kind: SpanKind,
    parent: SpanParent,
    startNs: bigint,
    name: string = shape.name,
    ids?: PresetIds,
  ) {
    this.#scope = scope;
    this.resource = scope.resource;
    this.instrumentationScope = scope.instrumentationScope;
    this.name = name;
    this.shape = shape;
    this.kind = kind;
    this.startNs = startNs;
    this.spanId = ids?.spanId ?? newSpanId();
    this.#parent = parent;
    if (parent instanceof RecordedSpan) {
      this.traceId = parent.traceId;
      this.parentSpanId = parent.spanId;
      this.parentIsRemote = false;
      this.traceState = parent.traceState;
    } else if (parent !== undefined) {
      this.traceId = idFromHex(parent.traceId);
      this.parentSpanId = idFromHex(parent.spanId);
      this.parentIsRemote = parent.isRemote === true;
      this.traceState = parent.traceState;
    } else {
      this.traceId = ids?.traceId ?? newTraceId();
      this.parentSpanId = undefined;
      this.parentIsRemote = false;
      this.traceState = undefined;
    }
  }

  spanContext(): SpanContext {
    if (this.#context === undefined) {
      const { traceId, spanId, traceState } = this;
      this.#context =
        traceState === undefined
          ? { traceId: traceId.hex, spanId: spanId.hex, traceFlags: TraceFlags.SAMPLED }
          : { traceId: traceId.hex, spanId: spanId.hex, traceFlags: TraceFlags.SAMPLED, traceState };
    }
    return this.#context;
  }

  get parentSpanContext(): SpanContext | undefined {
    const parent = this.#parent;
    return parent instanceof RecordedSpan ? parent.spanContext() : parent;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  /** The root span starter of a pipeline: spans of kind SERVER under the propagated context's span. */
  static starter(scope: SpanScope): RootSpanStarter {
    return (shape, ns, parent, ids) => new RecordedSpan(scope, shape, SpanKind.SERVER, parent, ns, shape.name, ids);
  }

  // TreeSpan: what the request trace calls, with ts-triton's own (valid) names, values and monotonic times.

  get api(): Span {
    return this;
  }

  mark(name: string, ns: bigint): void {
    if (this.ended) return;
    if (this.recordedEvents.length >= EVENT_COUNT_LIMIT) this.#dropOldestEvent();
    this.recordedEvents.push({ name, ns });
  }

  annotate(attributes: Attributes): void {
    if (this.#attributeCount === 0) {
      this.attributes = attributes;
      this.#attributeCount = Object.keys(attributes).length;
    } else this.setAttributes(attributes);
  }

  startChild(shape: SpanShape, ns: bigint, kind: SpanKind, ids?: PresetIds): TreeSpan {
    return new RecordedSpan(this.#scope, shape, kind, this, ns, shape.name, ids);
  }

  finish(ns: bigint, error?: unknown): void {
    if (error !== undefined) recordTreeFailure(this, error, ns);
    this.endAt(ns);
  }

  activeContext(): Context {
    return trace.setSpan(ROOT_CONTEXT, this);
  }

  tookIds(ids: PresetIds): boolean {
    return this.spanId === ids.spanId;
  }

  startCodeSpan(name: string): TracedSpan {
    return RecordedSpan.codeSpan(this.#scope, this, name);
  }

  /** A span of model code (`request.tracedSpan`) named `name` under `parent`, starting now. */
  static codeSpan(scope: SpanScope, parent: SpanParent, name: string): RecordedSpan {
    return new RecordedSpan(scope, codeSpanShapes.shapeOf(name), SpanKind.INTERNAL, parent, nowNs(), name);
  }

  /** Ends the span (`using span = request.tracedSpan(...)`). */
  [Symbol.dispose](): void {
    this.end();
  }

  /** Ends the span at monotonic `ns` and hands it to the span processor. */
  endAt(ns: bigint): void {
    if (this.#warnIfEnded()) return;
    this.endNs = ns < this.startNs ? this.startNs : ns;
    this.ended = true;
    if (this.droppedEventsCount > 0)
      diag.warn(`Dropped ${this.droppedEventsCount} events because eventCountLimit reached`);
    this.#scope.processor.onEnd(this);
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this.#warnIfEnded()) return this;
    if (this.attributes === NO_ATTRIBUTES) this.attributes = {};
    const decision = maybeAddAttribute({
      key,
      value,
      attributes: this.attributes,
      limits: LIMITS,
      currentAttributesCount: this.#attributeCount,
    });
    if (decision === AddAttributeDecision.ADD_NEW) this.#attributeCount++;
    else if (decision === AddAttributeDecision.DROP_LIMIT_REACHED && this.droppedAttributesCount++ === 0) {
      diag.warn('Dropping extra attributes.');
    }
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key of Object.keys(attributes)) this.setAttribute(key, attributes[key]!);
    return this;
  }

  addEvent(name: string, attributesOrTime?: SpanAttributes | TimeInput, time?: TimeInput): this {
    if (this.#warnIfEnded()) return this;
    let attributes: unknown = attributesOrTime;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
      attributes = undefined;
    }
    if (this.recordedEvents.length >= EVENT_COUNT_LIMIT) this.#dropOldestEvent();
    const cleaned = cleanSimpleAttributes(attributes, LIMITS);
    this.recordedEvents.push({ name, ns: timeInputToMonotonicNs(time), ...cleaned });
    return this;
  }

  addLink(link: Link): this {
    if (this.#warnIfEnded()) return this;
    if (this.links === NO_LINKS) this.links = [];
    if (this.links.length >= LINK_COUNT_LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    // A link without attributes (a batch's to its members) has nothing to clean.
    this.links.push(
      link.attributes === undefined
        ? { context: link.context }
        : { context: link.context, ...cleanAttributes(link.attributes, LIMITS) },
    );
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#warnIfEnded() || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) {
      return this;
    }
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.#warnIfEnded()) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    this.endAt(timeInputToMonotonicNs(endTime));
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else if (exception) {
      if (exception.code) attributes['exception.type'] = String(exception.code);
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] !== undefined || attributes['exception.message'] !== undefined) {
      this.addEvent('exception', attributes, time);
    } else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  // ReadableSpan views, built on demand.

  get startTime(): HrTime {
    return toHrTime(this.startNs);
  }

  get endTime(): HrTime {
    return toHrTime(this.endNs);
  }

  get duration(): HrTime {
    const ns = this.ended ? this.endNs - this.startNs : -1n;
    return ns < 0n ? [-1, -1] : [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
  }

  get events(): TimedEvent[] {
    return this.recordedEvents.map((e) => ({
      name: e.name,
      time: toHrTime(e.ns),
      ...(e.attributes !== undefined && { attributes: e.attributes }),
      ...(e.droppedAttributesCount !== undefined && { droppedAttributesCount: e.droppedAttributesCount }),
    }));
  }

  #dropOldestEvent(): void {
    this.recordedEvents.shift();
    this.droppedEventsCount++;
  }

  #warnIfEnded(): boolean {
    if (this.ended) {
      diag.warn(
        `Cannot execute the operation on ended Span {traceId: ${this.traceId.hex}, spanId: ${this.spanId.hex}}`,
      );
    }
    return this.ended;
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return (
    typeof value === 'number' ||
    value instanceof Date ||
    (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number')
  );
}
