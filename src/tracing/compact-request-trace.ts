/**
 * A request traced by ts-triton's own pipeline, recorded without span objects while it goes the usual way:
 * each step (received, queued, computed, answered, sent) only stores its time, and when the response is sent
 * the spans of the tree are written at once from the templates of its kind of tree (encode-recorded-tree.ts),
 * with ids drawn then.
 *
 * Any other course hands the request over to an {@link OtelRequestTrace} of recorded spans, replaying the
 * steps so far, so its spans are those the general path makes: a step out of the usual order or missing, an
 * infer function that fails, a model whose span shape is not kept, or model code that uses `request.span` or
 * `request.tracedSpan`.
 *
 * The steps, the spans and where each span's ids and times are come from the declared tree (span-tree.ts,
 * through tree-plan.ts); this class only records and hands over.

 *
 * @module
 */

import type { Link, SpanContext } from '@opentelemetry/api';
import type { BatchFacts, BatchTrace, CoreActivity, RequestTrace, RequestTracer } from '../core/trace-hooks.ts';
import { NOOP_REQUEST_TRACER, recordingContextOf } from '../core/trace-hooks.ts';
import type { FrontendProtocol, FrontendTrace, RequestEndpoint } from './frontend-trace.ts';
import { OtelRequestTrace, type RequestTraceStart, startBatchSpan, type TreeSettings } from './otel-request-trace.ts';
import { type RequestFacts, type StepDeclaration, STEPS } from './span-tree.ts';
import {
  BATCH_LINKED_FROM,
  BATCH_LINKS_TO,
  FULL_DETAIL,
  keptTreeTemplates,
  PARENT_AT,
  PLANNED_SPANS,
  REQUEST_SPAN,
  STEP,
  STEP_COUNT,
  TRITON_SPAN_KINDS,
} from './tree-plan.ts';
import type { RecordedTree, TreeTemplates } from './otlp/encode-recorded-tree.ts';
import type { ProtoWriter } from '../wire/proto-writer.ts';
import type { SpanEntries } from './otlp/span-batch.ts';
import { putHexId, putSpanId, putTraceId, WordsSpanContext } from './otlp/span-ids.ts';

/** The ids of the tree being written (filled just before, so one array serves every request). */
const IDS = new Uint32Array(PARENT_AT + 2);

/** The times of a new tree's steps, copied for each request (a packed array of bigints). */
const NO_TIMES: readonly bigint[] = Array.from({ length: STEP_COUNT }, () => 0n);

/** What the compact traces of one pipeline share: the general path's settings, and where written trees go. */
export interface CompactTreeSettings extends TreeSettings {
  readonly processor: { onEndEntries(entries: SpanEntries): void };
  /** Draw the tree's ids at once and tell the root span's ({@link CompactRequestTrace.rootSpanContext}). */
  readonly rootIds?: boolean;
}

/** The links to the span of the batch joined last (see {@link CompactRequestTrace.joinBatch}). */
let lastBatchLinks: readonly Link[] = [];

/** Where the root span's id is in a tree's ids. */
const ROOT_AT = PLANNED_SPANS.find((span) => span.parentAt < 0)!.spanAt;

/** One request's tree, recorded as the times of its steps (see the module comment). */
export class CompactRequestTrace implements FrontendTrace, SpanEntries, RecordedTree, RequestFacts {
  readonly #settings: CompactTreeSettings;
  readonly #request: RequestTraceStart;
  /** How many steps of the usual course happened; -1 once the general path took over. */
  #done = 1;
  /** The general path, once it took over. */
  #general: OtelRequestTrace | undefined;
  model: { readonly name: string; readonly version: number } | undefined;
  requestId = '';
  endpoint: RequestEndpoint | undefined;
  status: number | undefined;
  /** The templates of its tree's kind, once the model is known. */
  #templates: TreeTemplates | undefined;
  /** Monotonic nanoseconds of each step. */
  readonly times: bigint[];
  /** The indexes of the spans written (all of them at full detail). */
  readonly #written: readonly number[];
  readonly spanCount: number;

  /** Tensor summaries (level TENSORS) are attributes the declared tree does not have: the general path adds them. */
  readonly tensors: OtelRequestTrace['tensors'];
  /** The tree's own ids, drawn early when a batch's span links to it (others share {@link IDS}). */
  #ownIds: Uint32Array | undefined;
  /** The link to its batch's span, when it executed in one. */
  #batchLinks: readonly Link[] | undefined;

