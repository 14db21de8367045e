/**
 * The viewer page's trace model (src/viewer/ui/model.ts): the same spans read from the query API's Jaeger JSON
 * and from its OTLP JSON give the same model; the OTLP download reads back as the same trace; trace files in every
 * accepted form; the critical path; the search form's parsers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJaegerTrace } from '../../src/viewer/api/jaeger-json.ts';
import { toOtlpJson } from '../../src/viewer/api/otlp-json.ts';
import { requestPhases } from '../../src/viewer/phases.ts';
import type { Attribute, SpanRecord } from '../../src/viewer/span-record.ts';
import { formatDuration, parseDuration, parseTags } from '../../src/viewer/ui/format.ts';
import {
  buildTrace,
  criticalPath,
  fromJaeger,
  fromOtlp,
  type JaegerTrace,
  type OtlpTraces,
  parseTraceFile,
  phaseSpans,
  type Span,
  type Trace,
  toOtlp,
} from '../../src/viewer/ui/model.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const T0 = 1_767_225_600_000_000_000n;
const ms = (n: number): bigint => T0 + BigInt(Math.round(n * 1e6));

const upstream = { serviceName: 'upstream-service', attributes: [{ key: 'service.name', value: 'upstream-service' }] };
const server = {
  serviceName: 'test_server_with_passthrough',
  attributes: [
    { key: 'service.name', value: 'test_server_with_passthrough' },
    { key: 'test.key', value: 'test.value' },
  ],
};
const scope = { name: 'triton-server', version: '', attributes: [] };

function span(
  fields: Partial<SpanRecord> & Pick<SpanRecord, 'spanId' | 'name' | 'startTimeUnixNano' | 'endTimeUnixNano'>,
): SpanRecord {
  return {
    traceId: TRACE,
    parentSpanId: '',
    traceState: '',
    kind: 1,
    attributes: [],
    events: [],
    links: [],
    statusCode: 0,
    statusMessage: '',
    flags: 1,
    resource: server,
    scope,
    ...fields,
  };
}
const ev = (name: string, at: number) => ({ name, timeUnixNano: ms(at), attributes: [] as Attribute[] });

/** The client-propagation tree of the guide, with Triton's events, an error and a link to another trace. */
const SPANS: SpanRecord[] = [
  span({
    spanId: 'a000000000000001',
    name: 'outgoing-request',
    startTimeUnixNano: ms(0),
    endTimeUnixNano: ms(20),
    resource: upstream,
    scope: { name: 'upstream-service', version: '', attributes: [] },
  }),
  span({
    spanId: 'a000000000000002',
    parentSpanId: 'a000000000000001',
    name: 'POST',
    kind: 3,
    startTimeUnixNano: ms(1),
    endTimeUnixNano: ms(19),
    resource: upstream,
    attributes: [{ key: 'http.response.status_code', value: 200n }],
  }),
  span({
    spanId: 'b000000000000001',
    parentSpanId: 'a000000000000002',
    name: 'InferRequest',
    kind: 2,
    startTimeUnixNano: ms(2),
    endTimeUnixNano: ms(18),
    events: [
      ev('HTTP_RECV_START', 2),
      ev('HTTP_RECV_END', 3),
      ev('INFER_RESPONSE_COMPLETE', 16),
      ev('HTTP_SEND_START', 16.5),
      ev('HTTP_SEND_END', 18),
    ],
  }),
  span({
    spanId: 'b000000000000002',
    parentSpanId: 'b000000000000001',
    name: 'passthrough',
    startTimeUnixNano: ms(3),
    endTimeUnixNano: ms(16),
    attributes: [
      { key: 'triton.model_name', value: 'passthrough' },
      { key: 'triton.model_version', value: 1n },
    ],
    events: [ev('REQUEST_START', 3), ev('QUEUE_START', 3.5), ev('REQUEST_END', 16)],
  }),
  span({
    spanId: 'b000000000000003',
    parentSpanId: 'b000000000000002',
    name: 'compute',
    startTimeUnixNano: ms(5),
    endTimeUnixNano: ms(15),
    events: [
      ev('COMPUTE_START', 5),
      ev('COMPUTE_INPUT_END', 5.5),
      ev('COMPUTE_OUTPUT_START', 14),
      ev('COMPUTE_END', 15),
    ],
  }),
  span({
    spanId: 'b000000000000004',
    parentSpanId: 'b000000000000003',
    name: 'infer_callable',
    startTimeUnixNano: ms(5.5),
    endTimeUnixNano: ms(14),
    statusCode: 2,
    statusMessage: 'Requested Error',
    links: [
      {
        traceId: OTHER_TRACE,
        spanId: 'c000000000000001',
        traceState: '',
        attributes: [{ key: 'why', value: 'batched with' }],
      },
    ],
  }),
];

