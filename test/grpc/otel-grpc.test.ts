/**
 * Tracing of gRPC requests in OpenTelemetry mode (triton-protocol.md §1.5): the W3C trace context in the
 * call's metadata (for ModelStreamInfer, the stream's initial metadata, for every request on it) parents the
 * `InferRequest` span, whose events are Triton's GRPC_* timestamps. Spans are read by the OTLP receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { type InferFunc, ModelConfig, Tensor } from '../../src/index.ts';
import {
  eventNames,
  findSpan,
  type OtlpReceiver,
  type OtlpSpan,
  parentMap,
  SpanKindNumber,
  spanNamesCount,
  startOtlpReceiver,
} from '../fixtures/otlp-receiver.ts';
import { metadataOf } from './client.ts';
import type { ModelInferRequestSchema } from './gen/grpc_service_pb.js';
import { type GrpcServer, numericRaw, rejectsWith, startServer, Status } from './helpers.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c12666c';
const PARENT_ID = 'b7ad6b7169242424';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const GRPC_ROOT_EVENTS = [
  'GRPC_WAITREAD_START',
  'GRPC_WAITREAD_END',
  'INFER_RESPONSE_COMPLETE',
  'GRPC_SEND_START',
  'GRPC_SEND_END',
];

const simple: InferFunc = (requests) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));

const request = (id: string): MessageInitShape<typeof ModelInferRequestSchema> => ({
  modelName: 'simple',
  id,
  inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n] }],
  rawInputContents: [
    numericRaw(
      'INT32',
      Array.from({ length: 16 }, (_, i) => i),
    ),
  ],
});

const roots = (spans: readonly OtlpSpan[]) => spans.filter((s) => s.name === 'InferRequest');

/** The spans of the trace rooted at `root`. */
const treeOf = (spans: readonly OtlpSpan[], root: OtlpSpan) => spans.filter((s) => s.traceId === root.traceId);

describe('OpenTelemetry mode over gRPC', () => {
  let receiver: OtlpReceiver;
  let server: GrpcServer;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  /** Starts a server tracing every request to the receiver. */
  async function tracedServer(): Promise<GrpcServer> {
    receiver.clear();
    return startServer(
      (triton) =>
        triton.bind({
          modelName: 'simple',
          inferFunc: simple,
          inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [16] })],
          outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [16] })],
          config: ModelConfig({ maxBatchSize: 8 }),
        }),
      {
        allowHttp: false,
        traceConfig: [
          'level=TIMESTAMPS',
          'rate=1',
          'count=-1',
          'mode=opentelemetry',
          `opentelemetry,url=${receiver.url}`,
          'opentelemetry,bsp_schedule_delay=10',
        ],
      },
    );
  }

  it("ModelInfer: Triton's span tree, with the GRPC_* events on the root span", async () => {
    server = await tracedServer();
    await server.client.call('modelInfer', request('42'));
    const spans = await receiver.waitForSpans(4);
    await server.stop();
    assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
    assert.deepEqual(parentMap(spans), { InferRequest: ['simple'], simple: ['compute'], compute: ['infer_callable'] });
    const root = findSpan(spans, 'InferRequest');
    assert.deepEqual(eventNames(root), GRPC_ROOT_EVENTS);
    assert.equal(root.kind, SpanKindNumber.SERVER);
    assert.equal(root.parentSpanId, '');
    assert.notEqual(root.traceId, TRACE_ID);
    const times = root.events.map((e) => e.timeUnixNano);
    assert.deepEqual(
      [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      times,
      'events are in time order',
    );
    assert.equal(findSpan(spans, 'simple').attributes['triton.request_id'], '42');
  });

  it('ModelInfer: metadata traceparent parents the root span', async () => {
    server = await tracedServer();
    await server.client.call('modelInfer', request('1'), metadataOf({ traceparent: TRACEPARENT }));
    const spans = await receiver.waitForSpans(4);
    await server.stop();
    const root = findSpan(spans, 'InferRequest');
    assert.equal(root.traceId, TRACE_ID);
    assert.equal(root.parentSpanId, PARENT_ID);
    assert.ok(spans.every((s) => s.traceId === TRACE_ID));
  });

  it('ModelInfer: a failed request still completes its root span', async () => {
    server = await tracedServer();
    await rejectsWith(
      server.client.call(
        'modelInfer',
        { ...request('bad'), rawInputContents: [new Uint8Array(3)] },
        metadataOf({ traceparent: TRACEPARENT }),
      ),
      Status.INVALID_ARGUMENT,
      /input byte size mismatch/,
    );
    const spans = await receiver.waitForSpans(1);
    await server.stop();
    const root = findSpan(spans, 'InferRequest');
    // Triton's events, then the failure (ts-triton's: the span ends in error).
    assert.deepEqual(eventNames(root), [...GRPC_ROOT_EVENTS, 'exception']);
    assert.equal(root.attributes['error.type'], 'INVALID_ARG');
    assert.equal(root.parentSpanId, PARENT_ID);
  });

  it("ModelStreamInfer: the stream's traceparent parents every request's root span", async () => {
    server = await tracedServer();
    const { responses, error } = await server.client.streamAll(
      [request('s1'), request('s2'), request('s3')],
      metadataOf({ traceparent: TRACEPARENT }),
    );
    assert.equal(error, undefined);
    assert.equal(responses.length, 3);
    const spans = await receiver.waitForSpans(12);
    await server.stop();
    const rootSpans = roots(spans);
    assert.equal(rootSpans.length, 3);
    for (const root of rootSpans) {
      assert.equal(root.traceId, TRACE_ID);
      assert.equal(root.parentSpanId, PARENT_ID);
      assert.deepEqual(eventNames(root), GRPC_ROOT_EVENTS);
    }
    const modelSpans = spans.filter((s) => s.name === 'simple');
    assert.deepEqual(modelSpans.map((s) => s.attributes['triton.request_id']).sort(), ['s1', 's2', 's3']);
    assert.deepEqual(
      modelSpans.map((s) => s.parentSpanId).sort(),
      rootSpans.map((r) => r.spanId).sort(),
      'each model span hangs under its own root span',
    );
  });

  it('ModelStreamInfer without a context: one fresh trace per request', async () => {
    server = await tracedServer();
    await server.client.streamAll([request('a'), request('b')]);
    const spans = await receiver.waitForSpans(8);
    await server.stop();
    const rootSpans = roots(spans);
    assert.equal(rootSpans.length, 2);
    assert.notEqual(rootSpans[0]!.traceId, rootSpans[1]!.traceId);
    for (const root of rootSpans) {
      assert.equal(root.parentSpanId, '');
      assert.deepEqual(spanNamesCount(treeOf(spans, root)), {
        InferRequest: 1,
        simple: 1,
        compute: 1,
        infer_callable: 1,
      });
    }
  });
});
