/**
 * A request traced in OpenTelemetry mode: the declared span tree (span-tree.ts: Triton's `InferRequest` → model
 * → `compute`, plus `infer_callable` for the infer function's call), each step doing what the tree's plan says
 * (tree-plan.ts). Built from span objects: the application's tracer's, or ts-triton's recorded spans when a
 * request leaves the course a `CompactRequestTrace` records (compact-request-trace.ts).
 *
 * @module
 */

import {
  type Attributes,
  type Context,
  context,
  type Span,
  type SpanContext,
  type SpanKind,
  trace,
} from '@opentelemetry/api';
import {
  type BatchFacts,
  type BatchTrace,
  type CoreActivity,
  NOOP_REQUEST_TRACER,
  type RequestTrace,
  type RequestTracer,
  type TracedSpan,
} from '../core/trace-hooks.ts';
import type { FrontendProtocol, FrontendTrace, RequestEndpoint } from './frontend-trace.ts';
import { toHrTime } from '../core/clock.ts';
import { BATCH_SPAN, type RequestFacts, STREAM, type StreamFacts } from './span-tree.ts';
import {
  BARE_STEP_PLANS,
  BATCH_LINKED_FROM,
  BATCH_LINKS_TO,
  PLANNED_SPANS,
  REQUEST_SPAN,
  SPAN_COUNT,
  STEP,
  STEP_PLANS,
  STREAM_SPAN,
  type StepPlan,
  MODEL_SPAN,
  TRITON_SPAN_KINDS,
  type TreeDetail,
} from './tree-plan.ts';
import { Id, newSpanId, newTraceId, WordsSpanContext } from './otlp/span-ids.ts';
import { recordFailure, type RootSpanStarter, type SpanShape, spanShape, type TreeSpan } from './tree-span.ts';
import { type TensorActivity, tensorSummary } from './tensor-summary.ts';
import type { NDArray } from '../tensor/ndarray.ts';

/** What a request's trace starts with (the request's own part of {@link OtelRequestTraceOptions}). */
export interface RequestTraceStart {
  /** The propagated (remote) span context, if any. */
  readonly parent: SpanContext | undefined;
  readonly protocol: FrontendProtocol;
  /** Triton's numeric trace id. */
  readonly tritonId: number;
  /** When the request arrived. */
  readonly startNs: bigint;
  /** Called once when the trace is complete. */
  readonly onFinish: () => void;
  /** At level TENSORS: tensor summaries on the model span, with a preview of this many values (0: none). */
  readonly tensors?: { readonly previewValues: number } | undefined;
}

/** What the traces of one pipeline share (the pipeline's part of {@link OtelRequestTraceOptions}). */
export interface TreeSettings {
  /** Starts the root span (ts-triton's recorded spans, or the application's tracer). */
  readonly startRoot: RootSpanStarter;
  /** The kind of each span of the tree (tree-plan.ts `spanKindsOf`); Triton's all-SERVER when not given. */
  readonly spanKinds?: readonly SpanKind[];
  /** The spans exported (tree-plan.ts `treeDetail`); every span when not given. */
  readonly detail?: TreeDetail;
  /** False leaves out the declared events (`opentelemetry,events=false`); true when not given. */
  readonly withEvents?: boolean;
}

/** Options of {@link OtelRequestTrace}. */
export interface OtelRequestTraceOptions extends RequestTraceStart, TreeSettings {
  /** The tree's ids when they were drawn before its spans started (as in a compactly recorded tree). */
  readonly presetIds?: Uint32Array | undefined;
}

/** One request's spans in OpenTelemetry mode. */
export class OtelRequestTrace implements FrontendTrace, RequestFacts {
  readonly #options: OtelRequestTraceOptions;
  readonly #plan: readonly StepPlan[];
  /** The spans of the tree that started, by their index in the tree. */
  readonly #spans: (TreeSpan | undefined)[] = new Array<TreeSpan | undefined>(SPAN_COUNT).fill(undefined);
  readonly #ended: boolean[] = new Array<boolean>(SPAN_COUNT).fill(false);
  #tracer: RequestTracer = NOOP_REQUEST_TRACER;
  /** The request's failure, once it failed: every span that ends from then on ends in error. */
  #failure: { readonly error: unknown } | undefined;
  /** The span of the batch this request executes in, once it joined one. */
  #batch: SpanContext | undefined;
  /** What it knows of its stream, when it is a decoupled model's request. */
  #stream: { responses: number; readonly startNs: bigint; firstResponseNs: bigint | undefined } | undefined;
  model: { readonly name: string; readonly version: number } | undefined;
  requestId = '';
  endpoint: RequestEndpoint | undefined;
  status: number | undefined;

