/**
 * The query APIs' mapping and error cases on small made-up traces: Jaeger's OTLP → JSON mapping (tag order,
 * kinds, status, trace state, references, logs, processes, value types, id forms), every route's parameter
 * errors with Jaeger's messages and bodies, the v3 gateway's, ts-triton's routes, and Go's duration parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGoDuration, parseTraceId } from '../../src/viewer/api/go-parse.ts';
import { handleApi } from '../../src/viewer/api/index.ts';
import { decodeOtlpJson } from '../../src/viewer/otlp/decode-json.ts';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import type { TraceStore } from '../../src/viewer/store/trace-store.ts';

const T0 = 1_767_225_600_000_000_000n;
const NOW_MS = Number(T0 / 1_000_000n) + 1000;
const ns = (us: number): string => String(T0 + BigInt(us) * 1000n);
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SHORT = '00000000000000000000000000abc123';

/** Three resources (two alike), scopes, every value type, links, events, statuses. */
function exportBody() {
  const resource = { attributes: [str('service.name', 'frontend'), str('zone', 'a')] };
  return {
    resourceSpans: [
      {
        resource,
        scopeSpans: [
          {
            scope: { name: 'http', version: '2.0' },
            spans: [
              {
                traceId: TRACE,
                spanId: '00f067aa0ba902b7',
                name: 'GET /infer',
                kind: 2,
                traceState: 'vendor=1',
                startTimeUnixNano: ns(0),
                endTimeUnixNano: ns(12_000),
                attributes: [
                  str('z.last', 'z'),
                  { key: 'big', value: { intValue: '9007199254740993' } },
                  { key: 'neg', value: { intValue: '-9007199254740993' } },
                  { key: 'small', value: { intValue: '42' } },
                  { key: 'ratio', value: { doubleValue: 0.5 } },
                  { key: 'ok', value: { boolValue: true } },
                  { key: 'raw', value: { bytesValue: 'AQID' } },
                  { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
                  { key: 'map', value: { kvlistValue: { values: [str('k', 'v')] } } },
                ],
                status: { code: 1 },
              },
            ],
          },
        ],
      },
      {
        resource: { attributes: [str('service.name', 'frontend'), str('zone', 'a')] },
        scopeSpans: [
          {
            scope: { name: 'worker' },
            spans: [
              {
                traceId: TRACE,
                spanId: 'a1b2c3d4e5f60718',
                parentSpanId: '00f067aa0ba902b7',
                name: 'compute',
                kind: 1,
                startTimeUnixNano: ns(1000),
                endTimeUnixNano: ns(9000),
                events: [
                  {
                    timeUnixNano: ns(4000),
                    name: 'batch.flushed',
                    attributes: [{ key: 'size', value: { intValue: '4' } }],
                  },
                  { timeUnixNano: ns(5000), name: 'named', attributes: [str('event', 'mine')] },
                  { timeUnixNano: ns(6000), name: '' },
                ],
                links: [
                  {
                    traceId: 'ffffffffffffffffffffffffffffffff',
                    spanId: '1111111111111111',
                    attributes: [str('why', 'batch')],
                  },
                  {
                    traceId: TRACE,
                    spanId: '00f067aa0ba902b7',
                    attributes: [str('opentracing.ref_type', 'follows_from')],
                  },
                  { traceId: SHORT, spanId: '2222222222222222', attributes: [str('opentracing.ref_type', 'child_of')] },
                ],
              },
            ],
          },
        ],
      },
      {
        resource: { attributes: [str('service.name', 'model-server')] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: TRACE,
                spanId: '0918273645abcdef',
                parentSpanId: 'a1b2c3d4e5f60718',
                name: 'POST /v2/models/m/infer',
                kind: 3,
                startTimeUnixNano: ns(2000),
                endTimeUnixNano: ns(7000),
                status: { code: 2, message: 'boom' },
              },
            ],
          },
        ],
      },
      {
        scopeSpans: [
          {
            spans: [
              {
                traceId: SHORT,
                spanId: '3333333333333333',
                name: 'anonymous',
                startTimeUnixNano: ns(500),
                endTimeUnixNano: ns(501),
              },
            ],
          },
        ],
      },
    ],
  };
}

