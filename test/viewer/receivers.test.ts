/**
 * The trace viewer's OTLP receivers, fed by the OpenTelemetry JS SDK's own exporters (OTLP/HTTP protobuf, with
 * and without gzip; OTLP/HTTP JSON; OTLP/gRPC), and their answers to malformed, refused and oversized exports.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { credentials, Metadata, makeGenericClientConstructor, status as GrpcStatus } from '@grpc/grpc-js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import { otlpTraceTypes } from '../fixtures/otlp-receiver.ts';
import { startTraceViewer, type TraceViewer } from '../../src/viewer/trace-viewer.ts';
import { resolveTraceViewer } from '../../src/viewer/viewer-settings.ts';
import { sdkSpans } from './otlp-helpers.ts';

const STATUS = new protobuf.Root()
  .loadSync(join(import.meta.dirname, '..', 'fixtures', 'otlp', 'status.proto'), { keepCase: true })
  .lookupType('google.rpc.Status');

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

const settings = (extra: Record<string, unknown> = {}) => {
  const resolved = resolveTraceViewer({ port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, ...extra }, 'test');
  assert.ok(resolved);
  return resolved;
};

/** Fetches one trace through the viewer's Jaeger API; the span names, sorted. */
async function spanNamesOf(viewer: TraceViewer, traceId: string): Promise<string[]> {
  const response = await fetch(`${viewer.url}api/traces/${traceId}`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { data: { spans: { operationName: string }[] }[] };
  return body.data[0]!.spans.map((s) => s.operationName).sort();
}

const EXPECTED_NAMES = ['GET /infer', 'POST /v2/models/m/infer', 'compute'];

describe('trace viewer receivers', () => {
  let viewer: TraceViewer;

  before(async () => {
    viewer = await startTraceViewer(settings());
  });
  after(async () => {
    await viewer.close();
  });

  const cases: [string, () => SpanExporter][] = [
    ['OTLP/HTTP protobuf', () => new ProtoExporter({ url: viewer.otlpHttpUrl })],
    ['OTLP/HTTP protobuf, gzip', () => new ProtoExporter({ url: viewer.otlpHttpUrl, compression: 'gzip' as never })],
    ['OTLP/HTTP JSON', () => new JsonExporter({ url: viewer.otlpHttpUrl })],
    ['OTLP/HTTP JSON, gzip', () => new JsonExporter({ url: viewer.otlpHttpUrl, compression: 'gzip' as never })],
    ['OTLP/gRPC', () => new GrpcExporter({ url: `http://127.0.0.1:${viewer.otlpGrpcPort}` })],
    [
      'OTLP/gRPC, gzip',
      () => new GrpcExporter({ url: `http://127.0.0.1:${viewer.otlpGrpcPort}`, compression: 'gzip' as never }),
    ],
  ];
  for (const [name, makeExporter] of cases) {
    test(`the SDK's ${name} exporter's spans are stored and served`, async () => {
      const spans = sdkSpans(`service via ${name}`);
      const exporter = makeExporter();
      try {
        const result = await exportWith(exporter, spans);
        assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      } finally {
        await exporter.shutdown();
      }
      const traceId = spans.find((s) => s.name === 'GET /infer')!.spanContext().traceId;
      assert.equal(viewer.store.trace(traceId)!.length, 3);
      assert.deepEqual(await spanNamesOf(viewer, traceId), EXPECTED_NAMES);
      assert.ok(viewer.store.services().includes(`service via ${name}`));
    });
  }

  const post = (body: Uint8Array | string, headers: Record<string, string>, path = '/v1/traces', method = 'POST') =>
    fetch(`http://127.0.0.1:${viewer.otlpHttpPort}${path}`, {
      method,
      headers,
      body: method === 'POST' ? body : undefined,
    });

  test('a malformed protobuf export gets 400 with a google.rpc.Status naming the field', async () => {
    const response = await post(Buffer.from([0x0a, 0x05, 0x12, 0x09, 0x01]), {
      'content-type': 'application/x-protobuf',
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
    const status = STATUS.toObject(STATUS.decode(new Uint8Array(await response.arrayBuffer()))) as {
      code: number;
      message: string;
    };
    assert.equal(status.code, 3);
    assert.match(
      status.message,
      /^invalid ExportTraceServiceRequest: resourceSpans\[0\]: malformed protobuf \(length 5 runs past the end/,
    );
  });

  test('a malformed JSON export gets 400 with a JSON Status naming the field', async () => {
    const response = await post(JSON.stringify({ resourceSpans: [{ scopeSpans: 'x' }] }), {
      'content-type': 'application/json',
    });
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), {
      code: 3,
      message: 'invalid ExportTraceServiceRequest: resourceSpans[0].scopeSpans: expected an array; got the string "x"',
    });
    const notJson = await post('{', { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { message: string }).message, /the body is not JSON/);
  });

  test('refused spans are counted in partial_success; the others are stored', async () => {
    const { request, response: responseType } = otlpTraceTypes();
    const good = { trace_id: Buffer.alloc(16, 0xab), span_id: Buffer.alloc(8, 1), name: 'kept' };
    const body = request
      .encode(
        request.fromObject({
          resource_spans: [
            { scope_spans: [{ spans: [good, { trace_id: Buffer.alloc(3), span_id: Buffer.alloc(8, 2) }] }] },
          ],
        }),
      )
      .finish();
    const response = await post(body, { 'content-type': 'application/x-protobuf' });
    assert.equal(response.status, 200);
    const decoded = responseType.toObject(responseType.decode(new Uint8Array(await response.arrayBuffer())), {
      longs: Number,
    }) as {
      partial_success: { rejected_spans: number; error_message: string };
    };
    assert.equal(decoded.partial_success.rejected_spans, 1);
    assert.match(decoded.partial_success.error_message, /spans\[1\]\.traceId: a trace id has 16 bytes; got 3/);
    assert.equal(viewer.store.trace('ab'.repeat(16))![0]!.name, 'kept');

    const json = await post(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  { traceId: 'cd'.repeat(16), spanId: '01'.repeat(8) },
                  { traceId: 'cd'.repeat(16), spanId: '' },
                ],
              },
            ],
          },
        ],
      }),
      { 'content-type': 'application/json' },
    );
    assert.equal(json.status, 200);
    const partial = (await json.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(partial.partialSuccess.rejectedSpans, '1');
    assert.match(partial.partialSuccess.errorMessage, /spans\[1\]\.spanId/);
    const whole = await post(JSON.stringify({ resourceSpans: [] }), { 'content-type': 'application/json' });
    assert.deepEqual(await whole.json(), {});
  });

  test('415 for another content type or coding; 404 and 405 for other paths and methods; a bad gzip body is 400', async () => {
    const text = await post('x', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.match(((await text.json()) as { message: string }).message, /unsupported Content-Type 'text\/plain'/);
    const br = await post('x', { 'content-type': 'application/json', 'content-encoding': 'br' });
    assert.equal(br.status, 415);
    assert.equal((await post('{}', { 'content-type': 'application/json' }, '/v1/metrics')).status, 404);
    const get = await post('', {}, '/v1/traces', 'GET');
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const badGzip = await post('not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(badGzip.status, 400);
    assert.match(((await badGzip.json()) as { message: string }).message, /gzip body could not be inflated/);
  });

  test('a client that goes away mid-body leaves the receiver serving', async () => {
    const socket = connect(viewer.otlpHttpPort, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n0123456789',
    );
    socket.destroy();
    await once(socket, 'close');
    const response = await post(JSON.stringify({ resourceSpans: [] }), { 'content-type': 'application/json' });
    assert.equal(response.status, 200);
  });

  test('gRPC: a malformed export is INVALID_ARGUMENT naming the field', async () => {
    const Client = makeGenericClientConstructor(
      {
        Export: {
          path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'TraceService',
    );
    const client = new Client(`127.0.0.1:${viewer.otlpGrpcPort}`, credentials.createInsecure());
    try {
      const error = await new Promise<{ code: number; details: string }>((resolve, reject) => {
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0x02, 0x0a]),
          new Metadata(),
          (err, value) => (err ? resolve(err as never) : reject(new Error(`unexpected success: ${String(value)}`))),
        );
      });
      assert.equal(error.code, GrpcStatus.INVALID_ARGUMENT);
      assert.match(error.details, /^invalid ExportTraceServiceRequest: resourceSpans\[0\]: malformed protobuf/);
    } finally {
      client.close();
    }
  });
});

