/**
 * Every exporter protocol and variable against fixture collectors: OTLP over HTTP/protobuf, HTTP/JSON and
 * gRPC, an endpoint from `OTEL_EXPORTER_OTLP_ENDPOINT`, headers, gzip, TLS and mutual TLS, the console
 * exporter, `OTEL_TRACES_EXPORTER=none` and `OTEL_SDK_DISABLED`. Spans are decoded by the fixtures (protobufjs,
 * or the OTLP JSON mapping read by hand) and checked against the request that made them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { exportRequestToJson } from '../../src/tracing/otlp/otlp-json.ts';
import { GrpcCode, startOtlpGrpcReceiver } from '../fixtures/otlp-grpc-receiver.ts';
import {
  decodeExportRequest,
  decodeJsonExportRequest,
  findSpan,
  type OtlpSpan,
  otlpTraceTypes,
  parentMap,
  SpanKindNumber,
  startOtlpReceiver,
} from '../fixtures/otlp-receiver.ts';
import { hasOpenssl, makeTestCertificates, type TestCertificates } from '../helpers/tls.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c12666c';
const PARENT_ID = 'b7ad6b7169242424';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const simple: InferFunc = (requests) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));

/** Starts a server tracing every request in OpenTelemetry mode, with `extra` trace settings and `env`. */
async function tracedServer(extra: string[], env: Record<string, string>): Promise<Triton> {
  const triton = new Triton({
    env,
    config: {
      httpPort: 0,
      httpAddress: '127.0.0.1',
      allowGrpc: false,
      allowMetrics: false,
      exitTimeoutSecs: 5,
      traceConfig: [
        'level=TIMESTAMPS',
        'rate=1',
        'mode=opentelemetry',
        'opentelemetry,resource=service.name=protocols',
        'opentelemetry,bsp_schedule_delay=10',
        ...extra,
      ],
    },
  });
  triton.bind({
    modelName: 'simple',
    inferFunc: simple,
    inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [4] })],
    outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [4] })],
    config: ModelConfig({ maxBatchSize: 8 }),
  });
  await triton.run();
  return triton;
}

