/**
 * A request traced by ts-triton's own pipeline, recorded without span objects while it goes the usual way:
 * each step (received, queued, computed, answered, sent) only stores its time, and when the response is sent
 * the four spans of Triton's tree are written at once from their shapes' templates, with ids drawn then.
 *
 * Any other course hands the request over to an {@link OtelRequestTrace} of recorded spans, replaying the
 * steps so far, so its spans are those the general path makes: a step out of the usual order or missing, an
 * infer function that fails, a model whose span shape is not kept, or model code that uses `request.span` or
 * `request.tracedSpan`.
 *
 * Measured on the benchmark's traced server: 27.4 → 24.6 µs of CPU per request (three alternating pairs)
 * against building the tree from recorded spans, for the same bytes (docs/performance.md).
 *
 * @module
 */

import type { CoreActivity, RequestTracer } from '../../core/trace-hooks.ts';
import { NOOP_REQUEST_TRACER } from '../../core/trace-hooks.ts';
import type { FrontendTrace } from '../frontend-trace.ts';
import { OtelRequestTrace, type OtelRequestTraceOptions } from '../otel-request-trace.ts';
import { CALLABLE_SHAPE, COMPUTE_SHAPE, isKeptModelShape, modelAttributes, modelShape, ROOT_SHAPES } from '../tree-shapes.ts';
import type { SpanShape } from '../tree-span.ts';
import { type RecordedTree, type TreeSpanLayout, writeTreeSpan } from './encode-recorded-spans.ts';
import type { ProtoWriter } from './proto-writer.ts';
import type { SpanEntries } from './span-batch.ts';
import { putHexId, putSpanId, putTraceId } from './span-ids.ts';

// The usual course of a request, step by step (the order in which the data plane and frontends report it).
const START = 0;
const RECEIVED = 1;
const REQUEST_START = 2;
const QUEUE_START = 3;
const COMPUTE_START = 4;
const CALLABLE_START = 5;
const COMPUTE_INPUT_END = 6;
const CALLABLE_END = 7;
const COMPUTE_OUTPUT_START = 8;
const COMPUTE_END = 9;
const RESPONSE_COMPLETE = 10;
const SEND_START = 11;
const SEND_END = 12;
const STEPS = 13;

const ACTIVITY_STEPS: Readonly<Record<CoreActivity, number>> = {
  QUEUE_START,
  COMPUTE_START,
  COMPUTE_INPUT_END,
  COMPUTE_OUTPUT_START,
  COMPUTE_END,
};

// Where each span's ids are in the tree's words: the trace id, then root, model, compute, callable and the
// propagated parent (two words each).
const PARENT_AT = 12;
const ROOT: TreeSpanLayout = {
  spanAt: 4,
  parentAt: -1,
  startStep: START,
  endStep: SEND_END,
  eventSteps: [START, RECEIVED, RESPONSE_COMPLETE, SEND_START, SEND_END],
};
const MODEL: TreeSpanLayout = {
  spanAt: 6,
  parentAt: 4,
  startStep: REQUEST_START,
  endStep: RESPONSE_COMPLETE,
  eventSteps: [REQUEST_START, QUEUE_START, RESPONSE_COMPLETE],
};
const COMPUTE: TreeSpanLayout = {
  spanAt: 8,
  parentAt: 6,
  startStep: COMPUTE_START,
  endStep: COMPUTE_END,
  eventSteps: [COMPUTE_START, COMPUTE_INPUT_END, COMPUTE_OUTPUT_START, COMPUTE_END],
};
const CALLABLE: TreeSpanLayout = { spanAt: 10, parentAt: 8, startStep: CALLABLE_START, endStep: CALLABLE_END, eventSteps: [] };

/** The ids of the tree being written (filled just before, so one array serves every request). */
const IDS = new Uint32Array(PARENT_AT + 2);

/** Options of {@link CompactRequestTrace}: those of the general path, and where the written tree goes. */
export interface CompactRequestTraceOptions extends OtelRequestTraceOptions {
  readonly processor: { onEndEntries(entries: SpanEntries): void };
}

/** One request's tree, recorded as the times of its steps (see the module comment). */
export class CompactRequestTrace implements FrontendTrace, SpanEntries, RecordedTree {
  readonly #options: CompactRequestTraceOptions;
  /** How many steps of the usual course happened; -1 once the general path took over. */
  #done = 1;
  /** The general path, once it took over. */
  #general: OtelRequestTrace | undefined;
  /** The general path's `request.span` tracer, once it took over after the infer function was called. */
  #generalTracer: RequestTracer | undefined;
  #model: { readonly name: string; readonly version: number } | undefined;
  #modelShape: SpanShape | undefined;
  #requestId = '';
  /** Monotonic nanoseconds of each step. */
  readonly times: bigint[];
  readonly spanCount = 4;

  constructor(options: CompactRequestTraceOptions) {
    this.#options = options;
    const t = options.startNs;
    this.times = [t, t, t, t, t, t, t, t, t, t, t, t, t];
  }

  get ids(): Uint32Array {
    return IDS;
  }

  /** The propagated trace state, serialized when the ids are drawn (once per written tree). */
  traceState: string | undefined;

  get remoteParentAt(): number {
    return this.#options.parent === undefined ? -1 : PARENT_AT;
  }

  get parentIsRemote(): boolean {
    return this.#options.parent?.isRemote === true;
  }

