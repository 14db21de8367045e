/**
 * OTLP protobuf encoding of a request's tree recorded without span objects (a compact trace's: ids as 32-bit
 * words, the times of its steps). Trees of one kind are written alike, so each span's bytes are made once per
 * kind of tree — its spans' shapes and kinds, whether it continues a propagated context — and per set of
 * recurring attribute values, with the places of its ids and times noted ({@link TreeTemplates}). A tree is
 * then written by copying those bytes, filling in its ids and times, and writing after each span the attributes
 * whose values differ for every request (a field's place in a protobuf message does not matter).
 *
 * @module
 */

import { type AttributeValue, type Link, type SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { MONOTONIC_TO_EPOCH_NS } from '../../core/clock.ts';
import { NO_ADDEND, ProtoWriter, WIRE_I64, WIRE_LEN, WIRE_VARINT } from '../../wire/proto-writer.ts';
import { writeAttribute, writeAttributeValue, writeLink } from './otlp-fields.ts';
import { spanFlagsOf, writeEventSlot, writeStatusAndFlagsFields } from './encode-recorded-spans.ts';
import type { AttributeDeclaration, RequestFacts } from '../span-tree.ts';
import type { SpanShape } from '../tree-span.ts';

/** A request's tree recorded without span objects: ids as 32-bit words and the times of its steps. */
export interface RecordedTree {
  /** The trace id (words 0–3), then the span ids (two words each). */
  readonly ids: Uint32Array;
  /** Monotonic nanoseconds of each step of the request. */
  readonly times: readonly bigint[];
  /** The propagated trace state, serialized. */
  readonly traceState: string | undefined;
  /** Where the propagated parent's span id is in `ids`, or -1 when there is none. */
  readonly remoteParentAt: number;
  /** Whether the propagated parent is remote. */
  readonly parentIsRemote: boolean;
}

/** Where one span of a {@link RecordedTree} finds its ids and times, and what attributes it has. */
export interface TreeSpanLayout {
  /** Where the span's id is in the tree's `ids` (two words each, after the trace id's four). */
  readonly spanAt: number;
  /** Where its parent's id is, or -1 for the tree's propagated parent (the root span). */
  readonly parentAt: number;
  /** The steps at which it starts and ends, and the step of each of its shape's events. */
  readonly startStep: number;
  readonly endStep: number;
  readonly eventSteps: readonly number[];
  /** Its attributes, as declared (span-tree.ts): written from the request's facts. */
  readonly declaredAttributes: readonly AttributeDeclaration[];
}

/**
 * A span's bytes as a template: what to copy, the ids and times to fill in it, and the attributes of its own
 * written after it (with their keys' fields, `KeyValue.key`, kept encoded). `sized` when the bytes hold the
 * span's length (nothing is written after them).
 */
interface SpanTemplate {
  readonly bytes: Uint8Array;
  /** Pairs: offset in `bytes`, index in the tree's ids of a 32-bit word written there (big-endian). */
  readonly idWords: Int32Array;
  /** Pairs: offset in `bytes`, step whose time is written there (nanoseconds since the epoch). */
  readonly times: Int32Array;
  readonly perRequest: readonly AttributeDeclaration[];
  readonly keyFields: readonly Uint8Array[];
  readonly sized: boolean;
}

/**
 * A tree's span templates for one choice of its spans' kinds, one place of the root's parent id (-1: none)
 * and whether it is remote, and one set of recurring attribute values.
 */
interface TreeTemplate {
  readonly kinds: readonly SpanKind[];
  readonly rootParentAt: number;
  readonly parentIsRemote: boolean;
  readonly values: readonly (AttributeValue | undefined)[];
  /** By span index. */
  readonly spans: readonly SpanTemplate[];
}

/** Templates kept per kind of tree: enough for a few endpoints, clients and statuses seen in turn. */
const MAX_TEMPLATES = 8;

/**
 * The templates of the trees of one kind (one shape per span: a protocol and a model): a tree whose spans'
 * kinds, propagated parent and recurring attribute values (the declared attributes not marked `perRequest`,
 * compared with `===`) are those of a kept template is written from it; another gets a template made for it,
 * which replaces the oldest kept one beyond {@link MAX_TEMPLATES}.
 */
export class TreeTemplates {
  readonly #layouts: readonly TreeSpanLayout[];
  readonly #shapes: readonly SpanShape[];
  /** The recurring attributes of every span, in order, and their values for the tree being written. */
  readonly #recurring: readonly AttributeDeclaration[];
  readonly #values: (AttributeValue | undefined)[];
  readonly #kept: TreeTemplate[] = [];
  #next = 0;

  constructor(layouts: readonly TreeSpanLayout[], shapes: readonly SpanShape[]) {
    this.#layouts = layouts;
    this.#shapes = shapes;
    this.#recurring = layouts.flatMap((layout) => layout.declaredAttributes.filter((a) => a.perRequest !== true));
    this.#values = new Array<AttributeValue | undefined>(this.#recurring.length).fill(undefined);
  }

  /**
   * Writes spans `written[first]` to `written[first + count - 1]` of `tree` (of `kinds`) as entries of `spans`
   * (field 2), with `links` on span `linkedSpan`.
   */
  write(
    writer: ProtoWriter,
    tree: RecordedTree,
    facts: RequestFacts,
    written: readonly number[],
    kinds: readonly SpanKind[],
    first: number,
    count: number,
    linkedSpan: number,
    links: readonly Link[] | undefined,
  ): void {
    const template = this.#templateFor(tree, facts, kinds);
    for (let j = first; j < first + count; j++) {
      const i = written[j]!;
      writeSpan(writer, template.spans[i]!, tree, facts, i === linkedSpan ? links : undefined);
    }
  }

  #templateFor(tree: RecordedTree, facts: RequestFacts, kinds: readonly SpanKind[]): TreeTemplate {
    const recurring = this.#recurring;
    const values = this.#values;
    for (let i = 0; i < recurring.length; i++) values[i] = recurring[i]!.value(facts);
    const kept = this.#kept;
    for (let k = 0; k < kept.length; k++) {
      const t = kept[k]!;
      if (
        (t.kinds === kinds || sameValues(t.kinds, kinds)) &&
        t.rootParentAt === tree.remoteParentAt &&
        t.parentIsRemote === tree.parentIsRemote &&
        sameValues(t.values, values)
      ) {
        return t;
      }
    }
    const template = this.#make(kinds, tree, facts);
    if (kept.length < MAX_TEMPLATES) kept.push(template);
    else {
      kept[this.#next] = template;
      this.#next = (this.#next + 1) % MAX_TEMPLATES;
    }
    return template;
  }

  #make(kinds: readonly SpanKind[], tree: RecordedTree, facts: RequestFacts): TreeTemplate {
    const { remoteParentAt, parentIsRemote } = tree;
    const spans = this.#layouts.map((layout, i) => {
      const root = layout.parentAt < 0;
      return spanTemplate(layout, this.#shapes[i]!, kinds[i]!, facts, {
        parentAt: root ? remoteParentAt : layout.parentAt,
        flags: spanFlagsOf(root && parentIsRemote),
      });
    });
    return { kinds, rootParentAt: remoteParentAt, parentIsRemote, values: this.#values.slice(), spans };
  }
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes one span of `tree` from its template (see the module comment). */
function writeSpan(
  writer: ProtoWriter,
  span: SpanTemplate,
  tree: RecordedTree,
  facts: RequestFacts,
  links: readonly Link[] | undefined,
): void {
  const { ids, times } = tree;
  const at = writer.pos;
  writer.raw(span.bytes);
  const view = writer.view;
  const idWords = span.idWords;
  for (let k = 0; k < idWords.length; k += 2) view.setUint32(at + idWords[k]!, ids[idWords[k + 1]!]!);
  const stepTimes = span.times;
  // As nanoseconds since the epoch: optimized code adds and stores them as 64-bit integers, with no BigInt made.
  for (let k = 0; k < stepTimes.length; k += 2) {
    view.setBigUint64(at + stepTimes[k]!, BigInt.asUintN(64, times[stepTimes[k + 1]!]! + MONOTONIC_TO_EPOCH_NS), true);
  }
  if (span.sized && !tree.traceState && links === undefined) return;
  // A field's place in a message does not matter: the attributes of each request's own, the trace state and
  // the links go after the template's bytes.
  const perRequest = span.perRequest;
  for (let i = 0; i < perRequest.length; i++) {
    const value = perRequest[i]!.value(facts);
    if (value !== undefined) writeKeyValue(writer, span.keyFields[i]!, value);
  }
  const traceState = tree.traceState;
  if (traceState) {
    writer.tag(3, WIRE_LEN);
    writer.string(traceState);
  }
  if (links !== undefined) for (let i = 0; i < links.length; i++) writeLink(writer, links[i]!);
  writer.endLarge(at + SPAN_HEAD);
}

