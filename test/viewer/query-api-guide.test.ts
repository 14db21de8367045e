/**
 * The query APIs' JSON for the tracing guide's traces, field by field: the traced-span example's request (the
 * guide's passthrough with its three `traced_span`s) and the client-propagation example's trace across
 * `upstream-service` and the server. The spans are real exports, decoded into a memory store; the same spans in a
 * SQLite store give the same answers.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { handleApi } from '../../src/viewer/api/index.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import { SqliteStore } from '../../src/viewer/store/sqlite-store.ts';
import type { TraceStore } from '../../src/viewer/store/trace-store.ts';
import { guideTrace } from './guide-traces.ts';

const SERVER = 'test_server_with_passthrough';
const UPSTREAM = 'upstream-service';
const SPAN_KEYS = [
  'traceID',
  'spanID',
  'operationName',
  'references',
  'startTime',
  'duration',
  'tags',
  'logs',
  'processID',
  'warnings',
];

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  logs: { timestamp: number; fields: { key: string; type: string; value: unknown }[] }[];
  processID: string;
  warnings: null;
}

async function get(
  store: TraceStore,
  path: string,
): Promise<{ status: number; json: any; headers: Record<string, string> }> {
  const response = (await handleApi(store, 'GET', new URL(`http://viewer${path}`)))!;
  return { status: response.status, json: JSON.parse(response.body), headers: { ...response.headers } };
}

const scopeTag = { key: 'otel.scope.name', type: 'string', value: 'triton-server' };
const kindTag = (kind: string) => ({ key: 'span.kind', type: 'string', value: kind });
const eventNames = (span: JaegerSpan) =>
  span.logs.map((log) =>
    log.fields.length === 1 && log.fields[0]!.key === 'event' ? log.fields[0]!.value : log.fields,
  );

/** The server's seven spans (InferRequest → passthrough → compute → infer_callable → the three tracedSpans). */
function assertServerSpans(
  spans: Map<string, JaegerSpan>,
  records: SpanRecord[],
  traceID: string,
  processID: string,
): void {
  const record = (name: string) => records.find((r) => r.name === name)!;
  for (const [name, span] of spans) {
    const source = record(name);
    assert.deepEqual(Object.keys(span), SPAN_KEYS, name);
    assert.equal(span.traceID, traceID);
    assert.equal(span.spanID, source.spanId);
    assert.equal(span.startTime, Number(source.startTimeUnixNano / 1000n));
    assert.equal(span.duration, Number((source.endTimeUnixNano - source.startTimeUnixNano) / 1000n));
    assert.ok(Number.isInteger(span.startTime) && Number.isInteger(span.duration));
    assert.equal(span.warnings, null);
    for (const log of span.logs)
      assert.ok(log.timestamp >= span.startTime && log.timestamp <= span.startTime + span.duration + 1, name);
  }
  const childOf = (name: string, parent: string) =>
    assert.deepEqual(
      spans.get(name)!.references,
      [{ refType: 'CHILD_OF', traceID, spanID: spans.get(parent)!.spanID }],
      name,
    );
  childOf('passthrough', 'InferRequest');
  childOf('compute', 'passthrough');
  childOf('infer_callable', 'compute');
  for (const user of ['pass-through-get-data', 'pass-through-sleep', 'pass-through-append']) {
    childOf(user, 'infer_callable');
    assert.deepEqual(spans.get(user)!.tags, [scopeTag, kindTag('internal')]);
    assert.deepEqual(spans.get(user)!.logs, []);
  }
  const infer = spans.get('InferRequest')!;
  // The root carries OpenTelemetry's HTTP server attributes beside Triton's (the port is the server's own).
  const port = infer.tags.find((tag) => tag.key === 'server.port')?.value;
  assert.ok(Number.isInteger(port) && (port as number) > 0);
  assert.deepEqual(infer.tags, [
    scopeTag,
    { key: 'client.address', type: 'string', value: '127.0.0.1' },
    { key: 'http.request.method', type: 'string', value: 'POST' },
    { key: 'http.response.status_code', type: 'int64', value: 200 },
    { key: 'http.route', type: 'string', value: '/v2/models/{model_name}/generate' },
    { key: 'server.address', type: 'string', value: '127.0.0.1' },
    { key: 'server.port', type: 'int64', value: port },
    { key: 'url.path', type: 'string', value: '/v2/models/passthrough/generate' },
    kindTag('server'),
  ]);
  assert.deepEqual(eventNames(infer), [
    'HTTP_RECV_START',
    'HTTP_RECV_END',
    'INFER_RESPONSE_COMPLETE',
    'HTTP_SEND_START',
    'HTTP_SEND_END',
  ]);
  assert.deepEqual(spans.get('passthrough')!.tags, [
    scopeTag,
    { key: 'triton.model_name', type: 'string', value: 'passthrough' },
    { key: 'triton.model_version', type: 'int64', value: 1 },
    { key: 'triton.trace_id', type: 'int64', value: 1 },
    { key: 'triton.trace_parent_id', type: 'int64', value: 0 },
    kindTag('server'),
  ]);
  assert.deepEqual(eventNames(spans.get('passthrough')!), ['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
  assert.deepEqual(spans.get('compute')!.tags, [scopeTag, kindTag('server')]);
  assert.deepEqual(eventNames(spans.get('compute')!), [
    'COMPUTE_START',
    'COMPUTE_INPUT_END',
    'COMPUTE_OUTPUT_START',
    'COMPUTE_END',
  ]);
  assert.deepEqual(spans.get('infer_callable')!.tags, [scopeTag, kindTag('server')]);
  assert.deepEqual(eventNames(spans.get('infer_callable')!), []);
  for (const span of spans.values()) assert.equal(span.processID, processID, span.operationName);
}

function assertServerProcess(process: {
  serviceName: string;
  tags: { key: string; type: string; value: unknown }[];
}): void {
  assert.equal(process.serviceName, SERVER);
  assert.deepEqual(
    process.tags.map((tag) => tag.key),
    ['telemetry.sdk.language', 'telemetry.sdk.name', 'telemetry.sdk.version', 'test.key'],
  );
  assert.deepEqual(process.tags[0], { key: 'telemetry.sdk.language', type: 'string', value: 'nodejs' });
  assert.deepEqual(process.tags[1], { key: 'telemetry.sdk.name', type: 'string', value: 'opentelemetry' });
  assert.equal(process.tags[2]!.type, 'string');
  assert.deepEqual(process.tags[3], { key: 'test.key', type: 'string', value: 'test.value' });
}

const byName = (spans: JaegerSpan[]) => new Map(spans.map((span) => [span.operationName, span]));
const jaegerId = (traceId: string) => (traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId);

describe("query APIs on the guide's traces", () => {
  const memory = new MemoryStore();
  let passthrough: SpanRecord[];
  let propagated: SpanRecord[];
  before(async () => {
    passthrough = await guideTrace(memory, 'examples/traced-span/server.ts');
    propagated = await guideTrace(memory, 'examples/traced-span/server.ts', true);
  });

  test('GET /api/traces/{id}: the passthrough trace, every span and field', async () => {
    const traceId = passthrough[0]!.traceId;
    const { status, json, headers } = await get(memory, `/api/traces/${traceId}`);
    assert.equal(status, 200);
    assert.equal(headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(json), ['data', 'total', 'limit', 'offset', 'errors']);
    assert.deepEqual([json.total, json.limit, json.offset, json.errors], [0, 0, 0, null]);
    assert.equal(json.data.length, 1);
    const trace = json.data[0];
    assert.deepEqual(Object.keys(trace), ['traceID', 'spans', 'processes', 'warnings']);
    assert.equal(trace.traceID, jaegerId(traceId));
    assert.equal(trace.warnings, null);
    const spans = byName(trace.spans);
    assert.deepEqual([...spans.keys()].sort(), [
      'InferRequest',
      'compute',
      'infer_callable',
      'pass-through-append',
      'pass-through-get-data',
      'pass-through-sleep',
      'passthrough',
    ]);
    assert.deepEqual(spans.get('InferRequest')!.references, []);
    assertServerSpans(spans, passthrough, trace.traceID, 'p1');
    assert.deepEqual(Object.keys(trace.processes), ['p1']);
    assertServerProcess(trace.processes.p1);
    // The short form of the id, and the 32-digit one, find the same trace.
    const again = await get(memory, `/api/traces/${traceId.toUpperCase()}`);
    assert.deepEqual(again.json, json);
  });

  test('GET /api/traces/{id}: the client-propagation trace joins upstream-service and the server', async () => {
    const traceId = propagated[0]!.traceId;
    const { json } = await get(memory, `/api/traces/${traceId}`);
    const trace = json.data[0];
    const spans = byName(trace.spans);
    assert.equal(trace.spans.length, 9);
    const processOf = (name: string) => trace.processes[spans.get(name)!.processID];
    assert.equal(processOf('outgoing-request').serviceName, UPSTREAM);
    assert.equal(processOf('POST').serviceName, UPSTREAM);
    assertServerProcess(processOf('InferRequest'));
    assert.deepEqual(Object.keys(trace.processes).sort(), ['p1', 'p2']);
    // The client example's resource is its service name alone.
    assert.deepEqual(processOf('POST').tags, []);
    const outgoing = spans.get('outgoing-request')!;
    assert.deepEqual(outgoing.references, []);
    assert.deepEqual(outgoing.tags, [{ key: 'otel.scope.name', type: 'string', value: UPSTREAM }, kindTag('internal')]);
    const post = spans.get('POST')!;
    assert.deepEqual(post.references, [{ refType: 'CHILD_OF', traceID: trace.traceID, spanID: outgoing.spanID }]);
    assert.deepEqual(post.tags, [
      { key: 'otel.scope.name', type: 'string', value: UPSTREAM },
      { key: 'http.response.status_code', type: 'int64', value: 200 },
      kindTag('client'),
    ]);
    // Within its parent, up to the client SDK's clock: it starts each span at `Date.now()` (whole
    // milliseconds) and measures its duration on the monotonic clock, so a child's ends can pass its
    // parent's by the truncation and by the wall clock's drift against the monotonic one between the
    // two starts (1.4 ms seen once on a loaded VM).
    const slackUs = 5000;
    assert.ok(
      post.startTime + slackUs >= outgoing.startTime &&
        post.startTime + post.duration <= outgoing.startTime + outgoing.duration + slackUs,
      JSON.stringify({ outgoing: [outgoing.startTime, outgoing.duration], post: [post.startTime, post.duration] }),
    );
    const infer = spans.get('InferRequest')!;
    assert.deepEqual(infer.references, [{ refType: 'CHILD_OF', traceID: trace.traceID, spanID: post.spanID }]);
    spans.delete('outgoing-request');
    spans.delete('POST');
    assertServerSpans(spans, propagated, trace.traceID, infer.processID);
  });

  test('search, services, operations and dependencies over both traces', async () => {
    const services = await get(memory, '/api/services');
    assert.deepEqual(services.json, { data: [SERVER, UPSTREAM], total: 2, limit: 0, offset: 0, errors: null });
    const operations = await get(memory, `/api/services/${UPSTREAM}/operations`);
    assert.deepEqual(operations.json.data, ['POST', 'outgoing-request']);
    const kinds = await get(memory, `/api/operations?service=${SERVER}&spanKind=internal`);
    assert.deepEqual(kinds.json.data, [
      { name: 'pass-through-append', spanKind: 'internal' },
      { name: 'pass-through-get-data', spanKind: 'internal' },
      { name: 'pass-through-sleep', spanKind: 'internal' },
    ]);
    assert.equal(kinds.json.total, 3);
    const start = Number(passthrough[0]!.startTimeUnixNano / 1000n) - 60_000_000;
    const both = await get(
      memory,
      `/api/traces?service=${SERVER}&operation=passthrough&start=${start}&lookback=custom`,
    );
    assert.deepEqual(
      both.json.data.map((trace: { traceID: string }) => trace.traceID),
      [jaegerId(propagated[0]!.traceId), jaegerId(passthrough[0]!.traceId)],
    );
    const tagged = await get(
      memory,
      `/api/traces?service=${SERVER}&start=${start}&tags=${encodeURIComponent('{"triton.model_name":"passthrough"}')}&limit=1`,
    );
    assert.equal(tagged.json.data.length, 1);
    const upstream = await get(memory, `/api/traces?service=${UPSTREAM}&start=${start}&tag=span.kind:client`);
    assert.deepEqual(
      upstream.json.data.map((trace: { traceID: string }) => trace.traceID),
      [jaegerId(propagated[0]!.traceId)],
    );
    const none = await get(memory, `/api/traces?service=${SERVER}&start=${start}&tag=error:true`);
    assert.deepEqual(none.json.data, []);
    const deps = await get(memory, '/api/dependencies');
    assert.deepEqual(deps.json.data, [{ parent: UPSTREAM, child: SERVER, callCount: 1 }]);
  });

  test('/api/v3: trace by id, summaries and operations for the propagated trace', async () => {
    const traceId = propagated[0]!.traceId;
    const { json } = await get(memory, `/api/v3/traces/${traceId}`);
    const resources = json.result.resourceSpans;
    assert.equal(resources.length, 2);
    const names = resources
      .map((rs: any) => rs.resource.attributes.find((a: any) => a.key === 'service.name').value.stringValue)
      .sort();
    assert.deepEqual(names, [SERVER, UPSTREAM]);
    const all = resources.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans));
    assert.equal(all.length, 9);
    const infer = all.find((span: any) => span.name === 'InferRequest');
    assert.equal(infer.traceId, traceId);
    assert.equal(infer.kind, 2);
    assert.match(infer.startTimeUnixNano, /^\d+$/);
    assert.deepEqual(
      infer.events.map((event: any) => event.name),
      ['HTTP_RECV_START', 'HTTP_RECV_END', 'INFER_RESPONSE_COMPLETE', 'HTTP_SEND_START', 'HTTP_SEND_END'],
    );
    const model = all.find((span: any) => span.name === 'passthrough');
    assert.deepEqual(
      model.attributes.find((a: any) => a.key === 'triton.model_version'),
      { key: 'triton.model_version', value: { intValue: '1' } },
    );
    const min = new Date(Number(propagated[0]!.startTimeUnixNano / 1_000_000n) - 60_000).toISOString();
    const max = new Date(Number(propagated[0]!.startTimeUnixNano / 1_000_000n) + 60_000).toISOString();
    const summaries = await get(
      memory,
      `/api/v3/trace-summaries?query.serviceName=${UPSTREAM}&query.startTimeMin=${min}&query.startTimeMax=${max}`,
    );
    assert.equal(summaries.json.summaries.length, 1);
    const summary = summaries.json.summaries[0];
    assert.equal(summary.traceId, traceId);
    assert.equal(summary.rootServiceName, UPSTREAM);
    assert.equal(summary.rootOperationName, 'outgoing-request');
    assert.equal(summary.spanCount, 9);
    assert.equal(summary.errorSpanCount, undefined);
    assert.deepEqual(summary.services, [
      { name: SERVER, spanCount: 7 },
      { name: UPSTREAM, spanCount: 2 },
    ]);
    const outgoing = propagated.find((span) => span.name === 'outgoing-request')!;
    assert.equal(summary.minStartTimeUnixNano, outgoing.startTimeUnixNano.toString());
    const ops = await get(memory, `/api/v3/operations?service=${UPSTREAM}&spanKind=client`);
    assert.deepEqual(ops.json, { operations: [{ name: 'POST', spanKind: 'client' }] });
  });

  test("/api/ts-triton: the guide request's phases, the model breakdown, ranks", async () => {
    const traceId = passthrough[0]!.traceId;
    const { json } = await get(memory, `/api/ts-triton/traces/${traceId}/phases`);
    assert.equal(json.requests.length, 1);
    const request = json.requests[0];
    const infer = passthrough.find((span) => span.name === 'InferRequest')!;
    assert.equal(request.requestSpanID, infer.spanId);
    assert.equal(request.model, 'passthrough');
    assert.equal(request.version, 1);
    assert.equal(request.protocol, 'HTTP');
    assert.deepEqual(
      request.phases.map((phase: { name: string }) => phase.name),
      ['receive', 'queue', 'computeInput', 'infer', 'computeOutput', 'send'],
    );
    const sum = request.phases.reduce((total: number, phase: { duration: number }) => total + phase.duration, 0);
    assert.ok(Math.abs(sum + request.other - request.total) < 1e-6);
    // The infer phase holds the model's 1 ms sleep.
    assert.ok(request.phases[3].duration >= 1000, JSON.stringify(request.phases[3]));
    const models = await get(memory, '/api/ts-triton/models');
    assert.equal(models.json.traces, 2);
    assert.equal(models.json.models.length, 1);
    const breakdown = models.json.models[0];
    assert.equal(breakdown.model, 'passthrough');
    assert.equal(breakdown.requests, 2);
    assert.deepEqual(Object.keys(breakdown.phases), [
      'receive',
      'queue',
      'computeInput',
      'infer',
      'computeOutput',
      'send',
    ]);
    assert.equal(breakdown.phases.infer.count, 2);
    assert.ok(breakdown.phases.infer.p50 <= breakdown.phases.infer.p99);
    assert.deepEqual(breakdown.batchSizes, [{ size: 1, executions: 2 }]);
    const ranks = await get(memory, `/api/ts-triton/traces/${traceId}/ranks`);
    const rank = ranks.json.ranks[infer.spanId];
    assert.equal(rank.count, 2);
    assert.ok(rank.percentile === 50 || rank.percentile === 100);
    const stats = await get(memory, '/api/ts-triton/stats');
    assert.equal(stats.json.spans, 16);
    assert.equal(stats.json.traces, 2);
  });

  test('a SQLite store holding the same spans answers every route the same', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    try {
      sqlite.add(passthrough);
      sqlite.add(propagated);
      const start = Number(passthrough[0]!.startTimeUnixNano / 1000n) - 60_000_000;
      const min = new Date(Number(passthrough[0]!.startTimeUnixNano / 1_000_000n) - 60_000).toISOString();
      const max = new Date(Date.now() + 60_000).toISOString();
      for (const path of [
        '/api/services',
        `/api/services/${SERVER}/operations`,
        `/api/operations?service=${SERVER}`,
        `/api/traces?service=${SERVER}&start=${start}`,
        `/api/traces?service=${SERVER}&start=${start}&tag=triton.model_name:passthrough&minDuration=1ms`,
        `/api/traces/${passthrough[0]!.traceId}`,
        `/api/traces/${propagated[0]!.traceId}`,
        `/api/traces?traceID=${passthrough[0]!.traceId}&traceID=${propagated[0]!.traceId}`,
        '/api/dependencies',
        `/api/v3/traces/${propagated[0]!.traceId}`,
        `/api/v3/trace-summaries?query.startTimeMin=${min}&query.startTimeMax=${max}`,
        `/api/ts-triton/traces/${passthrough[0]!.traceId}/ranks`,
        '/api/ts-triton/models',
      ]) {
        assert.deepEqual((await get(sqlite, path)).json, (await get(memory, path)).json, path);
      }
    } finally {
      sqlite.close();
    }
  });
});