function store(): TraceStore {
  const s = new MemoryStore();
  s.add(decodeOtlpJson(exportBody()).spans);
  return s;
}

async function call(s: TraceStore, path: string, method = 'GET', body?: string) {
  const response = await handleApi(
    s,
    method,
    new URL(`http://viewer${path}`),
    body === undefined ? undefined : new TextEncoder().encode(body),
    {
      now: () => NOW_MS,
    },
  );
  return response;
}

async function json(s: TraceStore, path: string): Promise<any> {
  const response = (await call(s, path))!;
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body);
}

/** Asserts a Jaeger v1 error: status, Go's text/plain, the envelope with one error, a trailing newline. */
async function jaegerError(s: TraceStore, path: string, status: number, msg: string): Promise<void> {
  const response = (await call(s, path))!;
  assert.equal(response.status, status, path);
  assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
  assert.ok(response.body.endsWith('}\n'));
  assert.deepEqual(
    JSON.parse(response.body),
    { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] },
    path,
  );
}

async function gatewayError(s: TraceStore, path: string, status: number, message: string): Promise<void> {
  const response = (await call(s, path))!;
  assert.equal(response.status, status, path);
  assert.deepEqual(JSON.parse(response.body), { error: { httpCode: status, message } }, path);
}

describe('Jaeger JSON mapping', () => {
  const s = store();

  test('tags: scope first, attributes by key with their types, kind, status, trace state', async () => {
    const trace = (await json(s, `/api/traces/${TRACE}`)).data[0];
    const root = trace.spans.find((span: any) => span.operationName === 'GET /infer');
    assert.deepEqual(root.tags, [
      { key: 'otel.scope.name', type: 'string', value: 'http' },
      { key: 'otel.scope.version', type: 'string', value: '2.0' },
      { key: 'big', type: 'int64', value: '9007199254740993' },
      { key: 'list', type: 'string', value: '["a",1]' },
      { key: 'map', type: 'string', value: '{"k":"v"}' },
      { key: 'neg', type: 'int64', value: '-9007199254740993' },
      { key: 'ok', type: 'bool', value: true },
      { key: 'ratio', type: 'float64', value: 0.5 },
      { key: 'raw', type: 'binary', value: 'AQID' },
      { key: 'small', type: 'int64', value: 42 },
      { key: 'z.last', type: 'string', value: 'z' },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'OK' },
      { key: 'w3c.tracestate', type: 'string', value: 'vendor=1' },
    ]);
    assert.equal(root.startTime, Number(T0 / 1000n));
    assert.equal(root.duration, 12_000);
    assert.equal('flags' in root, false);
    const client = trace.spans.find((span: any) => span.operationName === 'POST /v2/models/m/infer');
    assert.deepEqual(client.tags, [
      { key: 'span.kind', type: 'string', value: 'client' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'boom' },
    ]);
    // raw=true keeps the attributes in their stored order.
    const raw = (await json(s, `/api/traces/${TRACE}?raw=true`)).data[0];
    const rawRoot = raw.spans.find((span: any) => span.operationName === 'GET /infer');
    assert.deepEqual(
      rawRoot.tags.slice(2, 4).map((tag: any) => tag.key),
      ['z.last', 'big'],
    );
  });

  test('references: parent first as CHILD_OF, links FOLLOWS_FROM unless child_of, a link to the parent retypes it', async () => {
    const trace = (await json(s, `/api/traces/${TRACE}`)).data[0];
    const compute = trace.spans.find((span: any) => span.operationName === 'compute');
    assert.deepEqual(compute.references, [
      { refType: 'FOLLOWS_FROM', traceID: TRACE, spanID: '00f067aa0ba902b7' },
      { refType: 'FOLLOWS_FROM', traceID: 'ffffffffffffffffffffffffffffffff', spanID: '1111111111111111' },
      { refType: 'CHILD_OF', traceID: '0000000000abc123', spanID: '2222222222222222' },
    ]);
    assert.deepEqual(compute.tags, [
      { key: 'otel.scope.name', type: 'string', value: 'worker' },
      { key: 'span.kind', type: 'string', value: 'internal' },
    ]);
  });

  test('logs: the event name as field `event` first (unless an attribute is named so), then the attributes', async () => {
    const trace = (await json(s, `/api/traces/${TRACE}`)).data[0];
    const compute = trace.spans.find((span: any) => span.operationName === 'compute');
    const us = Number(T0 / 1000n);
    assert.deepEqual(compute.logs, [
      {
        timestamp: us + 4000,
        fields: [
          { key: 'event', type: 'string', value: 'batch.flushed' },
          { key: 'size', type: 'int64', value: 4 },
        ],
      },
      { timestamp: us + 5000, fields: [{ key: 'event', type: 'string', value: 'mine' }] },
      { timestamp: us + 6000, fields: [] },
    ]);
  });

  test('processes: one per distinct resource, p1, p2 … in order of first use', async () => {
    const trace = (await json(s, `/api/traces/${TRACE}`)).data[0];
    assert.deepEqual(trace.processes, {
      p1: { serviceName: 'frontend', tags: [{ key: 'zone', type: 'string', value: 'a' }] },
      p2: { serviceName: 'model-server', tags: [] },
    });
    assert.deepEqual(
      trace.spans.map((span: any) => span.processID),
      ['p1', 'p1', 'p2'],
    );
  });

  test('a trace id with a zero high half is 16 digits; a resource without attributes has no service name', async () => {
    const trace = (await json(s, '/api/traces/abc123')).data[0];
    assert.equal(trace.traceID, '0000000000abc123');
    assert.equal(trace.spans[0].traceID, '0000000000abc123');
    assert.deepEqual(trace.processes, { p1: { serviceName: 'OTLPResourceNoServiceName', tags: [] } });
    assert.deepEqual(trace.spans[0].tags, []);
    assert.equal(trace.spans[0].duration, 1);
  });

  test('POST /api/transform: OTLP JSON to one Jaeger trace per trace id', async () => {
    const response = (await call(new MemoryStore(), '/api/transform', 'POST', JSON.stringify(exportBody())))!;
    assert.equal(response.status, 200);
    const body = JSON.parse(response.body);
    assert.deepEqual(
      body.data.map((trace: any) => [trace.traceID, trace.spans.length]),
      [
        [TRACE, 3],
        ['0000000000abc123', 1],
      ],
    );
    assert.deepEqual(body.data[0], (await json(s, `/api/traces/${TRACE}`)).data[0]);
    const lines = `${JSON.stringify(exportBody())}\n${JSON.stringify({ resourceSpans: [exportBody().resourceSpans[3]] })}\n`;
    const jsonLines = JSON.parse((await call(new MemoryStore(), '/api/transform', 'POST', lines))!.body);
    assert.deepEqual(
      jsonLines.data.map((trace: any) => [trace.traceID, trace.spans.length]),
      [
        [TRACE, 3],
        ['0000000000abc123', 2],
      ],
    );
    const bad = (await call(new MemoryStore(), '/api/transform', 'POST', '{"resourceSpans": 3}'))!;
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).errors[0].msg, /resourceSpans/);
    const notJson = (await call(new MemoryStore(), '/api/transform', 'POST', 'nope'))!;
    assert.equal(notJson.status, 400);
  });
});

