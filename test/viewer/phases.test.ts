/**
 * phases.ts on Triton-shaped trees: the six phases from the span events over HTTP and gRPC, a failed request's
 * partial split, several requests in one trace, and batch executions shared across traces (modelBreakdown).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modelBreakdown, percentiles } from '../../src/viewer/api/extensions.ts';
import { requestPhases } from '../../src/viewer/phases.ts';
import { decodeOtlpJson } from '../../src/viewer/otlp/decode-json.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';

const T0 = 1_767_225_600_000_000_000n;
const at = (us: number) => String(T0 + BigInt(us) * 1000n);
const events = (list: [string, number][]) => list.map(([name, us]) => ({ name, timeUnixNano: at(us) }));

/** A Triton request tree; times in µs after T0, `computeAt` shifts the compute events (a shared batch). */
function tritonTrace(options: {
  trace: number;
  protocol?: 'HTTP' | 'GRPC';
  model?: string;
  failed?: boolean;
  computeAt?: number;
  rootParent?: string;
}) {
  const { trace, protocol = 'HTTP', model = 'passthrough', failed = false, computeAt = 40 } = options;
  const traceId = trace.toString(16).padStart(32, '0');
  const id = (n: number) => (trace * 16 + n).toString(16).padStart(16, '0');
  const p =
    protocol === 'HTTP'
      ? ['HTTP_RECV_START', 'HTTP_RECV_END', 'HTTP_SEND_START', 'HTTP_SEND_END']
      : ['GRPC_WAITREAD_START', 'GRPC_WAITREAD_END', 'GRPC_SEND_START', 'GRPC_SEND_END'];
  const computeEvents: [string, number][] = failed
    ? [['COMPUTE_START', computeAt]]
    : [
        ['COMPUTE_START', computeAt],
        ['COMPUTE_INPUT_END', computeAt + 5],
        ['COMPUTE_OUTPUT_START', computeAt + 55],
        ['COMPUTE_END', computeAt + 60],
      ];
  const spans = [
    {
      spanId: id(1),
      parentSpanId: options.rootParent ?? '',
      name: 'InferRequest',
      startTimeUnixNano: at(0),
      endTimeUnixNano: at(200),
      events: events([
        [p[0]!, 0],
        [p[1]!, 10],
        ['INFER_RESPONSE_COMPLETE', 150],
        [p[2]!, 160],
        [p[3]!, 190],
      ]),
    },
    {
      spanId: id(2),
      parentSpanId: id(1),
      name: model,
      startTimeUnixNano: at(20),
      endTimeUnixNano: at(150),
      attributes: [
        { key: 'triton.model_name', value: { stringValue: model } },
        { key: 'triton.model_version', value: { intValue: '3' } },
      ],
      events: events([
        ['REQUEST_START', 20],
        ['QUEUE_START', 25],
        ['REQUEST_END', 150],
      ]),
    },
    {
      spanId: id(3),
      parentSpanId: id(2),
      name: 'compute',
      startTimeUnixNano: at(computeAt),
      endTimeUnixNano: at(computeAt + 60),
      events: events(computeEvents),
    },
    {
      spanId: id(4),
      parentSpanId: id(3),
      name: 'infer_callable',
      startTimeUnixNano: at(computeAt + 5),
      endTimeUnixNano: at(computeAt + 55),
    },
  ];
  return {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'server' } }] },
    scopeSpans: [{ spans: spans.map((span) => ({ traceId, kind: 2, ...span })) }],
  };
}

const decode = (...resourceSpans: object[]): SpanRecord[] => decodeOtlpJson({ resourceSpans }).spans as SpanRecord[];

describe('requestPhases', () => {
  test('an HTTP request: the six phases from the events, the rest as other', () => {
    const [request, ...more] = requestPhases(decode(tritonTrace({ trace: 1 })));
    assert.equal(more.length, 0);
    assert.equal(request!.model, 'passthrough');
    assert.equal(request!.version, 3);
    assert.equal(request!.protocol, 'HTTP');
    assert.equal(request!.totalNs, 200_000);
    assert.deepEqual(
      request!.phases.map((phase) => [phase.name, phase.durationNs]),
      [
        ['receive', 10_000],
        ['queue', 15_000],
        ['computeInput', 5_000],
        ['infer', 50_000],
        ['computeOutput', 5_000],
        ['send', 30_000],
      ],
    );
    assert.equal(request!.phases[1]!.startUnixNano, T0 + 25_000n);
    assert.equal(request!.otherNs, 200_000 - 115_000);
  });

  test('gRPC event names; a failed request has only the phases whose events exist', () => {
    const [grpc] = requestPhases(decode(tritonTrace({ trace: 2, protocol: 'GRPC' })));
    assert.equal(grpc!.protocol, 'GRPC');
    assert.equal(grpc!.phases.length, 6);
    const [failed] = requestPhases(decode(tritonTrace({ trace: 3, failed: true })));
    assert.deepEqual(
      failed!.phases.map((phase) => phase.name),
      ['receive', 'queue', 'send'],
    );
  });

  test('a trace with another shape has no requests; a propagated request is found under its caller', () => {
    assert.deepEqual(
      requestPhases(
        decode({
          scopeSpans: [{ spans: [{ traceId: '1'.padStart(32, '0'), spanId: '1'.padStart(16, '0'), name: 'GET' }] }],
        }),
      ),
      [],
    );
    const found = requestPhases(decode(tritonTrace({ trace: 4, rootParent: 'abcdefabcdefabcd' })));
    assert.equal(found.length, 1);
  });

  test('modelBreakdown: percentiles per phase, batch sizes from shared executions', () => {
    const requests = [
      ...requestPhases(decode(tritonTrace({ trace: 5, computeAt: 40 }))),
      ...requestPhases(decode(tritonTrace({ trace: 6, computeAt: 40 }))),
      ...requestPhases(decode(tritonTrace({ trace: 7, computeAt: 30 }))),
      ...requestPhases(decode(tritonTrace({ trace: 8, model: 'other' }))),
    ];
    const [other, passthrough] = modelBreakdown(requests) as any[];
    assert.equal(other.model, 'other');
    assert.equal(passthrough.requests, 3);
    assert.deepEqual(passthrough.batchSizes, [
      { size: 1, executions: 1 },
      { size: 2, executions: 1 },
    ]);
    assert.deepEqual(passthrough.phases.queue, { p50: 15, p90: 15, p99: 15, count: 3 });
    assert.deepEqual(passthrough.total, { p50: 200, p90: 200, p99: 200 });
    assert.deepEqual(percentiles([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]), { p50: 5, p90: 9, p99: 10 });
  });
});
