/**
 * A recorded tree's spans are written from templates made per kind of tree and per set of recurring attribute
 * values (src/tracing/otlp/encode-recorded-tree.ts). Whatever templates are made, kept or replaced, each
 * written span must decode to what the declaration says for the request: its ids and parent, times, events,
 * attributes, flags, trace state and links.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanKind } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ExportEnvelope } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { type RecordedTree, TreeTemplates } from '../../src/tracing/otlp/encode-recorded-tree.ts';
import { WordsSpanContext } from '../../src/tracing/otlp/span-ids.ts';
import { MONOTONIC_TO_EPOCH_NS } from '../../src/core/clock.ts';
import type { RequestFacts } from '../../src/tracing/span-tree.ts';
import {
  FULL_DETAIL,
  PARENT_AT,
  PLANNED_SPANS,
  spanKindsOf,
  STEP_COUNT,
  treeDetail,
} from '../../src/tracing/tree-plan.ts';
import { spanShape } from '../../src/tracing/tree-span.ts';
import { ProtoWriter } from '../../src/wire/proto-writer.ts';
import { decodeExportRequest, type OtlpSpan } from '../fixtures/otlp-receiver.ts';

const SHAPES = PLANNED_SPANS.map((span, i) =>
  spanShape(
    ['root', 'model', 'compute', 'callable'][i]!,
    span.eventSteps.map((s) => `E${s}`),
  ),
);
const envelope = new ExportEnvelope(resourceFromAttributes({ 'service.name': 'test' }), { name: 'test' });

const hex = (words: Uint32Array, at: number, count: number): string =>
  Array.from(words.subarray(at, at + count), (w) => w.toString(16).padStart(8, '0')).join('');

/** A tree with ids 1, 2, 3, … (offset by `seed`), step `s` at `base + s` µs, and the facts given. */
function tree(seed: number, parent?: { remote: boolean; traceState?: string }): RecordedTree {
  const ids = Uint32Array.from({ length: PARENT_AT + 2 }, (_, i) => seed * 100 + i + 1);
  const times = Array.from({ length: STEP_COUNT }, (_, s) => BigInt(seed) * 1_000_000n + BigInt(s) * 1000n);
  return {
    ids,
    times,
    traceState: parent?.traceState,
    remoteParentAt: parent === undefined ? -1 : PARENT_AT,
    parentIsRemote: parent?.remote === true,
  };
}

function facts(
  tritonId: number,
  requestId: string,
  status: number,
  client: string,
  path = '/v2/models/m/infer',
): RequestFacts {
  return {
    protocol: 'HTTP',
    tritonId,
    model: { name: 'm', version: 1 },
    requestId,
    endpoint: { method: 'POST', route: '/v2/models/{model_name}/infer', path, serverPort: 8000, clientAddress: client },
    status,
  };
}

/** Writes `written` spans of `t` in parts of `split` spans and decodes them. */
function writeAndDecode(
  templates: TreeTemplates,
  t: RecordedTree,
  f: RequestFacts,
  options: { written?: readonly number[]; kinds?: readonly SpanKind[]; split?: number; links?: boolean } = {},
): OtlpSpan[] {
  const written = options.written ?? FULL_DETAIL.spans;
  const kinds = options.kinds ?? spanKindsOf('triton');
  const writer = new ProtoWriter(4096);
  envelope.open(writer);
  const links = options.links
    ? [{ context: new WordsSpanContext(Uint32Array.of(9, 9, 9, 9, 7, 7), 0, Uint32Array.of(9, 9, 9, 9, 7, 7), 4) }]
    : undefined;
  const split = options.split ?? written.length;
  for (let first = 0; first < written.length; first += split) {
    templates.write(writer, t, f, written, kinds, first, Math.min(split, written.length - first), 2, links);
  }
  return decodeExportRequest(envelope.close(writer));
}