  /** Tensor summaries (level TENSORS): set on the model span. */
  readonly tensors: ((activity: TensorActivity, tensors: Readonly<Record<string, NDArray>>) => void) | undefined;

  /** Starts the tree (its first step: the root span). */
  constructor(options: OtelRequestTraceOptions) {
    this.#options = options;
    const summaries = options.tensors;
    this.tensors =
      summaries &&
      ((activity, tensors) =>
        this.#spans[MODEL_SPAN]?.annotate(tensorSummary(activity, tensors, summaries.previewValues)));
    this.#plan = options.withEvents === false ? BARE_STEP_PLANS : STEP_PLANS[options.protocol];
    this.#at(STEP.START, options.startNs);
  }

  get protocol(): FrontendProtocol {
    return this.#options.protocol;
  }

  get tritonId(): number {
    return this.#options.tritonId;
  }

  /** The tracer of `request.span` (a no-op one until that span started). */
  get requestTracer(): RequestTracer {
    return this.#tracer;
  }

  received(ns: bigint): void {
    this.#at(STEP.RECEIVED, ns);
  }

  requestStart(model: { readonly name: string; readonly version: number }, requestId: string, ns: bigint): void {
    this.model = model;
    this.requestId = requestId;
    this.#at(STEP.REQUEST_START, ns);
  }

  activity(name: CoreActivity, ns: bigint): void {
    this.#at(STEP[name], ns);
  }

  callableStart(ns: bigint): RequestTracer {
    this.#at(STEP.CALLABLE_START, ns);
    return this.#tracer;
  }

  callableEnd(ns: bigint, error?: unknown): void {
    if (error !== undefined) this.failed(error);
    this.#at(STEP.CALLABLE_END, ns);
  }

  failed(error: unknown): void {
    this.#failure ??= { error };
  }

  startBatch(members: readonly RequestTrace[], facts: BatchFacts, ns: bigint): BatchTrace {
    return startBatchSpan(this.#options.startRoot, members, facts, ns);
  }

  streaming(): void {
    this.#stream ??= { responses: 0, startNs: this.#options.startNs, firstResponseNs: undefined };
  }

  response(ns: bigint): void {
    this.streaming();
    const stream = this.#stream!;
    const index = stream.responses++;
    if (index === 0) stream.firstResponseNs = ns;
    if (index < STREAM.maxEvents)
      this.#streamSpan()?.api.addEvent(STREAM.responseEvent, { [STREAM.indexKey]: index }, toHrTime(ns));
  }

  cancelled(reason: unknown, ns: bigint): void {
    this.streaming();
    this.#streamSpan()?.api.addEvent(STREAM.cancelEvent, { [STREAM.indexKey]: this.#stream!.responses }, toHrTime(ns));
    this.failed(reason);
  }

  /** The span that carries the stream's events, while it has not ended. */
  #streamSpan(): TreeSpan | undefined {
    return this.#ended[STREAM_SPAN] ? undefined : this.#spans[STREAM_SPAN];
  }

  joinBatch(batch: SpanContext): SpanContext | undefined {
    this.#batch = batch;
    const linked = this.#spans[BATCH_LINKED_FROM];
    if (linked !== undefined && !this.#ended[BATCH_LINKED_FROM]) linked.api.addLink({ context: batch });
    return this.#spans[BATCH_LINKS_TO]?.api.spanContext();
  }

  describe(endpoint: RequestEndpoint): void {
    this.endpoint = endpoint;
  }

  answered(status: number): void {
    this.status = status;
  }

  responseComplete(ns: bigint): void {
    this.#at(STEP.RESPONSE_COMPLETE, ns);
  }

  sendStart(ns: bigint): void {
    this.#at(STEP.SEND_START, ns);
  }

  sendEnd(ns: bigint): void {
    this.#at(STEP.SEND_END, ns);
    this.#options.onFinish();
  }

  /** Does what the plan says at `step`: starts spans, adds events, ends spans (in error after a failure). */
  #at(step: number, ns: bigint): void {
    const { starts, eventSpans, eventNames, ends } = this.#plan[step]!;
    for (let i = 0; i < starts.length; i++) this.#start(starts[i]!, ns);
    for (let i = 0; i < eventSpans.length; i++) this.#spans[eventSpans[i]!]?.mark(eventNames[i]!, ns);
    for (let i = 0; i < ends.length; i++) {
      const index = ends[i]!;
      const span = this.#spans[index];
      if (span === undefined) continue;
      if (!this.#ended[index]) {
        const attributes = PLANNED_SPANS[index]!.attributes(this);
        if (attributes !== undefined) span.annotate(attributes);
        if (index === STREAM_SPAN && this.#stream !== undefined) span.annotate(streamAttributes(this.#stream));
      }
      span.finish(ns, this.#ended[index] ? undefined : this.#failure?.error);
      this.#ended[index] = true;
    }
  }

  /** Starts span `index` under its nearest ancestor that started (the root under the propagated context). */
  #start(index: number, ns: bigint): void {
    if (this.#options.detail?.kept[index] === false) return;
    const planned = PLANNED_SPANS[index]!;
    const shape = planned.shapeOf(
      this.#options.withEvents === false ? 'BARE' : this.#options.protocol,
      this.model?.name ?? '',
    );
    let span: TreeSpan;
    const ids = this.#options.presetIds;
    const preset = ids && { traceId: idAt(ids, 0, 4), spanId: idAt(ids, planned.spanAt, 2) };
    if (planned.parent < 0) span = this.#options.startRoot(shape, ns, this.#options.parent, preset);
    else {
      let parent = planned.parent;
      while (parent >= 0 && this.#spans[parent] === undefined) parent = PLANNED_SPANS[parent]!.parent;
      if (parent < 0) return;
      span = this.#spans[parent]!.startChild(shape, ns, (this.#options.spanKinds ?? TRITON_SPAN_KINDS)[index]!, preset);
    }
    this.#spans[index] = span;
    this.#ended[index] = false;
    if (index === REQUEST_SPAN) this.#tracer = new OtelRequestTracer(span);
    if (index === BATCH_LINKED_FROM && this.#batch !== undefined) span.api.addLink({ context: this.#batch });
  }
}

/** The id of `words` words at `at` of a tree's ids. */
function idAt(ids: Uint32Array, at: number, words: number): Id {
  return new Id(ids.slice(at, at + words));
}

function streamAttributes(stream: StreamFacts): Attributes {
  const attributes: Attributes = {};
  for (const attribute of STREAM.attributes) {
    const value = attribute.value(stream);
    if (value !== undefined) attributes[attribute.key] = value;
  }
  return attributes;
}

/** The shapes of batches' spans, by model name (up to as many names as a model span's shapes keep). */
const batchShapes = new Map<string, SpanShape>();
const KEPT_BATCH_SHAPES = 1024;

function batchShape(model: string): SpanShape {
  let shape = batchShapes.get(model);
  if (shape === undefined) {
    shape = spanShape(BATCH_SPAN.name(model));
    if (batchShapes.size < KEPT_BATCH_SHAPES) batchShapes.set(model, shape);
  }
  return shape;
}

/** Starts the span of a batch (span-tree.ts, {@link BATCH_SPAN}): a root, linked to each member's span. */
export function startBatchSpan(
  startRoot: RootSpanStarter,
  members: readonly RequestTrace[],
  facts: BatchFacts,
  ns: bigint,
): BatchTrace {
  // Ids drawn here, so that the members' links to it are written from words where the span takes them.
  const ids = { traceId: newTraceId(), spanId: newSpanId() };
  const span = startRoot(batchShape(facts.model.name), ns, undefined, ids);
  const context = span.tookIds(ids)
    ? new WordsSpanContext(ids.traceId.words, 0, ids.spanId.words, 0)
    : span.api.spanContext();
  for (const member of members) {
    const linked = member.joinBatch?.(context);
    if (linked !== undefined) span.api.addLink({ context: linked });
  }
  const attributes: Record<string, string | number> = {};
  for (const attribute of BATCH_SPAN.attributes) attributes[attribute.key] = attribute.value(facts);
  span.annotate(attributes);
  return { end: (endNs, error) => span.finish(endNs, error) };
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
