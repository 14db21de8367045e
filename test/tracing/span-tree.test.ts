/**
 * The declared span tree (src/tracing/span-tree.ts) and what is derived from it: the table of docs/tracing.md
 * lists exactly its spans, events and attributes, with their steps and whose they are; the plan gives each
 * step's starts, events and ends in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BATCH_SPAN, MODEL_NAME, ON_FAILURE, STREAM, type Origin, SPAN_TREE } from '../../src/tracing/span-tree.ts';
import { PLANNED_SPANS, REQUEST_SPAN, STEP, STEP_PLANS } from '../../src/tracing/tree-plan.ts';

type Row = [item: string, names: string[], steps: string[], whose: string];

const whose = (by: Origin): string => (by === 'Triton' ? "Triton's" : "ts-triton's");

/** The table's rows as the declaration says they must be, in its order. */
function declaredRows(): Row[] {
  const rows: Row[] = [];
  for (const span of SPAN_TREE) {
    const name = span.name === MODEL_NAME ? '*model name*' : span.name;
    rows.push(['span', [name], [span.start, span.end], whose(span.by)]);
    const events = [...span.events].sort((a, b) => STEP[a.at] - STEP[b.at]);
    for (const e of events) {
      const names = typeof e.name === 'string' ? [e.name] : [...new Set([e.name.HTTP, e.name.GRPC])];
      rows.push(['event', names, [e.at], whose(e.by)]);
    }
    // Attributes are set as the span ends.
    for (const a of span.attributes) rows.push(['attribute', [a.key], [span.end], whose(a.by)]);
  }
  rows.push(['event', [ON_FAILURE.event], [], whose(ON_FAILURE.by)]);
  for (const a of ON_FAILURE.attributes) rows.push(['attribute', [a.key], [], whose(a.by)]);
  rows.push(['span', [BATCH_SPAN.name('<model>')], [BATCH_SPAN.start, BATCH_SPAN.end], whose(BATCH_SPAN.by)]);
  for (const a of BATCH_SPAN.attributes) rows.push(['attribute', [a.key], [BATCH_SPAN.end], whose(a.by)]);
  rows.push(['link', [BATCH_SPAN.linksTo], [], whose(BATCH_SPAN.by)]);
  rows.push(['link', [BATCH_SPAN.linkedFrom], [], whose(BATCH_SPAN.by)]);
  const streamSpan = SPAN_TREE.find((s) => s.key === STREAM.on)!;
  rows.push(['event', [STREAM.responseEvent], [], whose(STREAM.by)]);
  rows.push(['event', [STREAM.cancelEvent], [], whose(STREAM.by)]);
  rows.push(['attribute', [STREAM.indexKey], [], whose(STREAM.by)]);
  for (const a of STREAM.attributes) rows.push(['attribute', [a.key], [streamSpan.end], whose(a.by)]);
  return rows;
}

/** The rows of the span-tree table of docs/tracing.md. */
function documentedRows(): Row[] {
  const text = readFileSync(new URL('../../docs/tracing.md', import.meta.url), 'utf8');
  const start = text.indexOf('<!-- span-tree table');
  assert.ok(start >= 0, 'docs/tracing.md has the span-tree table');
  const lines = text.slice(start).split('\n').slice(3);
  const rows: Row[] = [];
  const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    const [item, name, step, owner] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const head = name!.split(' (')[0]!;
    const names = ticked(head);
    rows.push([item!, names.length > 0 ? names : [head], ticked(step!), owner!]);
  }
  return rows;
}

describe('the declared span tree', () => {
  it('is the table of docs/tracing.md, row for row', () => {
    assert.deepEqual(documentedRows(), declaredRows());
  });

  it('plans each step: spans started, events added in step order, spans ended children first', () => {
    const plans = STEP_PLANS.HTTP;
    assert.deepEqual(plans[STEP.START]!.starts, [0]);
    assert.deepEqual(plans[STEP.START]!.eventNames, ['HTTP_RECV_START']);
    assert.deepEqual(STEP_PLANS.GRPC[STEP.START]!.eventNames, ['GRPC_WAITREAD_START']);
    assert.deepEqual(plans[STEP.RESPONSE_COMPLETE]!.eventNames, ['INFER_RESPONSE_COMPLETE', 'REQUEST_END']);
    assert.deepEqual(plans[STEP.RESPONSE_COMPLETE]!.ends, [1]);
    assert.equal(SPAN_TREE[REQUEST_SPAN]!.name, 'infer_callable');
    // Every span's ids follow the trace id's four words, two words each; the root's parent is the caller's.
    assert.deepEqual(
      PLANNED_SPANS.map((s) => [s.spanAt, s.parentAt]),
      [
        [4, -1],
        [6, 4],
        [8, 6],
        [10, 8],
      ],
    );
    assert.deepEqual(PLANNED_SPANS[2]!.eventSteps, [
      STEP.COMPUTE_START,
      STEP.COMPUTE_INPUT_END,
      STEP.COMPUTE_OUTPUT_START,
      STEP.COMPUTE_END,
    ]);
  });
});