describe('Jaeger v1 routes', () => {
  const s = store();

  test('services, operations (legacy and with kinds), envelope totals, prettyPrint', async () => {
    assert.deepEqual(await json(s, '/api/services'), {
      data: ['', 'frontend', 'model-server'],
      total: 3,
      limit: 0,
      offset: 0,
      errors: null,
    });
    assert.deepEqual((await json(s, '/api/services/frontend/operations')).data, ['GET /infer', 'compute']);
    assert.deepEqual((await json(s, '/api/services/nobody/operations')).data, []);
    assert.deepEqual(await json(s, '/api/operations?service=frontend&spanKind=server'), {
      data: [{ name: 'GET /infer', spanKind: 'server' }],
      total: 1,
      limit: 0,
      offset: 0,
      errors: null,
    });
    assert.deepEqual((await json(s, '/api/operations?service=frontend')).data.length, 2);
    assert.deepEqual((await json(s, '/api/operations?service=frontend&spanKind=bogus')).data, []);
    await jaegerError(s, '/api/operations', 400, "parameter 'service' is required");
    assert.equal(
      (await call(s, '/api/services?prettyPrint=true'))!.body,
      JSON.stringify(await json(s, '/api/services'), null, 4),
    );
    assert.equal(
      (await call(s, '/api/services?prettyPrint=false'))!.body,
      JSON.stringify(await json(s, '/api/services')),
    );
  });

  test('search: every filter, the default 48 h window, traceID lookups with misses in errors', async () => {
    const ids = async (query: string) =>
      (await json(s, `/api/traces?${query}`)).data.map((trace: any) => trace.traceID);
    assert.deepEqual(await ids('service=frontend'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&operation=compute'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&operation=nothing'), []);
    assert.deepEqual(await ids('service=frontend&tag=zone:a'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&tag=why:batch'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&tag=size:4'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&tag=big:9007199254740993'), [TRACE]);
    assert.deepEqual(await ids(`service=frontend&tags=${encodeURIComponent('{"zone":"b"}')}`), []);
    assert.deepEqual(await ids(`service=frontend&tag=zone:b&tags=${encodeURIComponent('{"zone":"a"}')}`), [TRACE]);
    assert.deepEqual(await ids('service=model-server&tag=error:true'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&tag=error:true'), []);
    assert.deepEqual(await ids('service=frontend&minDuration=10ms'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&minDuration=12001us'), []);
    assert.deepEqual(await ids('service=frontend&maxDuration=8ms&minDuration=7.5ms'), [TRACE]);
    assert.deepEqual(await ids('service=frontend&maxDuration=7.999ms&minDuration=7.5ms'), []);
    const start = Number(T0 / 1000n);
    assert.deepEqual(await ids(`service=frontend&start=${start + 500}&end=${start + 1500}`), [TRACE]);
    assert.deepEqual(await ids(`service=frontend&start=${start + 1001}`), []);
    assert.deepEqual(await ids(`service=frontend&start=${start}&end=${start + 1}&lookback=1h`), [TRACE]);
    assert.deepEqual(await ids('service=frontend&limit=0'), [TRACE]);
    const old = new MemoryStore();
    old.add(decodeOtlpJson(exportBody()).spans);
    const later = await handleApi(old, 'GET', new URL('http://viewer/api/traces?service=frontend'), undefined, {
      now: () => NOW_MS + 49 * 3600_000,
    });
    assert.deepEqual(JSON.parse(later!.body).data, []);
    const byId = await json(s, `/api/traces?traceID=${TRACE}&traceID=abc123&traceID=ff`);
    assert.deepEqual(
      byId.data.map((trace: any) => trace.traceID),
      [TRACE, '0000000000abc123'],
    );
    assert.deepEqual(byId.errors, [{ msg: 'trace not found', traceID: '00000000000000ff' }]);
  });

  test('search errors, with Jaeger’s messages', async () => {
    const e = (query: string, msg: string) => jaegerError(s, `/api/traces?${query}`, 400, msg);
    await e('', "parameter 'service' is required");
    await e('service=a&start=abc', 'unable to parse param \'start\': strconv.ParseInt: parsing "abc": invalid syntax');
    await e('service=a&end=1.5', 'unable to parse param \'end\': strconv.ParseInt: parsing "1.5": invalid syntax');
    await e('service=a&tag=nocolon', "malformed 'tag' parameter, expecting key:value, received: nocolon");
    await e('service=a&tags={', "malformed 'tags' parameter, cannot unmarshal JSON: unexpected end of JSON input");
    await e(
      'service=a&tags=[1]',
      "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal array into Go value of type map[string]string",
    );
    await e(
      'service=a&tags={"a":1}',
      "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal number into Go value of type string",
    );
    await e('service=a&limit=x', 'strconv.ParseInt: parsing "x": invalid syntax');
    await e('service=a&limit=99999999999', 'strconv.ParseInt: parsing "99999999999": value out of range');
    await e('service=a&minDuration=abc', 'unable to parse param \'minDuration\': time: invalid duration "abc"');
    await e('service=a&maxDuration=10', 'unable to parse param \'maxDuration\': time: missing unit in duration "10"');
    await e(
      'service=a&maxDuration=10d',
      'unable to parse param \'maxDuration\': time: unknown unit "d" in duration "10d"',
    );
    await e('service=a&minDuration=2s&maxDuration=1s', "'maxDuration' should be greater than 'minDuration'");
    await e('traceID=xyz!', 'cannot parse traceID param: strconv.ParseUint: parsing "xyz!": invalid syntax');
    await e('service=a&raw=maybe', 'unable to parse param \'raw\': strconv.ParseBool: parsing "maybe": invalid syntax');
  });

  test('trace by id: ids in any length up to 32 digits or base64; 400 and 404', async () => {
    assert.equal((await json(s, `/api/traces/${TRACE.toUpperCase()}`)).data[0].traceID, TRACE);
    assert.equal((await json(s, '/api/traces/0abc123')).data[0].traceID, '0000000000abc123');
    const base64 = Buffer.from(TRACE, 'hex').toString('base64url');
    assert.equal((await json(s, `/api/traces/${base64}`)).data[0].traceID, TRACE);
    await jaegerError(s, '/api/traces/ffffffffffffffff', 404, 'trace not found');
    await jaegerError(s, `/api/traces/${TRACE}0`, 400, `TraceID cannot be longer than 32 hex characters: ${TRACE}0`);
    await jaegerError(s, '/api/traces/xyz', 400, 'invalid length for TraceID');
    await jaegerError(
      s,
      `/api/traces/${TRACE}?start=x`,
      400,
      'unable to parse param \'start\': strconv.ParseInt: parsing "x": invalid syntax',
    );
    await jaegerError(
      s,
      `/api/traces/${TRACE}?raw=2`,
      400,
      'unable to parse param \'raw\': strconv.ParseBool: parsing "2": invalid syntax',
    );
  });

  test('dependencies: calls between services in the window (ms), filtered by service; errors', async () => {
    const endTs = NOW_MS;
    assert.deepEqual((await json(s, '/api/dependencies')).data, [
      { parent: 'frontend', child: 'model-server', callCount: 1 },
    ]);
    assert.deepEqual((await json(s, `/api/dependencies?endTs=${endTs}&lookback=500`)).data, []);
    assert.deepEqual(
      (await json(s, `/api/dependencies?endTs=${endTs}&lookback=2000&service=model-server`)).data.length,
      1,
    );
    assert.deepEqual((await json(s, '/api/dependencies?service=other')).data, []);
    await jaegerError(
      s,
      '/api/dependencies?endTs=soon',
      400,
      'unable to parse param \'endTs\': strconv.ParseInt: parsing "soon": invalid syntax',
    );
    await jaegerError(
      s,
      '/api/dependencies?lookback=1h',
      400,
      'unable to parse param \'lookback\': strconv.ParseInt: parsing "1h": invalid syntax',
    );
  });

  test('other paths: 404 text under /api, 405 for a known path, undefined outside /api', async () => {
    const missing = (await call(s, '/api/nothing'))!;
    assert.deepEqual(
      [missing.status, missing.body, missing.headers['content-type']],
      [404, '404 page not found\n', 'text/plain; charset=utf-8'],
    );
    assert.equal((await call(s, '/api/v3/nothing'))!.status, 404);
    assert.equal((await call(s, '/api/archive/abc', 'POST'))!.status, 404);
    const post = (await call(s, '/api/services', 'POST'))!;
    assert.deepEqual([post.status, post.headers['allow']], [405, 'GET']);
    assert.equal((await call(s, '/api/transform'))!.status, 405);
    assert.equal(await call(s, '/'), undefined);
    assert.equal(await call(s, '/apis'), undefined);
    assert.equal((await call(s, '/api/services', 'HEAD'))!.status, 200);
  });
});

describe('Jaeger /api/v3 routes', () => {
  const s = store();
  const window = `query.startTimeMin=${new Date(NOW_MS - 3600_000).toISOString()}&query.startTimeMax=${new Date(NOW_MS).toISOString()}`;

  test('services, operations (no kind is internal), trace by id in OTLP JSON', async () => {
    assert.deepEqual(await json(s, '/api/v3/services'), { services: ['', 'frontend', 'model-server'] });
    assert.deepEqual(await json(s, '/api/v3/operations?service=frontend'), {
      operations: [
        { name: 'GET /infer', spanKind: 'server' },
        { name: 'compute', spanKind: 'internal' },
      ],
    });
    assert.deepEqual(await json(s, '/api/v3/operations?service=frontend&span_kind=server'), {
      operations: [{ name: 'GET /infer', spanKind: 'server' }],
    });
    const { result } = await json(s, `/api/v3/traces/${TRACE}`);
    assert.equal(result.resourceSpans.length, 2);
    const [front, model] = result.resourceSpans;
    assert.deepEqual(front.resource, { attributes: [str('service.name', 'frontend'), str('zone', 'a')] });
    assert.deepEqual(
      front.scopeSpans.map((ss: any) => ss.scope),
      [{ name: 'http', version: '2.0' }, { name: 'worker' }],
    );
    const root = front.scopeSpans[0].spans[0];
    assert.deepEqual(Object.keys(root), [
      'traceId',
      'spanId',
      'traceState',
      'name',
      'kind',
      'startTimeUnixNano',
      'endTimeUnixNano',
      'attributes',
      'status',
    ]);
    assert.deepEqual(root.status, { code: 1 });
    assert.equal(root.startTimeUnixNano, ns(0));
    assert.deepEqual(root.attributes[0], { key: 'big', value: { intValue: '9007199254740993' } });
    assert.deepEqual(
      root.attributes.find((a: any) => a.key === 'raw'),
      { key: 'raw', value: { bytesValue: 'AQID' } },
    );
    assert.deepEqual(model.scopeSpans[0].scope, {});
    assert.deepEqual(model.scopeSpans[0].spans[0].status, { message: 'boom', code: 2 });
    const compute = front.scopeSpans[1].spans[0];
    assert.equal(compute.parentSpanId, '00f067aa0ba902b7');
    assert.equal(compute.links.length, 3);
    assert.deepEqual(compute.events[2], { timeUnixNano: ns(6000) });
  });

  test('search and summaries with the current and the older parameter names', async () => {
    const found = await json(s, `/api/v3/traces?query.serviceName=model-server&${window}`);
    assert.equal(found.result.resourceSpans.length, 2);
    const older = await json(
      s,
      `/api/v3/traces?query.service_name=model-server&${window.replaceAll('startTimeM', 'start_time_m')}&query.duration_min=4ms`,
    );
    assert.deepEqual(older, found);
    const summaries = await json(
      s,
      `/api/v3/trace-summaries?${window}&query.attributes=${encodeURIComponent('{"zone":"a"}')}`,
    );
    assert.deepEqual(summaries, {
      summaries: [
        {
          traceId: TRACE,
          rootServiceName: 'frontend',
          rootOperationName: 'GET /infer',
          minStartTimeUnixNano: ns(0),
          maxEndTimeUnixNano: ns(12_000),
          spanCount: 3,
          errorSpanCount: 1,
          services: [
            { name: 'frontend', spanCount: 2 },
            { name: 'model-server', spanCount: 1, errorSpanCount: 1 },
          ],
        },
      ],
    });
    assert.equal((await json(s, `/api/v3/trace-summaries?${window}&query.searchDepth=1`)).summaries.length, 1);
    assert.deepEqual(await json(s, `/api/v3/trace-summaries?${window}&query.serviceName=nobody`), { summaries: [] });
  });

  test('errors, as the gateway words them', async () => {
    await gatewayError(
      s,
      '/api/v3/traces?query.serviceName=a',
      400,
      'query.startTimeMin and query.startTimeMax are required',
    );
    await gatewayError(
      s,
      '/api/v3/trace-summaries?query.startTimeMin=yesterday&query.startTimeMax=2026-01-01T00:00:00Z',
      400,
      'malformed parameter query.startTimeMin: parsing time "yesterday" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "yesterday" as "2006"',
    );
    await gatewayError(
      s,
      '/api/v3/traces?query.startTimeMin=2026-01-02T00:00:00Z&query.startTimeMax=2026-01-01T00:00:00Z',
      400,
      'query.startTimeMin must be before query.startTimeMax',
    );
    await gatewayError(
      s,
      `/api/v3/traces?${window}&query.search_depth=many`,
      400,
      'malformed parameter query.search_depth: strconv.Atoi: parsing "many": invalid syntax',
    );
    await gatewayError(
      s,
      `/api/v3/traces?${window}&query.durationMax=5`,
      400,
      'malformed parameter query.durationMax: time: missing unit in duration "5"',
    );
    await gatewayError(
      s,
      `/api/v3/traces?${window}&query.attributes=[]`,
      400,
      'malformed parameter query.attributes: json: cannot unmarshal array into Go value of type map[string]string',
    );
    await gatewayError(s, `/api/v3/traces?${window}&query.serviceName=nobody`, 404, 'No traces found');
    await gatewayError(s, '/api/v3/traces/ffff', 404, 'No traces found');
    await gatewayError(s, '/api/v3/traces/xyz', 400, 'malformed parameter trace_id: invalid length for TraceID');
    await gatewayError(
      s,
      `/api/v3/traces/${TRACE}?startTime=noon`,
      400,
      'malformed parameter startTime: parsing time "noon" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "noon" as "2006"',
    );
  });
});

describe('ts-triton routes', () => {
  const s = store();

  test('stats, rank, ranks; errors', async () => {
    assert.deepEqual(await json(s, '/api/ts-triton/stats'), { ...s.stats() });
    assert.deepEqual(await json(s, '/api/ts-triton/rank?service=frontend&operation=compute&duration=8000'), {
      percentile: 100,
      count: 1,
    });
    assert.deepEqual(await json(s, '/api/ts-triton/rank?service=frontend&operation=compute&duration=7999'), {
      percentile: 0,
      count: 1,
    });
    const ranks = await json(s, `/api/ts-triton/traces/${TRACE}/ranks`);
    assert.deepEqual(Object.keys(ranks.ranks).sort(), ['00f067aa0ba902b7', '0918273645abcdef', 'a1b2c3d4e5f60718']);
    await jaegerError(
      s,
      '/api/ts-triton/rank?service=frontend&operation=compute',
      400,
      "parameter 'duration' is required",
    );
    await jaegerError(
      s,
      '/api/ts-triton/rank?service=frontend&operation=compute&duration=x',
      400,
      'parameter \'duration\' must be a number of microseconds, got "x"',
    );
    await jaegerError(s, '/api/ts-triton/traces/ffff/ranks', 404, 'trace not found');
    await jaegerError(s, '/api/ts-triton/traces/ffff/phases', 404, 'trace not found');
    await jaegerError(
      s,
      '/api/ts-triton/models?limit=all',
      400,
      'unable to parse param \'limit\': strconv.ParseInt: parsing "all": invalid syntax',
    );
    assert.deepEqual(await json(s, `/api/ts-triton/traces/${TRACE}/phases`), { requests: [] });
    assert.deepEqual(await json(s, '/api/ts-triton/models'), { traces: 2, models: [] });
  });
});

describe('Go parsers', () => {
  test('time.ParseDuration', () => {
    const value = (text: string) => {
      const parsed = parseGoDuration(text);
      return parsed.ok ? parsed.value : parsed.error;
    };
    assert.equal(value('1.5ms'), 1_500_000);
    assert.equal(value('1h30m'), 5400e9);
    assert.equal(value('-2s'), -2e9);
    assert.equal(value('0'), 0);
    assert.equal(value('.5s'), 5e8);
    assert.equal(value('1.s'), 1e9);
    assert.equal(value('3µs'), 3000);
    assert.equal(value('3us'), 3000);
    assert.equal(value('7ns'), 7);
    assert.equal(value(''), 'time: invalid duration ""');
    assert.equal(value('.s'), 'time: invalid duration ".s"');
    assert.equal(value('1'), 'time: missing unit in duration "1"');
  });

  test('trace ids', () => {
    assert.deepEqual(parseTraceId('ABC'), { ok: true, value: '0'.repeat(29) + 'abc' });
    assert.deepEqual(parseTraceId(Buffer.alloc(8, 1).toString('base64')), {
      ok: true,
      value: '0'.repeat(16) + '01'.repeat(8),
    });
    assert.equal(parseTraceId('').ok, false);
  });
});