function summary(trace: Trace) {
  return trace.spans.map((s: Span) => ({
    id: s.spanId,
    parent: s.parentId,
    depth: s.depth,
    name: s.name,
    service: s.service,
    kind: s.kind,
    startUs: s.startUs,
    durationUs: s.durationUs,
    status: s.status,
    statusMessage: s.statusMessage,
    attributes: s.attributes.map((a) => [a.key, a.value]),
    resource: s.resource.map((a) => [a.key, a.value]).sort(),
    events: s.events.map((e) => [e.name, e.timeUs]),
    links: s.links.map((l) => [l.traceId, l.spanId]),
  }));
}

describe('viewer page model', () => {
  const fromJaegerJson = fromJaeger(JSON.parse(JSON.stringify(toJaegerTrace(SPANS))) as JaegerTrace);
  const fromOtlpJson = fromOtlp(JSON.parse(JSON.stringify(toOtlpJson(SPANS))) as OtlpTraces);

  it("reads the query API's Jaeger JSON as the tree, with kinds, status, events, links and resource", () => {
    const t = fromJaegerJson;
    assert.equal(t.traceId, TRACE);
    assert.deepEqual(
      t.spans.map((s) => [s.name, s.depth, s.service]),
      [
        ['outgoing-request', 0, 'upstream-service'],
        ['POST', 1, 'upstream-service'],
        ['InferRequest', 2, 'test_server_with_passthrough'],
        ['passthrough', 3, 'test_server_with_passthrough'],
        ['compute', 4, 'test_server_with_passthrough'],
        ['infer_callable', 5, 'test_server_with_passthrough'],
      ],
    );
    assert.equal(t.rootService, 'upstream-service');
    assert.equal(t.rootName, 'outgoing-request');
    assert.equal(t.durationUs, 20_000);
    assert.equal(t.errors, 1);
    assert.deepEqual(
      [...t.services],
      [
        ['upstream-service', 2],
        ['test_server_with_passthrough', 4],
      ],
    );
    const callable = t.spans.find((s) => s.name === 'infer_callable')!;
    assert.equal(callable.status, 'ERROR');
    assert.equal(callable.statusMessage, 'Requested Error');
    assert.deepEqual(
      callable.links.map((l) => [l.traceId, l.spanId]),
      [[OTHER_TRACE, 'c000000000000001']],
    );
    const post = t.spans.find((s) => s.name === 'POST')!;
    assert.equal(post.kind, 'client');
    assert.deepEqual(
      post.attributes.map((a) => [a.key, a.value, a.type]),
      [['http.response.status_code', 200, 'int64']],
    );
    const compute = t.spans.find((s) => s.name === 'compute')!;
    assert.deepEqual(
      compute.events.map((e) => e.name),
      ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END'],
    );
    assert.equal(compute.events[1]!.timeUs, Number(ms(5.5) / 1000n));
    const root = t.spans[0]!;
    assert.ok(root.resource.some((kv) => kv.key === 'service.name' && kv.value === 'upstream-service'));
  });

  it('reads the same spans from OTLP JSON into the same model (link attributes kept)', () => {
    assert.equal(fromOtlpJson.length, 1);
    assert.deepEqual(summary(fromOtlpJson[0]!), summary(fromJaegerJson));
    const callable = fromOtlpJson[0]!.spans.find((s) => s.name === 'infer_callable')!;
    assert.deepEqual(
      callable.links[0]!.attributes.map((a) => [a.key, a.value]),
      [['why', 'batched with']],
    );
  });

  it('downloads as OTLP JSON that reads back as the same trace, in every file form the page opens', () => {
    const otlp = toOtlp(fromJaegerJson);
    assert.deepEqual(summary(fromOtlp(JSON.parse(JSON.stringify(otlp)))[0]!), summary(fromJaegerJson));
    const jaegerFile = JSON.stringify({ data: [toJaegerTrace(SPANS)] });
    const lines = otlp.resourceSpans.map((rs) => JSON.stringify({ resourceSpans: [rs] })).join('\n');
    for (const [form, text] of [
      ['OTLP JSON', JSON.stringify(otlp)],
      ['OTLP JSON lines (one trace across exports)', lines],
      ["Jaeger's {data:[Trace]}", jaegerFile],
      ['a bare Jaeger trace', JSON.stringify(toJaegerTrace(SPANS))],
      ['the v3 API answer {result}', JSON.stringify({ result: toOtlpJson(SPANS) })],
    ] as const) {
      const traces = parseTraceFile(text);
      assert.equal(traces.length, 1, form);
      assert.deepEqual(summary(traces[0]!), summary(fromJaegerJson), form);
    }
    assert.throws(() => parseTraceFile('hello'), /not JSON: expected OTLP JSON/);
    assert.throws(() => parseTraceFile('{"spans": 3}'), /unrecognised file/);
  });

  it("takes a Jaeger span's parent from its references as Jaeger UI does", () => {
    const span = (spanID: string, references: { refType: string; spanID: string }[]) => ({
      traceID: TRACE,
      spanID,
      operationName: spanID,
      startTime: 1,
      duration: 1,
      processID: 'p1',
      references: references.map((r) => ({ ...r, traceID: TRACE })),
    });
    const t = fromJaeger({
      traceID: TRACE,
      processes: { p1: { serviceName: 's' } },
      spans: [
        span('a000000000000001', []),
        // Only a FOLLOWS_FROM to a span of this trace: that span is the parent.
        span('a000000000000002', [{ refType: 'FOLLOWS_FROM', spanID: 'a000000000000001' }]),
        // A CHILD_OF to a span that is not here, and a FOLLOWS_FROM to one that is: the latter is the parent.
        span('a000000000000003', [
          { refType: 'CHILD_OF', spanID: 'ffffffffffffffff' },
          { refType: 'FOLLOWS_FROM', spanID: 'a000000000000001' },
        ]),
        // Only a CHILD_OF to a missing span: a root, marked as an orphan.
        span('a000000000000004', [{ refType: 'CHILD_OF', spanID: 'eeeeeeeeeeeeeeee' }]),
      ],
    });
    const parents = Object.fromEntries(
      t.spans.map((s) => [s.spanId, [s.parentId, s.orphan, s.links.map((l) => l.spanId)]]),
    );
    assert.deepEqual(parents, {
      a000000000000001: ['', false, []],
      a000000000000002: ['a000000000000001', false, []],
      a000000000000003: ['a000000000000001', false, ['ffffffffffffffff']],
      a000000000000004: ['eeeeeeeeeeeeeeee', true, []],
    });
  });

  it('finds the critical path: the parent until its last child ends, then that child, down the tree', () => {
    const mk = (spanId: string, parentId: string, startUs: number, durationUs: number): Span => ({
      traceId: TRACE,
      spanId,
      parentId,
      name: spanId,
      service: 's',
      kind: '',
      startUs,
      durationUs,
      status: '',
      statusMessage: '',
      attributes: [],
      resource: [],
      scope: { name: '', version: '' },
      events: [],
      links: [],
      depth: 0,
      children: [],
      orphan: false,
    });
    const t = buildTrace(TRACE, [
      mk('root', '', 0, 100),
      mk('a', 'root', 10, 40),
      mk('b', 'root', 40, 50),
      mk('b1', 'b', 45, 10),
    ]);
    assert.deepEqual(
      criticalPath(t).map((s) => [s.spanId, s.startUs, s.endUs]),
      [
        ['root', 0, 10],
        ['a', 10, 40],
        ['b', 40, 45],
        ['b1', 45, 55],
        ['b', 55, 90],
        ['root', 90, 100],
      ],
    );
    // A span whose parent is missing is a root, marked as an orphan.
    const orphaned = buildTrace(TRACE, [mk('x', 'gone', 0, 5)]);
    assert.equal(orphaned.roots[0]!.orphan, true);
  });

  it("splits the guide's request into its phases from the page's spans (phases.ts on the page's model)", () => {
    const [request] = requestPhases(phaseSpans(fromJaegerJson));
    assert.equal(request?.model, 'passthrough');
    assert.deepEqual(
      request?.phases.map((p) => [p.name, p.durationNs]),
      [
        ['receive', 1e6],
        ['queue', 1.5e6],
        ['computeInput', 0.5e6],
        ['infer', 8.5e6],
        ['computeOutput', 1e6],
        ['send', 1.5e6],
      ],
    );
  });

  it("reads the search form's tags and durations, and writes durations", () => {
    assert.deepEqual(parseTags('error=true  http.route="/v2/models x"'), {
      tags: [
        ['error', 'true'],
        ['http.route', '/v2/models x'],
      ],
    });
    assert.deepEqual(parseTags(''), { tags: [] });
    assert.deepEqual(parseTags('error'), { error: 'expected key=value, got "error"' });
    assert.equal(parseDuration('1.5ms'), 1500);
    assert.equal(parseDuration('1m30s'), 90_000_000);
    assert.equal(parseDuration('fast'), undefined);
    assert.deepEqual([0, 0.5, 850, 12_345, 1_250_000].map(formatDuration), [
      '0',
      '500 ns',
      '850 µs',
      '12.3 ms',
      '1.25 s',
    ]);
  });
});
