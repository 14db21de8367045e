/**
 * The viewer's OTLP decoders against the OpenTelemetry JS SDK's own serializers (protobuf and JSON) and an
 * independent protobuf decoder (protobufjs, test/fixtures/otlp-receiver.ts); malformed exports.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { decodeExportRequest, otlpTraceTypes } from '../fixtures/otlp-receiver.ts';
import { OtlpDecodeError } from '../../src/viewer/otlp/decode-error.ts';
import { decodeOtlpJson, decodeOtlpJsonText } from '../../src/viewer/otlp/decode-json.ts';
import { decodeOtlpProtobuf } from '../../src/viewer/otlp/decode-protobuf.ts';
import type { Attribute, AttributeValue, SpanRecord } from '../../src/viewer/span-record.ts';
import { hrTimeNanos, sdkSpans } from './otlp-helpers.ts';

/** Attributes as the fixture decoder shapes them (plain values, numbers for safe ints). */
function plain(attributes: readonly Attribute[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes) out[key] = plainValue(value);
  return out;
}

function plainValue(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (value instanceof Uint8Array) return [...value];
  if (value !== null && typeof value === 'object') {
    return 'array' in value ? value.array.map(plainValue) : plain(value.kvlist);
  }
  return value;
}

function fixtureValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return [...value];
  if (Array.isArray(value)) return value.map(fixtureValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fixtureValue(v)]));
  }
  return value;
}

function protobufOf(spans = sdkSpans()): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
}

