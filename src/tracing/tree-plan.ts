/**
 * What the request traces need of the declared span tree (span-tree.ts), derived from it once when the module
 * loads: step numbers, each span's shape per protocol, the layout of its ids and times in a compactly
 * recorded tree, its attributes, and for each step what the general path does (start spans, add events, end
 * spans). Nothing here is written per span or per event: it all follows from the declaration.
 *
 * @module
 */

import { type Attributes, SpanKind } from '@opentelemetry/api';
import type { DetailSetting, SpanKindsSetting } from './trace-config.ts';
import { type TreeSpanLayout, TreeTemplates } from './otlp/encode-recorded-tree.ts';
import type { FrontendProtocol } from './frontend-trace.ts';
import {
  type AttributeDeclaration,
  BATCH_SPAN,
  STREAM,
  type EventName,
  MODEL_NAME,
  type RequestFacts,
  SPAN_TREE,
  type SpanDeclaration,
  STEPS,
  type StepName,
} from './span-tree.ts';
import { ShapesByName, type SpanShape, spanShape } from './tree-span.ts';

/** The spans' shapes are kept per protocol (their events' names differ), and without events (`opentelemetry,events=false`). */
export type ShapeVariant = FrontendProtocol | 'BARE';
const VARIANTS: readonly ShapeVariant[] = ['HTTP', 'GRPC', 'BARE'];

/** The number of each step, in the order of the usual course. */
export const STEP: Readonly<Record<StepName, number>> = Object.freeze(
  Object.fromEntries(STEPS.map((step, i) => [step.name, i])) as Record<StepName, number>,
);
export const STEP_COUNT = STEPS.length;
export const SPAN_COUNT = SPAN_TREE.length;

/** Where a span finds its ids and times in a compactly recorded tree (its layout), and what it is. */
export interface PlannedSpan extends TreeSpanLayout {
  readonly index: number;
  /** The parent's index, or -1 for the root (whose parent is the propagated context's span). */
  readonly parent: number;
  /** Its attributes for a request, or undefined when it has none. */
  attributes(facts: RequestFacts): Attributes | undefined;
  /** Its shape for a request of `protocol` (or without events: `BARE`) for model `modelName`. */
  shapeOf(variant: ShapeVariant, modelName: string): SpanShape;
  /** The same, or undefined when the shape is not kept for that name (too many model names). */
  keptShapeOf(variant: ShapeVariant, modelName: string): SpanShape | undefined;
}

/** What the general path does at one step: spans to start, events to add, spans to end, in that order. */
export interface StepPlan {
  readonly starts: readonly number[];
  readonly eventSpans: readonly number[];
  readonly eventNames: readonly string[];
  readonly ends: readonly number[];
}

function stepOf(name: StepName): number {
  return STEP[name];
}

function nameIn(name: EventName, protocol: FrontendProtocol): string {
  return typeof name === 'string' ? name : name[protocol];
}

/** The span's events in the order they happen (by step, then as declared). */
function orderedEvents(span: SpanDeclaration): SpanDeclaration['events'] {
  return span.events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => stepOf(a.e.at) - stepOf(b.e.at) || a.i - b.i)
    .map(({ e }) => e);
}

function buildAttributes(declared: readonly AttributeDeclaration[]): PlannedSpan['attributes'] {
  if (declared.length === 0) return () => undefined;
  return (facts) => {
    const attributes: Attributes = {};
    for (let i = 0; i < declared.length; i++) {
      const value = declared[i]!.value(facts);
      if (value !== undefined) attributes[declared[i]!.key] = value;
    }
    return attributes;
  };
}

function indexOfKey(key: string): number {
  const index = SPAN_TREE.findIndex((s) => s.key === key);
  if (index < 0) throw new Error(`span tree: no span "${key}"`);
  return index;
}

function planSpan(span: SpanDeclaration, index: number): PlannedSpan {
  const parent = span.parent === undefined ? -1 : indexOfKey(span.parent);
  if (parent >= index) throw new Error(`span tree: "${span.key}" is declared before its parent "${span.parent}"`);
  const events = orderedEvents(span);
  const [start, end] = [stepOf(span.start), stepOf(span.end)];
  if (parent < 0 !== (index === 0)) throw new Error('span tree: the first span, and only it, is the root');
  if (start > end || (parent >= 0 && start < stepOf(SPAN_TREE[parent]!.start))) {
    throw new Error(`span tree: "${span.key}" must start after its parent and end after it starts`);
  }
  for (const e of events) {
    const at = stepOf(e.at);
    if (at < start || at > end) throw new Error(`span tree: an event of "${span.key}" is outside its steps (${e.at})`);
  }
  const eventNames = (variant: ShapeVariant): string[] =>
    variant === 'BARE' ? [] : events.map((e) => nameIn(e.name, variant));
  const name = span.name;
  const fixed =
    name === MODEL_NAME ? undefined : Object.fromEntries(VARIANTS.map((p) => [p, spanShape(name, eventNames(p))]));
  const byName =
    name === MODEL_NAME
      ? Object.fromEntries(VARIANTS.map((p) => [p, new ShapesByName(eventNames(p), (n) => spanShape(n))]))
      : undefined;
  return {
    index,
    parent,
    spanAt: 4 + 2 * index,
    parentAt: parent < 0 ? -1 : 4 + 2 * parent,
    startStep: start,
    endStep: end,
    eventSteps: events.map((e) => stepOf(e.at)),
    declaredAttributes: span.attributes,
    attributes: buildAttributes(span.attributes),
    shapeOf: fixed ? (protocol) => fixed[protocol]! : (protocol, modelName) => byName![protocol]!.shapeOf(modelName),
    keptShapeOf: fixed ? (protocol) => fixed[protocol] : (protocol, modelName) => byName![protocol]!.kept(modelName),
  };
}