/** Asserts that `spans` are the spans `written` of `t` as declared for `f`. */
function assertSpans(
  spans: OtlpSpan[],
  t: RecordedTree,
  f: RequestFacts,
  written: readonly number[],
  kinds: readonly SpanKind[],
): void {
  assert.equal(spans.length, written.length);
  spans.forEach((span, j) => {
    const planned = PLANNED_SPANS[written[j]!]!;
    const epoch = (step: number): bigint => t.times[step]! + MONOTONIC_TO_EPOCH_NS;
    assert.equal(span.traceId, hex(t.ids, 0, 4));
    assert.equal(span.spanId, hex(t.ids, planned.spanAt, 2));
    const parentAt = planned.parentAt >= 0 ? planned.parentAt : t.remoteParentAt;
    assert.equal(span.parentSpanId, parentAt < 0 ? '' : hex(t.ids, parentAt, 2));
    assert.equal(span.traceState, t.traceState ?? '');
    assert.equal(span.flags, 0x101 | (planned.parentAt < 0 && t.parentIsRemote ? 0x200 : 0));
    assert.equal(span.name, SHAPES[planned.index]!.name);
    assert.equal(span.kind, kinds[planned.index]! + 1);
    assert.equal(span.startTimeUnixNano, epoch(planned.startStep));
    assert.equal(span.endTimeUnixNano, epoch(planned.endStep));
    assert.deepEqual(
      span.events.map((e) => [e.name, e.timeUnixNano]),
      planned.eventSteps.map((s) => [`E${s}`, epoch(s)]),
    );
    assert.deepEqual(span.attributes, planned.attributes(f) ?? {});
  });
}

describe('TreeTemplates', () => {
  it('writes each tree as declared while its templates are made, kept and replaced', () => {
    const templates = new TreeTemplates(PLANNED_SPANS, SHAPES);
    const kinds = spanKindsOf('triton');
    // Twelve clients in turn (more than the templates kept), statuses and paths that change, ids that always do.
    for (let n = 0; n < 60; n++) {
      const t = tree(n, n % 5 === 0 ? { remote: n % 10 === 0 } : undefined);
      const f = facts(
        1000 + n * 997,
        n % 4 === 0 ? '' : `req-${n}`,
        n % 7 === 0 ? 400 : 200,
        `10.0.0.${n % 12}`,
        n % 9 === 0 ? '/v2/models/m/versions/1/infer' : undefined,
      );
      assertSpans(writeAndDecode(templates, t, f), t, f, FULL_DETAIL.spans, kinds);
    }
  });

  it('writes a propagated trace state, a part of the spans at a time, other kinds and fewer spans', () => {
    const templates = new TreeTemplates(PLANNED_SPANS, SHAPES);
    const standard = spanKindsOf('standard');
    const t = tree(3, { remote: true, traceState: 'a=1,b=2' });
    const f = facts(77, 'r', 200, '::1');
    assertSpans(writeAndDecode(templates, t, f), t, f, FULL_DETAIL.spans, spanKindsOf('triton'));
    assertSpans(writeAndDecode(templates, t, f, { split: 3 }), t, f, FULL_DETAIL.spans, spanKindsOf('triton'));
    assertSpans(writeAndDecode(templates, t, f, { kinds: standard, split: 1 }), t, f, FULL_DETAIL.spans, standard);
    // The same facts, with a local parent, then none: the root's flags and parent differ.
    for (const other of [tree(4, { remote: false }), tree(6)]) {
      assertSpans(writeAndDecode(templates, other, f), other, f, FULL_DETAIL.spans, spanKindsOf('triton'));
    }
    const model = treeDetail('model').spans;
    assertSpans(writeAndDecode(templates, t, f, { written: model, kinds: standard }), t, f, model, standard);
  });

  it('puts the links on the span named for them, whose length then grows', () => {
    const templates = new TreeTemplates(PLANNED_SPANS, SHAPES);
    const t = tree(5);
    const f = facts(8, 'r', 200, '127.0.0.1');
    const spans = writeAndDecode(templates, t, f, { links: true });
    assertSpans(spans, t, f, FULL_DETAIL.spans, spanKindsOf('triton'));
    assert.deepEqual(
      spans.map((s) => s.links.map((l) => [l.traceId, l.spanId])),
      [[], [], [['00000009000000090000000900000009', '0000000700000007']], []],
    );
  });

  it('writes a span too long for two length bytes', () => {
    const templates = new TreeTemplates(PLANNED_SPANS, SHAPES);
    const t = tree(1);
    const f = facts(8, 'r', 200, '127.0.0.1', `/${'p'.repeat(20_000)}`);
    assertSpans(writeAndDecode(templates, t, f), t, f, FULL_DETAIL.spans, spanKindsOf('triton'));
    const g = facts(9, 'x'.repeat(20_000), 200, '127.0.0.1');
    assertSpans(writeAndDecode(templates, t, g), t, g, FULL_DETAIL.spans, spanKindsOf('triton'));
  });
});