/** An attribute (field 9) whose key's field (`KeyValue.key`) is `keyField`. */
function writeKeyValue(writer: ProtoWriter, keyField: Uint8Array, value: AttributeValue): void {
  writer.tag(9, WIRE_LEN);
  const start = writer.begin();
  writer.raw(keyField);
  writeAttributeValue(writer, value);
  writer.end(start);
}

/** A span entry's tag (field 2) and the two bytes of its length ({@link ProtoWriter.beginLarge}). */
const SPAN_HEAD = 3;

/** Writes a span's template, noting where ids and times go. */
class TemplateWriter {
  readonly writer = new ProtoWriter(1024);
  readonly #idWords: number[] = [];
  readonly #times: number[] = [];

  /** An id of `count` words from `ids[idsAt]` (field `field`). */
  id(field: number, idsAt: number, count: number): void {
    const writer = this.writer;
    writer.tag(field, WIRE_LEN);
    writer.byte(count * 4);
    for (let k = 0; k < count; k++) {
      this.#idWords.push(writer.pos, idsAt + k);
      writer.fixed32(0);
    }
  }

  /** A fixed64 field `field` holding the time of `step`. */
  time(field: number, step: number): void {
    this.writer.tag(field, WIRE_I64);
    this.#times.push(this.writer.pos, step);
    this.writer.fixed64Sum(0n, NO_ADDEND);
  }