/** The spans of the tree, root first, each after its parent. */
export const PLANNED_SPANS: readonly PlannedSpan[] = Object.freeze(SPAN_TREE.map(planSpan));

/** The span model code sees as `request.span`. */
export const REQUEST_SPAN: number = (() => {
  const spans = SPAN_TREE.filter((s) => s.requestSpan);
  if (spans.length !== 1) throw new Error('span tree: exactly one span must be the request span');
  return SPAN_TREE.indexOf(spans[0]!);
})();

/** The span named after the model: where tensor summaries go (tensor-summary.ts). */
export const MODEL_SPAN: number = SPAN_TREE.findIndex((s) => s.name === MODEL_NAME);

/** Where the propagated parent's span id goes in a compactly recorded tree's id words (after every span's). */
export const PARENT_AT = 4 + 2 * SPAN_COUNT;

function planStep(step: number, protocol: FrontendProtocol): StepPlan {
  const eventSpans: number[] = [];
  const eventNames: string[] = [];
  SPAN_TREE.forEach((span, index) => {
    for (const e of orderedEvents(span)) {
      if (stepOf(e.at) !== step) continue;
      eventSpans.push(index);
      eventNames.push(nameIn(e.name, protocol));
    }
  });
  const starts = PLANNED_SPANS.filter((s) => s.startStep === step).map((s) => s.index);
  // Children end before their parents.
  const ends = PLANNED_SPANS.filter((s) => s.endStep === step)
    .map((s) => s.index)
    .reverse();
  return { starts, eventSpans, eventNames, ends };
}

/** What the general path does at each step without the declared events (`opentelemetry,events=false`). */
export const BARE_STEP_PLANS: readonly StepPlan[] = Object.freeze(
  STEPS.map((_, step) => ({ ...planStep(step, 'HTTP'), eventSpans: [], eventNames: [] })),
);

/** For each protocol, what the general path does at each step. */
export const STEP_PLANS: Readonly<Record<FrontendProtocol, readonly StepPlan[]>> = Object.freeze({
  HTTP: STEPS.map((_, step) => planStep(step, 'HTTP')),
  GRPC: STEPS.map((_, step) => planStep(step, 'GRPC')),
});

/** The templates of trees by protocol and model name (as many names as the spans' shapes keep). */
const treeTemplates: Readonly<Record<ShapeVariant, Map<string, TreeTemplates>>> = {
  HTTP: new Map(),
  GRPC: new Map(),
  BARE: new Map(),
};

/**
 * The templates of the trees of requests of `protocol` for model `modelName` (encode-recorded-tree.ts), or
 * undefined when a span's shape is not kept for that name (too many model names: such trees are recorded as
 * span objects and written field by field).
 */
export function keptTreeTemplates(protocol: ShapeVariant, modelName: string): TreeTemplates | undefined {
  const byName = treeTemplates[protocol];
  let templates = byName.get(modelName);
  if (templates === undefined) {
    const kept = PLANNED_SPANS.map((span) => span.keptShapeOf(protocol, modelName));
    if (kept.some((shape) => shape === undefined)) return undefined;
    templates = new TreeTemplates(PLANNED_SPANS, kept as SpanShape[]);
    byName.set(modelName, templates);
  }
  return templates;
}

/**
 * The kind of each span of the tree under an `opentelemetry,span_kinds` setting: `triton`, every span SERVER
 * (Triton's choice); `standard`, the root SERVER and every span below it INTERNAL.
 */
export function spanKindsOf(setting: SpanKindsSetting): readonly SpanKind[] {
  return Object.freeze(
    PLANNED_SPANS.map((span) => (setting === 'triton' || span.parent < 0 ? SpanKind.SERVER : SpanKind.INTERNAL)),
  );
}

/** Triton's kinds: every span SERVER. */
export const TRITON_SPAN_KINDS: readonly SpanKind[] = spanKindsOf('triton');

/** The spans of the tree exported at one `opentelemetry,detail` setting. */
export interface TreeDetail {
  /** Their indexes, in the tree's order; each span's parent is among them. */
  readonly spans: readonly number[];
  /** For each span of the tree, whether it is exported. */
  readonly kept: readonly boolean[];
}

/**
 * The spans exported at `detail`: `full` every span; `model` the root and the model span (the span named after
 * the model); `root` the root. A kept span's ancestors are kept, so each exported span's parent is exported.
 */
export function treeDetail(detail: DetailSetting): TreeDetail {
  const kept = PLANNED_SPANS.map(
    (span) =>
      detail === 'full' || span.parent < 0 || (detail === 'model' && SPAN_TREE[span.index]!.name === MODEL_NAME),
  );
  for (let i = kept.length - 1; i >= 0; i--)
    if (kept[i] && PLANNED_SPANS[i]!.parent >= 0) kept[PLANNED_SPANS[i]!.parent] = true;
  const spans = PLANNED_SPANS.filter((span) => kept[span.index]).map((span) => span.index);
  return Object.freeze({ spans: Object.freeze(spans), kept: Object.freeze(kept) });
}

/** Every span exported (Triton's tree and ts-triton's spans). */
export const FULL_DETAIL: TreeDetail = treeDetail('full');

/** The span a batch's span links to in each member's tree, and the span that links back to it. */
export const BATCH_LINKS_TO: number = indexOfKey(BATCH_SPAN.linksTo);
export const BATCH_LINKED_FROM: number = indexOfKey(BATCH_SPAN.linkedFrom);

/** The span that carries a streamed request's responses. */
export const STREAM_SPAN: number = indexOfKey(STREAM.on);