  received(ns: bigint): void {
    if (!this.#advance(RECEIVED, ns)) this.#takeOver()?.received(ns);
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    const shape = modelShape(model.name);
    if (isKeptModelShape(shape) && this.#advance(REQUEST_START, ns)) {
      this.#model = model;
      this.#modelShape = shape;
      this.#requestId = requestId;
    } else this.#takeOver()?.requestStart(model, requestId, ns);
  }

  activity(name: CoreActivity, ns: bigint): void {
    if (!this.#advance(ACTIVITY_STEPS[name], ns)) this.#takeOver()?.activity(name, ns);
  }

  callableStart(ns: bigint): RequestTracer {
    if (this.#advance(CALLABLE_START, ns)) return new DeferredTracer(() => this.#tracerOfGeneralPath());
    return this.#takeOver()?.callableStart(ns) ?? NOOP_REQUEST_TRACER;
  }

  callableEnd(ns: bigint, error?: unknown): void {
    if (error !== undefined || !this.#advance(CALLABLE_END, ns)) this.#takeOver()?.callableEnd(ns, error);
  }

  responseComplete(ns: bigint): void {
    if (!this.#advance(RESPONSE_COMPLETE, ns)) this.#takeOver()?.responseComplete(ns);
  }

  sendStart(ns: bigint): void {
    if (!this.#advance(SEND_START, ns)) this.#takeOver()?.sendStart(ns);
  }

  sendEnd(ns: bigint): void {
    if (!this.#advance(SEND_END, ns)) {
      this.#takeOver()?.sendEnd(ns);
      return;
    }
    this.#options.processor.onEndEntries(this);
    this.#options.onFinish();
  }

  /** Writes spans `first` to `first + count - 1` of root, model, compute and callable (ids drawn at the root). */
  writeEntries(writer: ProtoWriter, first: number, count: number): void {
    if (first === 0) this.#drawIds();
    for (let span = first; span < first + count; span++) this.#writeSpan(writer, span);
  }

  #drawIds(): void {
    const parent = this.#options.parent;
    if (parent === undefined) putTraceId(IDS, 0);
    else {
      putHexId(IDS, 0, parent.traceId);
      putHexId(IDS, PARENT_AT, parent.spanId);
      this.traceState = parent.traceState?.serialize();
    }
    for (let at = ROOT.spanAt; at < PARENT_AT; at += 2) putSpanId(IDS, at);
  }

  #writeSpan(writer: ProtoWriter, span: number): void {
    switch (span) {
      case 0:
        return writeTreeSpan(writer, this, ROOT, ROOT_SHAPES[this.#options.protocol]);
      case 1: {
        const attributes = modelAttributes(this.#model!, this.#options.tritonId, this.#requestId);
        return writeTreeSpan(writer, this, MODEL, this.#modelShape!, attributes);
      }
      case 2:
        return writeTreeSpan(writer, this, COMPUTE, COMPUTE_SHAPE);
      default:
        return writeTreeSpan(writer, this, CALLABLE, CALLABLE_SHAPE);
    }
  }

  /** Records `step` at `ns` if it is the next one of the usual course. */
  #advance(step: number, ns: bigint): boolean {
    if (this.#done !== step) return false;
    this.times[step] = ns;
    this.#done = step + 1;
    return true;
  }

  /**
   * The general path, made on first need by replaying the steps so far; undefined once the tree was written
   * (nothing is left to record then: a late call is ignored, as spans that ended ignore it).
   */
  #takeOver(): OtelRequestTrace | undefined {
    if (this.#done === STEPS) return undefined;
    if (this.#general !== undefined) return this.#general;
    const general = new OtelRequestTrace(this.#options);
    for (let step = RECEIVED; step < this.#done; step++) this.#replay(general, step, this.times[step]!);
    this.#general = general;
    this.#done = -1;
    return general;
  }

  #replay(general: OtelRequestTrace, step: number, ns: bigint): void {
    switch (step) {
      case RECEIVED:
        return general.received(ns);
      case REQUEST_START:
        return general.requestStart(this.#model!, this.#requestId, ns);
      case QUEUE_START:
        return general.activity('QUEUE_START', ns);
      case COMPUTE_START:
        return general.activity('COMPUTE_START', ns);
      case CALLABLE_START:
        this.#generalTracer = general.callableStart(ns);
        return;
      case COMPUTE_INPUT_END:
        return general.activity('COMPUTE_INPUT_END', ns);
      case CALLABLE_END:
        return general.callableEnd(ns);
      case COMPUTE_OUTPUT_START:
        return general.activity('COMPUTE_OUTPUT_START', ns);
      case COMPUTE_END:
        return general.activity('COMPUTE_END', ns);
      case RESPONSE_COMPLETE:
        return general.responseComplete(ns);
      case SEND_START:
        return general.sendStart(ns);
    }
  }

  /** `request.span`'s tracer on the general path (which takes over now), or a no-op one once written. */
  #tracerOfGeneralPath(): RequestTracer {
    this.#takeOver();
    return this.#generalTracer ?? NOOP_REQUEST_TRACER;
  }
}

/**
 * `request.span` and `request.tracedSpan` of a request still on the usual course: the first use hands the
 * request over to the general path, whose callable span it then is.
 */
class DeferredTracer implements RequestTracer {
  readonly #resolve: () => RequestTracer;
  #tracer: RequestTracer | undefined;

  constructor(resolve: () => RequestTracer) {
    this.#resolve = resolve;
  }

  get #target(): RequestTracer {
    return (this.#tracer ??= this.#resolve());
  }

  get span(): RequestTracer['span'] {
    return this.#target.span;
  }

  run<T>(name: string, fn: () => T): T {
    return this.#target.run(name, fn);
  }

  open(name: string): ReturnType<RequestTracer['open']> {
    return this.#target.open(name);
  }
}