describe('trace viewer bounds', () => {
  test('an export over the size limit gets 413, before and after gunzip', async () => {
    const viewer = await startTraceViewer(settings({ maxExportBytes: 1000 }));
    try {
      const url = `http://127.0.0.1:${viewer.otlpHttpPort}/v1/traces`;
      const big = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(5000) });
      const plain = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
      assert.equal(plain.status, 413);
      assert.match(
        ((await plain.json()) as { message: string }).message,
        /larger than the receiver's limit of 1000 bytes/,
      );
      const zipped = gzipSync(big);
      assert.ok(zipped.length < 1000);
      const inflated = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: zipped,
      });
      assert.equal(inflated.status, 413);
    } finally {
      await viewer.close();
    }
  });

  test('exports past the span budget evict whole oldest traces, counted in the stats the API serves', async () => {
    const viewer = await startTraceViewer(settings({ maxSpans: 10 }));
    try {
      const exporter = new ProtoExporter({ url: viewer.otlpHttpUrl });
      const traceIds: string[] = [];
      for (let round = 0; round < 5; round++) {
        const spans = sdkSpans('bounded').filter((span) => span.name !== 'elsewhere');
        traceIds.push(spans[0]!.spanContext().traceId);
        assert.equal((await exportWith(exporter, spans)).code, ExportResultCode.SUCCESS);
      }
      await exporter.shutdown();
      const stats = (await (await fetch(`${viewer.url}api/ts-triton/stats`)).json()) as Record<string, number>;
      assert.deepEqual(
        [stats.spans, stats.traces, stats.maxSpans, stats.evictedTraces, stats.evictedSpans],
        [9, 3, 10, 2, 6],
      );
      assert.equal((await fetch(`${viewer.url}api/traces/${traceIds[1]}`)).status, 404);
      assert.equal((await fetch(`${viewer.url}api/traces/${traceIds[2]}`)).status, 200);
    } finally {
      await viewer.close();
    }
  });

  test('a taken port is an error naming the port and its setting; nothing stays open', async () => {
    const first = await startTraceViewer(settings());
    try {
      await assert.rejects(
        startTraceViewer(settings({ otlpHttpPort: first.otlpHttpPort })),
        new RegExp(
          `the OTLP/HTTP port 127\\.0\\.0\\.1:${first.otlpHttpPort} is in use .*otlpHttpPort \\(--otlp-http-port\\)`,
        ),
      );
    } finally {
      await first.close();
    }
  });
});