  /**
   * The W3C ids of the root span, for what points at the trace from outside it (metric exemplars, response
   * headers), when the options ask for them: the ids are then drawn as the trace starts.
   */
  readonly rootSpanContext: (() => WordsSpanContext) | undefined;

  constructor(settings: CompactTreeSettings, request: RequestTraceStart) {
    this.#settings = settings;
    this.#request = request;
    this.tensors = request.tensors && ((activity, tensors) => this.#takeOver()?.tensors?.(activity, tensors));
    this.#written = (settings.detail ?? FULL_DETAIL).spans;
    this.spanCount = this.#written.length;
    this.times = NO_TIMES.slice();
    this.times[0] = request.startNs;
    if (settings.rootIds) {
      const ids = this.#drawOwnIds();
      const root = new WordsSpanContext(ids, 0, ids, ROOT_AT);
      this.rootSpanContext = () => root;
    }
  }

  get protocol(): FrontendProtocol {
    return this.#request.protocol;
  }

  get tritonId(): number {
    return this.#request.tritonId;
  }

  get ids(): Uint32Array {
    return this.#ownIds ?? IDS;
  }

  /** The propagated trace state, serialized when the ids are drawn (once per written tree). */
  traceState: string | undefined;

  get remoteParentAt(): number {
    return this.#request.parent === undefined ? -1 : PARENT_AT;
  }

  get parentIsRemote(): boolean {
    return this.#request.parent?.isRemote === true;
  }

  received(ns: bigint): void {
    if (!this.#advance(STEP.RECEIVED, ns)) this.#takeOver()?.received(ns);
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    const templates = keptTreeTemplates(
      this.#settings.withEvents === false ? 'BARE' : this.#request.protocol,
      model.name,
    );
    if (templates !== undefined && this.#advance(STEP.REQUEST_START, ns)) {
      this.#templates = templates;
      this.model = model;
      this.requestId = requestId;
    } else this.#takeOver()?.requestStart(model, requestId, ns);
  }

  activity(name: CoreActivity, ns: bigint): void {
    if (!this.#advance(STEP[name], ns)) this.#takeOver()?.activity(name, ns);
  }

  callableStart(ns: bigint): RequestTracer {
    if (this.#advance(STEP.CALLABLE_START, ns)) {
      return new DeferredTracer(
        () => this.#tracerOfGeneralPath(),
        () => this.#callableContext(),
      );
    }
    return this.#takeOver()?.callableStart(ns) ?? NOOP_REQUEST_TRACER;
  }

  failed(error: unknown): void {
    this.#takeOver()?.failed(error);
  }

  startBatch(members: readonly RequestTrace[], facts: BatchFacts, ns: bigint): BatchTrace {
    return startBatchSpan(this.#settings.startRoot, members, facts, ns);
  }

  /** A streamed request leaves the usual course: its responses are events of its spans. */
  streaming(): void {
    this.#takeOver()?.streaming();
  }

  response(ns: bigint): void {
    this.#takeOver()?.response(ns);
  }

  cancelled(reason: unknown, ns: bigint): void {
    this.#takeOver()?.cancelled(reason, ns);
  }

  /**
   * A member of a batch: its ids are drawn now (the batch's span links to its model span) and its compute span
   * will link to the batch's. On the general path, that path's spans link.
   */
  joinBatch(batch: SpanContext): SpanContext | undefined {
    if (this.#done <= STEP.REQUEST_START || this.#done === STEP_COUNT || this.#batchLinks !== undefined) {
      return this.#takeOver()?.joinBatch(batch);
    }
    const ids = this.#ownIds ?? this.#drawOwnIds();
    // The members of a batch join it one after the other: they share its links.
    if (lastBatchLinks[0]?.context !== batch) lastBatchLinks = [{ context: batch }];
    this.#batchLinks = lastBatchLinks;
    return new WordsSpanContext(ids, 0, ids, PLANNED_SPANS[BATCH_LINKS_TO]!.spanAt);
  }

  describe(endpoint: RequestEndpoint): void {
    this.endpoint = endpoint;
    this.#general?.describe(endpoint);
  }

  answered(status: number): void {
    this.status = status;
    this.#general?.answered(status);
  }

  callableEnd(ns: bigint, error?: unknown): void {
    if (error !== undefined || !this.#advance(STEP.CALLABLE_END, ns)) this.#takeOver()?.callableEnd(ns, error);
  }

  responseComplete(ns: bigint): void {
    if (!this.#advance(STEP.RESPONSE_COMPLETE, ns)) this.#takeOver()?.responseComplete(ns);
  }

  sendStart(ns: bigint): void {
    if (!this.#advance(STEP.SEND_START, ns)) this.#takeOver()?.sendStart(ns);
  }

  sendEnd(ns: bigint): void {
    if (!this.#advance(STEP.SEND_END, ns)) {
      this.#takeOver()?.sendEnd(ns);
      return;
    }
    this.#settings.processor.onEndEntries(this);
    this.#request.onFinish();
  }

  /** Writes the written spans `first` to `first + count - 1` (ids drawn with the first, the root). */
  writeEntries(writer: ProtoWriter, first: number, count: number): void {
    if (first === 0 && this.#ownIds === undefined) this.#drawIds(IDS);
    const kinds = this.#settings.spanKinds ?? TRITON_SPAN_KINDS;
    this.#templates!.write(writer, this, this, this.#written, kinds, first, count, BATCH_LINKED_FROM, this.#batchLinks);
  }

  /** Draws the tree's own ids (instead of sharing {@link IDS} at export). */
  #drawOwnIds(): Uint32Array {
    const ids = (this.#ownIds = new Uint32Array(PARENT_AT + 2));
    this.#drawIds(ids);
    return ids;
  }

  #drawIds(ids: Uint32Array): void {
    const parent = this.#request.parent;
    if (parent === undefined) putTraceId(ids, 0);
    else {
      putHexId(ids, 0, parent.traceId);
      putHexId(ids, PARENT_AT, parent.spanId);
      this.traceState = parent.traceState?.serialize();
    }
    for (let at = 4; at < PARENT_AT; at += 2) putSpanId(ids, at);
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
    if (this.#done === STEP_COUNT) return undefined;
    if (this.#general !== undefined) return this.#general;
    const general = new OtelRequestTrace({ ...this.#settings, ...this.#request, presetIds: this.#ownIds });
    if (this.endpoint !== undefined) general.describe(this.endpoint);
    if (this.status !== undefined) general.answered(this.status);
    for (let step = 1; step < this.#done; step++)
      (STEPS[step] as StepDeclaration).report!(general, this.times[step]!, this);
    // Its spans keep the ids drawn for the batch's links, and its compute span links to the batch.
    if (this.#batchLinks !== undefined) general.joinBatch(this.#batchLinks[0]!.context);
    this.#general = general;
    this.#done = -1;
    return general;
  }

  /**
   * The context of `request.span` (the callable span) while the request is still on the usual course: the tree's
   * ids are drawn now, as for a batch's link, so that spans made elsewhere (a worker instance's) can be its
   * children without the general path taking over. Otherwise that path's span's, if it records.
   */
  #callableContext(): SpanContext | undefined {
    if (this.#done > STEP.CALLABLE_START && this.#done <= STEP.CALLABLE_END) {
      const ids = this.#ownIds ?? this.#drawOwnIds();
      return new WordsSpanContext(ids, 0, ids, PLANNED_SPANS[REQUEST_SPAN]!.spanAt);
    }
    const span = this.#tracerOfGeneralPath().span;
    return span.isRecording() ? span.spanContext() : undefined;
  }

  /** `request.span`'s tracer on the general path (which takes over now), or a no-op one once written. */
  #tracerOfGeneralPath(): RequestTracer {
    return this.#takeOver()?.requestTracer ?? NOOP_REQUEST_TRACER;
  }
}

/**
 * `request.span` and `request.tracedSpan` of a request still on the usual course: the first use hands the
 * request over to the general path, whose callable span it then is.
 */
class DeferredTracer implements RequestTracer {
  readonly #resolve: () => RequestTracer;
  readonly #context: () => SpanContext | undefined;
  #tracer: RequestTracer | undefined;

  constructor(resolve: () => RequestTracer, context: () => SpanContext | undefined) {
    this.#resolve = resolve;
    this.#context = context;
  }

  recordingContext(): SpanContext | undefined {
    return this.#tracer ? recordingContextOf(this.#tracer) : this.#context();
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