  /** An event (field 11) named `name` at `step`. */
  event(name: string, step: number): void {
    this.#times.push(writeEventSlot(this.writer, name), step);
  }

  /** The template written, followed by `perRequest` attributes. */
  finish(perRequest: readonly AttributeDeclaration[], sized: boolean): SpanTemplate {
    const keyFields = perRequest.map((attribute) => {
      const key = new ProtoWriter(256);
      key.nameField(1, attribute.key);
      return Uint8Array.from(key.finish());
    });
    return {
      bytes: Uint8Array.from(this.writer.finish()),
      idWords: Int32Array.from(this.#idWords),
      times: Int32Array.from(this.#times),
      perRequest,
      keyFields,
      sized,
    };
  }
}

/**
 * The template of one span: fields 1–2 (trace and span ids), 4 (the parent's, from `ids[span.parentAt]`
 * unless that is negative), 5–8 (name, kind, start and end time), its recurring attributes (9) with their
 * values for `facts`, its shape's events (11), an unset status and `span.flags` (15, 16). Its per-request
 * attributes are written after it, for each request.
 */
function spanTemplate(
  layout: TreeSpanLayout,
  shape: SpanShape,
  kind: SpanKind,
  facts: RequestFacts,
  span: { readonly parentAt: number; readonly flags: number },
): SpanTemplate {
  const out = new TemplateWriter();
  const writer = out.writer;
  writer.tag(2, WIRE_LEN);
  const contentStart = writer.beginLarge();
  out.id(1, 0, 4);
  out.id(2, layout.spanAt, 2);
  if (span.parentAt >= 0) out.id(4, span.parentAt, 2);
  writer.tag(5, WIRE_LEN);
  writer.name(shape.name);
  writer.tag(6, WIRE_VARINT);
  writer.byte(kind + 1);
  out.time(7, layout.startStep);
  out.time(8, layout.endStep);
  const perRequest = layout.declaredAttributes.filter((attribute) => attribute.perRequest === true);
  for (const attribute of layout.declaredAttributes) {
    const value = attribute.perRequest === true ? undefined : attribute.value(facts);
    if (value !== undefined) writeAttribute(writer, 9, attribute.key, value);
  }
  shape.events.forEach((name, i) => out.event(name, layout.eventSteps[i]!));
  writeStatusAndFlagsFields(writer, SpanStatusCode.UNSET, undefined, span.flags);
  // Nothing of its own written after it: its length is known now (unless too long for the two bytes).
  const sized = perRequest.length === 0 && writer.pos - contentStart < 0x4000;
  if (sized) writer.endLarge(contentStart);
  return out.finish(perRequest, sized);
}