describe('OTLP protobuf decoder', () => {
  test('reads what the SDK serializer writes, as the independent decoder does', () => {
    const body = protobufOf();
    const decoded = decodeOtlpProtobuf(body);
    const expected = decodeExportRequest(body);
    assert.equal(decoded.rejected, 0);
    assert.equal(decoded.spans.length, expected.length);
    assert.equal(decoded.spans.length, 4);
    for (let i = 0; i < expected.length; i++) {
      const got = decoded.spans[i]!;
      const want = expected[i]!;
      assert.equal(got.traceId, want.traceId);
      assert.equal(got.spanId, want.spanId);
      assert.equal(got.parentSpanId, want.parentSpanId);
      assert.equal(got.traceState, want.traceState);
      assert.equal(got.name, want.name);
      assert.equal(got.kind, want.kind);
      assert.equal(got.startTimeUnixNano, want.startTimeUnixNano);
      assert.equal(got.endTimeUnixNano, want.endTimeUnixNano);
      assert.equal(got.flags, want.flags);
      assert.equal(got.statusCode, want.status.code);
      assert.equal(got.statusMessage, want.status.message);
      assert.deepEqual(plain(got.attributes), fixtureValue(want.attributes));
      assert.deepEqual(
        got.events.map((e) => [e.name, e.timeUnixNano, plain(e.attributes)]),
        want.events.map((e) => [e.name, e.timeUnixNano, fixtureValue(e.attributes)]),
      );
      assert.deepEqual(
        got.links.map((l) => [l.traceId, l.spanId, l.traceState, plain(l.attributes)]),
        want.links.map((l) => [l.traceId, l.spanId, l.traceState, fixtureValue(l.attributes)]),
      );
      assert.deepEqual(plain(got.resource.attributes), fixtureValue(want.resource));
      assert.equal(got.resource.serviceName, 'viewer-test');
      assert.deepEqual([got.scope.name, got.scope.version], [want.scope.name, want.scope.version]);
    }
  });

  test('matches the SDK spans it came from', () => {
    const spans = sdkSpans();
    const decoded = decodeOtlpProtobuf(protobufOf(spans)).spans;
    const byName = new Map(decoded.map((s) => [s.name, s]));
    for (const span of spans) {
      const got = byName.get(span.name)!;
      assert.equal(got.traceId, span.spanContext().traceId);
      assert.equal(got.spanId, span.spanContext().spanId);
      assert.equal(got.parentSpanId, span.parentSpanContext?.spanId ?? '');
      assert.equal(got.startTimeUnixNano, hrTimeNanos(span.startTime));
      assert.equal(got.endTimeUnixNano, hrTimeNanos(span.endTime));
    }
    const root = byName.get('GET /infer')!;
    assert.deepEqual(plain(root.attributes), {
      'http.method': 'GET',
      'http.status_code': 200,
      ratio: 0.25,
      cached: false,
      tags: ['a', 'b'],
    });
    assert.equal(typeof root.attributes.find((a) => a.key === 'http.status_code')!.value, 'bigint');
    assert.equal(root.kind, 2);
    assert.equal(root.statusCode, 1);
    const client = byName.get('POST /v2/models/m/infer')!;
    assert.deepEqual([client.kind, client.statusCode, client.statusMessage], [3, 2, 'boom']);
    assert.equal(client.links[0]!.spanId, byName.get('elsewhere')!.spanId);
    assert.deepEqual(
      byName.get('compute')!.events.map((e) => e.name),
      ['COMPUTE_START', 'batch.flushed'],
    );
  });

  test('spans of one export share one resource and one scope object, across exports too', () => {
    const first = decodeOtlpProtobuf(protobufOf()).spans;
    const second = decodeOtlpProtobuf(protobufOf()).spans;
    for (const span of [...first, ...second]) {
      assert.equal(span.resource, first[0]!.resource);
      assert.equal(span.scope, first[0]!.scope);
    }
    assert.deepEqual([first[0]!.scope.name, first[0]!.scope.version], ['viewer-scope', '1.2.3']);
  });

  test('every AnyValue type, ids and flags, written by an independent encoder', () => {
    const { request } = otlpTraceTypes();
    const traceId = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
    const body = Buffer.from(
      request
        .encode(
          request.fromObject({
            resource_spans: [
              {
                scope_spans: [
                  {
                    spans: [
                      {
                        trace_id: traceId,
                        span_id: Buffer.from('b7ad6b7169203331', 'hex'),
                        parent_span_id: Buffer.from('00f067aa0ba902b7', 'hex'),
                        trace_state: 'congo=t61rcWkgMzE',
                        flags: 0x301,
                        name: 'all-values',
                        kind: 5,
                        start_time_unix_nano: '1767225600000000001',
                        end_time_unix_nano: '1767225600000500001',
                        attributes: [
                          { key: 's', value: { string_value: 'text' } },
                          { key: 'b', value: { bool_value: true } },
                          { key: 'i', value: { int_value: '-9007199254740993' } },
                          { key: 'd', value: { double_value: -1.5 } },
                          { key: 'bytes', value: { bytes_value: Buffer.from([1, 2, 255]) } },
                          {
                            key: 'list',
                            value: { array_value: { values: [{ int_value: 1 }, { string_value: 'x' }] } },
                          },
                          {
                            key: 'map',
                            value: { kvlist_value: { values: [{ key: 'k', value: { bool_value: false } }] } },
                          },
                          { key: 'empty', value: {} },
                        ],
                        status: { code: 2, message: 'bad' },
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        )
        .finish(),
    );
    const [span] = decodeOtlpProtobuf(body).spans;
    assert.ok(span);
    assert.equal(span.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(span.spanId, 'b7ad6b7169203331');
    assert.equal(span.parentSpanId, '00f067aa0ba902b7');
    assert.equal(span.traceState, 'congo=t61rcWkgMzE');
    assert.equal(span.flags, 0x301);
    assert.equal(span.kind, 5);
    assert.equal(span.startTimeUnixNano, 1767225600000000001n);
    assert.equal(span.endTimeUnixNano, 1767225600000500001n);
    assert.deepEqual([span.statusCode, span.statusMessage], [2, 'bad']);
    assert.deepEqual(plain(span.attributes), {
      s: 'text',
      b: true,
      i: -9007199254740993n,
      d: -1.5,
      bytes: [1, 2, 255],
      list: [1, 'x'],
      map: { k: false },
      empty: null,
    });
    assert.equal(span.resource.serviceName, '');
  });

  test('a resource and a scope written after their spans still apply to them', () => {
    const { request } = otlpTraceTypes();
    const ResourceSpans = request.root.lookupType('opentelemetry.proto.trace.v1.ResourceSpans');
    const ScopeSpans = request.root.lookupType('opentelemetry.proto.trace.v1.ScopeSpans');
    const span = { trace_id: Buffer.alloc(16, 7), span_id: Buffer.alloc(8, 8), name: 'late-scope' };
    // Two encodings of one message concatenated are that message with both sets of fields, in this order.
    const scopeSpans = Buffer.concat([
      ScopeSpans.encode(ScopeSpans.fromObject({ spans: [span] })).finish(),
      ScopeSpans.encode(ScopeSpans.fromObject({ scope: { name: 'after', version: '2' } })).finish(),
    ]);
    const resourceSpans = Buffer.concat([
      Buffer.from([0x12, scopeSpans.length]),
      scopeSpans,
      ResourceSpans.encode(
        ResourceSpans.fromObject({
          resource: { attributes: [{ key: 'service.name', value: { string_value: 'late' } }] },
        }),
      ).finish(),
    ]);
    const body = Buffer.concat([Buffer.from([0x0a, resourceSpans.length]), resourceSpans]);
    const [decoded] = decodeOtlpProtobuf(body).spans;
    assert.ok(decoded);
    assert.deepEqual(
      [decoded.name, decoded.resource.serviceName, decoded.scope.name, decoded.scope.version],
      ['late-scope', 'late', 'after', '2'],
    );
    assert.deepEqual(decodeExportRequest(body)[0]!.scope.name, 'after');
  });

  test('a truncated export is an error naming the field where it stops', () => {
    const body = protobufOf();
    for (const cut of [body.length - 3, Math.floor(body.length / 2), 7]) {
      assert.throws(
        () => decodeOtlpProtobuf(body.subarray(0, cut)),
        (error: unknown) =>
          error instanceof OtlpDecodeError &&
          /^resourceSpans\[0\]/.test(error.message) &&
          /malformed protobuf/.test(error.message),
      );
    }
    assert.throws(() => decodeOtlpProtobuf(Buffer.from([0x0a, 0x05, 0x01])), /resourceSpans\[0\]: malformed protobuf/);
    assert.throws(() => decodeOtlpProtobuf(Buffer.from([0x0b])), /wire type 3/);
  });

  test('random bytes never crash the decoder: spans or an OtlpDecodeError', () => {
    const body = protobufOf();
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 2000; round++) {
      const copy = Buffer.from(body);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      }
      try {
        const decoded = decodeOtlpProtobuf(copy);
        assert.ok(decoded.spans.length + decoded.rejected >= 0);
      } catch (error) {
        assert.ok(error instanceof OtlpDecodeError, String(error));
      }
    }
  });

  test('a span with a bad id is refused alone and counted, naming the field', () => {
    const { request } = otlpTraceTypes();
    const good = { trace_id: Buffer.alloc(16, 1), span_id: Buffer.alloc(8, 2), name: 'good' };
    const body = Buffer.from(
      request
        .encode(
          request.fromObject({
            resource_spans: [
              {
                scope_spans: [
                  {
                    spans: [
                      good,
                      { trace_id: Buffer.alloc(5, 1), span_id: Buffer.alloc(8, 2), name: 'short' },
                      { trace_id: Buffer.alloc(16, 1), span_id: Buffer.alloc(8, 0), name: 'zero' },
                    ],
                  },
                ],
              },
            ],
          }),
        )
        .finish(),
    );
    const decoded = decodeOtlpProtobuf(body);
    assert.deepEqual(
      decoded.spans.map((s) => s.name),
      ['good'],
    );
    assert.equal(decoded.rejected, 2);
    assert.equal(
      decoded.rejectionMessage,
      'resourceSpans[0].scopeSpans[0].spans[1].traceId: a trace id has 16 bytes; got 5',
    );
  });
});

describe('OTLP/JSON decoder', () => {
  test('reads what the SDK JSON serializer writes, as the protobuf decoder reads the same spans', () => {
    const spans = sdkSpans();
    const fromJson = decodeOtlpJsonText(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    const fromProtobuf = decodeOtlpProtobuf(protobufOf(spans));
    assert.equal(fromJson.rejected, 0);
    const strip = (span: SpanRecord) => ({
      ...span,
      resource: plain(span.resource.attributes),
      scope: [span.scope.name, span.scope.version],
    });
    assert.deepEqual(fromJson.spans.map(strip), fromProtobuf.spans.map(strip));
  });

  test('hex ids in either case, string or number int64s, enum names or numbers, base64 bytes', () => {
    const decoded = decodeOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'scope' },
              spans: [
                {
                  traceId: '0AF7651916CD43DD8448EB211C80319C',
                  spanId: 'B7AD6B7169203331',
                  parentSpanId: '',
                  name: 'a',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1767225600000000001',
                  endTimeUnixNano: 1767225600,
                  attributes: [
                    { key: 'i', value: { intValue: '12' } },
                    { key: 'n', value: { intValue: 13 } },
                    { key: 'd', value: { doubleValue: 'Infinity' } },
                    { key: 'raw', value: { bytesValue: 'AQL/' } },
                  ],
                  events: [{ timeUnixNano: '5', name: 'e' }],
                  status: { code: 'STATUS_CODE_ERROR', message: 'm' },
                  unknownField: { ignored: true },
                },
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: '0000000000000001',
                  kind: 3,
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    const [a, b] = decoded.spans;
    assert.ok(a && b);
    assert.equal(a.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(a.spanId, 'b7ad6b7169203331');
    assert.equal(a.parentSpanId, '');
    assert.deepEqual([a.kind, a.statusCode, a.statusMessage, b.kind, b.statusCode], [2, 2, 'm', 3, 1]);
    assert.equal(a.startTimeUnixNano, 1767225600000000001n);
    assert.equal(a.endTimeUnixNano, 1767225600n);
    assert.deepEqual(plain(a.attributes), { i: 12, n: 13, d: Infinity, raw: [1, 2, 255] });
    assert.deepEqual(
      a.events.map((e) => [e.name, e.timeUnixNano]),
      [['e', 5n]],
    );
    assert.equal(a.resource.serviceName, 'svc');
    assert.equal(a.resource, b.resource);
  });

  test('a field of the wrong type is an error naming it', () => {
    const cases: [unknown, RegExp][] = [
      ['text', /^expected a JSON object; got the string "text"/],
      [{ resourceSpans: {} }, /^resourceSpans: expected an array/],
      [
        {
          resourceSpans: [
            {
              scopeSpans: [
                { spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), startTimeUnixNano: 'soon' }] },
              ],
            },
          ],
        },
        /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.startTimeUnixNano: expected an unsigned 64-bit integer/,
      ],
      [
        {
          resourceSpans: [
            { scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), kind: 'SERVER' }] }] },
          ],
        },
        /spans\[0\]\.kind: expected one of SPAN_KIND_UNSPECIFIED/,
      ],
      [
        { resourceSpans: [{ resource: { attributes: [{ key: 'x', value: { boolValue: 'yes' } }] } }] },
        /^resourceSpans\[0\]\.resource\.attributes\[0\]\.value\.boolValue: expected true or false/,
      ],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => decodeOtlpJson(input),
        (error: unknown) => error instanceof OtlpDecodeError && message.test(error.message),
      );
    }
    assert.throws(() => decodeOtlpJsonText('{"resourceSpans": ['), /: the body is not JSON/);
  });

  test('a span with a bad id is refused alone', () => {
    const decoded = decodeOtlpJson({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: 'xyz', spanId: 'cd'.repeat(8) },
                { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(decoded.spans.length, 1);
    assert.equal(decoded.rejected, 1);
    assert.match(
      decoded.rejectionMessage,
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: expected 32 hex digits/,
    );
  });
});