async function infer(triton: Triton): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/simple/infer`, {
    method: 'POST',
    headers: { traceparent: TRACEPARENT },
    body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
  });
  assert.equal(response.status, 200);
  await response.arrayBuffer();
}

/** Asserts the four spans of one traced request: the tree, the propagated trace id, kinds, times, attributes. */
function assertOneRequestTree(spans: OtlpSpan[]): void {
  assert.equal(spans.length, 4, `spans: ${spans.map((s) => s.name).join(', ')}`);
  assert.deepEqual(parentMap(spans), { InferRequest: ['simple'], simple: ['compute'], compute: ['infer_callable'] });
  const root = findSpan(spans, 'InferRequest');
  assert.equal(root.parentSpanId, PARENT_ID);
  assert.equal(root.kind, SpanKindNumber.SERVER);
  for (const span of spans) {
    assert.equal(span.traceId, TRACE_ID);
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.ok(span.startTimeUnixNano > 1_600_000_000_000_000_000n, `${span.name} starts at ${span.startTimeUnixNano}`);
    assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano);
    assert.equal(span.resource['service.name'], 'protocols');
  }
  const model = findSpan(spans, 'simple');
  assert.equal(model.attributes['triton.model_name'], 'simple');
  assert.equal(model.attributes['triton.model_version'], 1);
  assert.ok(
    root.events.some((event) => event.name === 'HTTP_RECV_START' && event.timeUnixNano >= root.startTimeUnixNano),
  );
}

describe('OTLP over HTTP', () => {
  it('sends http/json (opentelemetry,protocol=http/json) with ids in hex and 64-bit integers as strings', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await tracedServer([`opentelemetry,url=${receiver.url}`, 'opentelemetry,protocol=http/json'], {});
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
      assert.deepEqual(receiver.errors, []);
      assert.ok(receiver.requests.every((request) => request.contentType === 'application/json'));
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('takes the endpoint from OTEL_EXPORTER_OTLP_ENDPOINT (v1/traces appended) with OTEL_EXPORTER_OTLP_HEADERS, gzip and the protocol from the environment', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await tracedServer([], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret%20value',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t1',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    });
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
      const [request] = receiver.requests;
      assert.equal(request?.contentType, 'application/x-protobuf');
      assert.equal(request?.contentEncoding, 'gzip');
      assert.equal(request?.headers['x-api-key'], 'secret value');
      assert.equal(request?.headers['x-tenant'], 't1');
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('gives up an export after OTEL_EXPORTER_OTLP_TIMEOUT and counts its spans as lost', async () => {
    // The collector answers after 1.5 s: within the default 3 s timeout, past the 200 ms one.
    const receiver = await startOtlpReceiver({ delayMs: 1500 });
    const triton = await tracedServer([`opentelemetry,url=${receiver.url}`], { OTEL_EXPORTER_OTLP_TIMEOUT: '200' });
    try {
      await infer(triton);
      await triton.stop();
      assert.equal(triton.tracing?.pipeline?.losses().exportFailed, 4);
      assert.equal(receiver.exports, 1, 'one attempt: a retry would not fit in the timeout');
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('prefers opentelemetry,url over OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', async () => {
    const chosen = await startOtlpReceiver();
    const ignored = await startOtlpReceiver();
    const triton = await tracedServer([`opentelemetry,url=${chosen.url}`], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ignored.url,
    });
    try {
      await infer(triton);
      await chosen.waitForSpans(4);
      await triton.stop();
      assert.equal(ignored.exports, 0);
    } finally {
      await triton.stop();
      await chosen.close();
      await ignored.close();
    }
  });
});

describe('OTLP over TLS', { skip: !hasOpenssl() && 'openssl is not available' }, () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates();
  });
  after(() => certs.remove());

  it('sends http/protobuf to an https:// collector trusted through OTEL_EXPORTER_OTLP_CERTIFICATE, with a client certificate', async () => {
    const receiver = await startOtlpReceiver({
      tls: { key: certs.pem(certs.serverKey), cert: certs.pem(certs.serverCert), ca: certs.pem(certs.caCert) },
    });
    const triton = await tracedServer([], {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_CERTIFICATE: certs.caCert,
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.clientCert,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKey,
    });
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('sends gRPC over TLS with a client certificate (opentelemetry,certificate / client_certificate / client_key)', async () => {
    const receiver = await startOtlpGrpcReceiver({
      tls: { key: certs.pem(certs.serverKey), cert: certs.pem(certs.serverCert), ca: certs.pem(certs.caCert) },
    });
    const triton = await tracedServer(
      [
        'opentelemetry,protocol=grpc',
        `opentelemetry,certificate=${certs.caCert}`,
        `opentelemetry,client_certificate=${certs.clientCert}`,
        `opentelemetry,client_key=${certs.clientKey}`,
      ],
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
    );
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });
});

describe('OTLP over gRPC', () => {
  it('exports the encoded request over TraceService/Export, with headers as metadata and gzip', async () => {
    const receiver = await startOtlpGrpcReceiver();
    const triton = await tracedServer([], {
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer t0ken,x-tag-bin=AQID',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    });
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
      const [call] = receiver.calls;
      assert.equal(call?.metadata.authorization, 'Bearer t0ken');
      assert.equal(call?.metadata['x-tag-bin'], 'AQID', 'a -bin header travels as the bytes its base64 value names');
      assert.match(call?.metadata['user-agent'] ?? '', /^ts-triton\//);
      assert.equal(call?.metadata['grpc-encoding'], 'gzip');
      assert.equal(call?.compressed, true);
      assert.equal(call?.metadata[':path'], '/opentelemetry.proto.collector.trace.v1.TraceService/Export');
      assert.deepEqual(receiver.errors, []);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('retries an export answered UNAVAILABLE, then delivers it', async () => {
    const receiver = await startOtlpGrpcReceiver();
    receiver.answerNext(GrpcCode.UNAVAILABLE);
    const triton = await tracedServer(['opentelemetry,protocol=grpc', `opentelemetry,url=${receiver.url}`], {});
    try {
      await infer(triton);
      assertOneRequestTree(await receiver.waitForSpans(4));
      assert.deepEqual(
        receiver.calls.map((call) => call.code),
        [GrpcCode.UNAVAILABLE, GrpcCode.OK],
      );
      assert.equal(triton.tracing?.pipeline?.losses().exportFailed, 0);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('counts the spans of a refused export as lost', async () => {
    const receiver = await startOtlpGrpcReceiver();
    receiver.code = GrpcCode.INVALID_ARGUMENT;
    const triton = await tracedServer(['opentelemetry,protocol=grpc', `opentelemetry,url=${receiver.url}`], {});
    try {
      await infer(triton);
      await triton.stop();
      assert.ok(receiver.calls.length >= 1);
      assert.equal(receiver.calls.length, 1, 'INVALID_ARGUMENT is not retried');
      assert.equal(triton.tracing?.pipeline?.losses().exportFailed, 4);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });
});

describe('OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED', () => {
  let lines: string[];
  let previous: LogSink;
  before(() => {
    previous = setLogSink((_level, message) => lines.push(message));
  });
  after(() => setLogSink(previous));

  it('console writes each span as one OTLP/JSON log line', async () => {
    lines = [];
    const triton = await tracedServer([], { OTEL_TRACES_EXPORTER: 'console' });
    try {
      await infer(triton);
    } finally {
      await triton.stop();
    }
    const spans = lines
      .filter((line) => line.startsWith('OpenTelemetry span '))
      .map((line) => {
        const { resource, scope, span } = JSON.parse(line.slice('OpenTelemetry span '.length));
        return decodeJsonExportRequest(
          JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans: [span] }] }] }),
        )[0]!;
      });
    assertOneRequestTree(spans);
  });

  it('none records nothing for a collector; OTEL_SDK_DISABLED=true traces nothing', async () => {
    const receiver = await startOtlpReceiver();
    const envs: Record<string, string>[] = [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }];
    for (const env of envs) {
      lines = [];
      const triton = await tracedServer([`opentelemetry,url=${receiver.url}`], env);
      try {
        await infer(triton);
        if ('OTEL_SDK_DISABLED' in env) {
          assert.equal(triton.tracing?.pipeline, undefined);
          assert.ok(lines.some((line) => line.includes('OTEL_SDK_DISABLED=true')));
        }
      } finally {
        await triton.stop();
      }
      assert.equal(receiver.exports, 0, JSON.stringify(env));
    }
    await receiver.close();
  });
});

describe('OTLP/JSON encoding', () => {
  it('writes every AnyValue kind, ids, 64-bit integers, enums and flags as the OTLP JSON mapping says', () => {
    const { request } = otlpTraceTypes();
    const traceId = Buffer.from(TRACE_ID, 'hex');
    const spanId = Buffer.from(PARENT_ID, 'hex');
    const bytes = request
      .encode(
        request.fromObject({
          resource_spans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { string_value: 's' } }] },
              scope_spans: [
                {
                  scope: { name: 'triton-server', version: '1' },
                  spans: [
                    {
                      trace_id: traceId,
                      span_id: spanId,
                      parent_span_id: spanId,
                      trace_state: 'a=b',
                      flags: 0x301,
                      name: 'span',
                      kind: 2,
                      start_time_unix_nano: '1700000000123456789',
                      end_time_unix_nano: '18446744073709551615',
                      attributes: [
                        { key: 'int', value: { int_value: '-9007199254740993' } },
                        { key: 'double', value: { double_value: 0.5 } },
                        { key: 'nan', value: { double_value: Number.NaN } },
                        { key: 'bool', value: { bool_value: true } },
                        { key: 'bytes', value: { bytes_value: Buffer.from([1, 2, 255]) } },
                        { key: 'array', value: { array_value: { values: [{ string_value: 'x' }, { int_value: 7 }] } } },
                        {
                          key: 'kv',
                          value: { kvlist_value: { values: [{ key: 'k', value: { bool_value: false } }] } },
                        },
                      ],
                      events: [{ time_unix_nano: '5', name: 'E', dropped_attributes_count: 1 }],
                      links: [{ trace_id: traceId, span_id: spanId, flags: 1 }],
                      dropped_links_count: 3,
                      status: { code: 2, message: 'boom' },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      )
      .finish();
    const json = exportRequestToJson(bytes);
    const span = (json.resourceSpans as any)[0].scopeSpans[0].spans[0] as Record<string, unknown>;
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, PARENT_ID);
    assert.equal(span.flags, 0x301);
    assert.equal(span.kind, 2);
    assert.equal(span.startTimeUnixNano, '1700000000123456789');
    assert.equal(span.endTimeUnixNano, '18446744073709551615');
    assert.deepEqual(span.attributes, [
      { key: 'int', value: { intValue: '-9007199254740993' } },
      { key: 'double', value: { doubleValue: 0.5 } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'bool', value: { boolValue: true } },
      { key: 'bytes', value: { bytesValue: 'AQL/' } },
      { key: 'array', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: '7' }] } } },
      { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } } },
    ]);
    assert.deepEqual(span.events, [{ timeUnixNano: '5', name: 'E', droppedAttributesCount: 1 }]);
    assert.deepEqual(span.links, [{ traceId: TRACE_ID, spanId: PARENT_ID, flags: 1 }]);
    assert.equal(span.droppedLinksCount, 3);
    assert.deepEqual(span.status, { message: 'boom', code: 2 });
    // Read back by the fixture's independent JSON reader, it is the same span as the protobuf decoder's.
    const fromJson = decodeJsonExportRequest(JSON.stringify(json));
    const fromProto = decodeExportRequest(bytes);
    assert.deepEqual(fromJson, fromProto);
  });

  it('reads two concatenated requests (how a batch joins its parts) as one', () => {
    const { request } = otlpTraceTypes();
    const part = (name: string) =>
      request.encode(request.fromObject({ resource_spans: [{ scope_spans: [{ spans: [{ name }] }] }] })).finish();
    const json = exportRequestToJson(Buffer.concat([part('a'), part('b')]));
    assert.deepEqual(json, {
      resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'a' }] }] }, { scopeSpans: [{ spans: [{ name: 'b' }] }] }],
    });
  });
});
