import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { ErrorCode, type TritonError } from '../../src/errors.ts';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import {
  eventNames,
  findSpan,
  type OtlpReceiver,
  type OtlpSpan,
  parentMap,
  SpanKindNumber,
  spanNamesCount,
  StatusCodeNumber,
  startOtlpReceiver,
} from '../fixtures/otlp-receiver.ts';
import { until, within } from '../helpers/within.ts';

const TRACE_ID = '0af7651916cd43dd8448eb211c12666c';
const PARENT_ID = 'b7ad6b7169242424';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

const simple: InferFunc = (requests) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));

/** Starts a server tracing in OpenTelemetry mode to `receiver`, with `extra` trace settings. */
async function tracedServer(receiver: OtlpReceiver, extra: string[], inferFunc: InferFunc = simple): Promise<Triton> {
  const triton = new Triton({
    config: {
      httpPort: 0,
      httpAddress: '127.0.0.1',
      allowGrpc: false,
      allowMetrics: false,
      exitTimeoutSecs: 5,
      traceConfig: [
        'level=TIMESTAMPS',
        'rate=1',
        'count=-1',
        'mode=opentelemetry',
        'opentelemetry,resource=test.key=test.value',
        'opentelemetry,resource=service.name=test_triton',
        `opentelemetry,url=${receiver.url}`,
        'opentelemetry,bsp_schedule_delay=10',
        ...extra,
      ],
    },
  });
  triton.bind({
    modelName: 'simple',
    inferFunc,
    inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [16] })],
    outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [16] })],
    config: ModelConfig({ maxBatchSize: 8 }),
  });
  await triton.run();
  return triton;
}

async function infer(triton: Triton, headers: Record<string, string> = {}, id?: string): Promise<Response> {
  const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/simple/infer`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      ...(id && { id }),
      inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) }],
    }),
  });
  await response.arrayBuffer();
  return response;
}

/** Resolves when a connection this process opens to `port` is refused (heard through node:net's diagnostics channel). */
function connectionRefused(port: number): Promise<void> {
  return new Promise((resolve) => {
    const onSocket = (message: unknown): void => {
      (message as { socket: Socket }).socket.once('error', (error: NodeJS.ErrnoException & { port?: number }) => {
        if (error.code !== 'ECONNREFUSED' || error.port !== port) return;
        diagnosticsChannel.unsubscribe('net.client.socket', onSocket);
        resolve();
      });
    };
    diagnosticsChannel.subscribe('net.client.socket', onSocket);
  });
}

const roots = (spans: OtlpSpan[]) => spans.filter((s) => s.name === 'InferRequest');

/**
 * Every span received, once the server is stopped: its stop exports the spans still queued and waits for the
 * collector's answer, so that nothing arrives later (no quiet period to wait out).
 */
async function settledSpans(receiver: OtlpReceiver, triton: Triton): Promise<OtlpSpan[]> {
  await triton.stop();
  return receiver.spans;
}

describe('OpenTelemetry mode over HTTP', () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(() => receiver.close());

  it("exports Triton's span tree with its events, attributes and resource", async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, []);
    assert.equal((await infer(triton, {}, '42')).status, 200);
    const spans = await receiver.waitForSpans(4);
    await triton.stop();
    assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
    assert.deepEqual(parentMap(spans), { InferRequest: ['simple'], simple: ['compute'], compute: ['infer_callable'] });
    for (const span of spans) {
      assert.equal(span.kind, SpanKindNumber.SERVER, `${span.name} is a SERVER span`);
      assert.equal(span.resource['service.name'], 'test_triton');
      assert.equal(span.resource['test.key'], 'test.value');
      assert.equal(span.scope.name, 'triton-server');
    }
    const root = findSpan(spans, 'InferRequest');
    assert.deepEqual(eventNames(root), [
      'HTTP_RECV_START',
      'HTTP_RECV_END',
      'INFER_RESPONSE_COMPLETE',
      'HTTP_SEND_START',
      'HTTP_SEND_END',
    ]);
    assert.equal(root.parentSpanId, '');
    const model = findSpan(spans, 'simple');
    assert.deepEqual(eventNames(model), ['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
    assert.deepEqual(model.attributes, {
      'triton.model_name': 'simple',
      'triton.model_version': 1,
      'triton.trace_id': 1,
      'triton.trace_parent_id': 0,
      'triton.request_id': '42',
    });
    assert.deepEqual(eventNames(findSpan(spans, 'compute')), [
      'COMPUTE_START',
      'COMPUTE_INPUT_END',
      'COMPUTE_OUTPUT_START',
      'COMPUTE_END',
    ]);
    assert.ok(spans.every((s) => s.traceId === root.traceId));
  });

  it('parents the root span on a propagated W3C context', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, []);
    await infer(triton, { traceparent: TRACEPARENT });
    const spans = await receiver.waitForSpans(4);
    await triton.stop();
    const root = findSpan(spans, 'InferRequest');
    assert.equal(root.traceId, TRACE_ID);
    assert.equal(root.parentSpanId, PARENT_ID);
    assert.ok(spans.every((s) => s.traceId === TRACE_ID));
  });

  it('traces a propagated context that is not sampled, as Triton does, keeping its trace id and trace state', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, []);
    await infer(triton, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`, tracestate: 'vendor=abc' });
    const spans = await receiver.waitForSpans(4);
    await triton.stop();
    const root = findSpan(spans, 'InferRequest');
    assert.equal(root.parentSpanId, PARENT_ID);
    assert.equal(root.flags, 0x301, 'sampled, with a remote parent');
    assert.ok(spans.every((s) => s.traceId === TRACE_ID && s.traceState === 'vendor=abc'));
    assert.equal(findSpan(spans, 'simple').flags, 0x101, 'sampled, with a local parent');
  });

  it('sends to a collector URL written without a scheme, as Triton accepts it', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, [`opentelemetry,url=${receiver.url.replace(/^http:\/\//, '')}`]);
    await infer(triton);
    const spans = await receiver.waitForSpans(4);
    await triton.stop();
    assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
  });

  it('sends protobuf with the OTEL_EXPORTER_OTLP_HEADERS headers and a ts-triton user agent', async () => {
    receiver.clear();
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=secret%20value,x-tenant=t1';
    try {
      const triton = await tracedServer(receiver, []);
      await infer(triton);
      await receiver.waitForSpans(4);
      await triton.stop();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    }
    const request = receiver.requests[0]!;
    assert.equal(request.contentType, 'application/x-protobuf');
    assert.equal(request.contentEncoding, 'identity');
    assert.equal(request.headers['x-api-key'], 'secret value');
    assert.equal(request.headers['x-tenant'], 't1');
    assert.match(request.userAgent, /^ts-triton\//);
  });

  it('compresses exports with gzip when OTEL_EXPORTER_OTLP_COMPRESSION=gzip (the JS exporter transport)', async () => {
    receiver.clear();
    process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
    try {
      const triton = await tracedServer(receiver, []);
      await infer(triton);
      const spans = await receiver.waitForSpans(4);
      await triton.stop();
      assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
    }
    assert.equal(receiver.requests[0]!.contentEncoding, 'gzip');
  });

  it('retries an export the collector answers with 503', async () => {
    receiver.clear();
    receiver.status = 503;
    const triton = await tracedServer(receiver, []);
    try {
      await infer(triton);
      await until(() => receiver.exports > 0, 5000, 'the first (refused) export');
      receiver.status = 200;
      const spans = await receiver.waitForSpans(4, 5_000);
      assert.deepEqual(spanNamesCount(spans), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
      assert.deepEqual(receiver.requests.map((r) => r.status).slice(0, 2), [503, 200]);
      assert.equal(triton.tracing!.pipeline!.losses().exportFailed, 0);
    } finally {
      receiver.status = 200;
      await triton.stop();
    }
  });

  it('refuses to start with a collector URL that is not a URL', async () => {
    await assert.rejects(
      tracedServer({ url: 'http://bad host:4318/v1/traces' } as OtlpReceiver, []),
      (error: Error) => {
        assert.match(
          error.message,
          /^Bad option: "--trace-config opentelemetry,url"\.\n.*got "http:\/\/bad host:4318\/v1\/traces"/,
        );
        assert.equal((error as TritonError).code, ErrorCode.INVALID_ARG);
        return true;
      },
    );
  });

  it('ignores a malformed traceparent', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, []);
    assert.equal((await infer(triton, { traceparent: '00-not-a-context-01' })).status, 200);
    const spans = await receiver.waitForSpans(4);
    await triton.stop();
    assert.equal(findSpan(spans, 'InferRequest').parentSpanId, '');
  });

  for (const [rate, expected] of [
    [1, 20],
    [6, 3],
    [9, 2],
  ] as const) {
    it(`traces ${expected} of 20 requests at rate ${rate}`, async () => {
      receiver.clear();
      const triton = await tracedServer(receiver, [`rate=${rate}`]);
      for (let i = 0; i < 20; i++) await infer(triton);
      assert.equal(roots(await settledSpans(receiver, triton)).length, expected);
    });
  }

  it('stops rate sampling when the count runs out, but still traces propagated requests', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, ['rate=5', 'count=1']);
    for (let i = 0; i < 20; i++) await infer(triton);
    const settings = (await (await fetch(`http://127.0.0.1:${triton.httpPort}/v2/trace/setting`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(settings.trace_count, '0');
    for (let i = 0; i < 10; i++) {
      await infer(triton, { traceparent: TRACEPARENT });
      await infer(triton);
    }
    const rootSpans = roots(await settledSpans(receiver, triton));
    assert.equal(rootSpans.filter((s) => s.parentSpanId === '').length, 1);
    assert.equal(rootSpans.filter((s) => s.parentSpanId === PARENT_ID).length, 10);
  });

  it('with rate=0 traces only requests that carry a context', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, ['rate=0']);
    for (let i = 0; i < 10; i++) await infer(triton);
    await infer(triton, { traceparent: TRACEPARENT });
    const rootSpans = roots(await settledSpans(receiver, triton));
    assert.equal(rootSpans.length, 1);
    assert.equal(rootSpans[0]!.parentSpanId, PARENT_ID);
  });

  it('traces nothing at level OFF, even with a context', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, ['level=OFF']);
    await infer(triton, { traceparent: TRACEPARENT });
    await infer(triton);
    assert.equal((await settledSpans(receiver, triton)).length, 0);
  });

  it("nests the infer function's spans under infer_callable and marks a failing call", async () => {
    receiver.clear();
    const tracer = trace.getTracer('user-code');
    const triton = await tracedServer(receiver, [], async (requests) => {
      const responses = [];
      for (const request of requests) {
        request.tracedSpan('get-data', () => request.data.INPUT0);
        await request.tracedSpan('sleep', () => new Promise((resolve) => setTimeout(resolve, 2)));
        {
          using _span = request.tracedSpan('append');
          responses.push({ OUTPUT0: request.data.INPUT0! });
        }
        context.with(trace.setSpan(context.active(), request.span), () => {
          tracer.startActiveSpan('api-span', (span) => {
            tracer.startActiveSpan('api-child', (child) => child.end());
            span.end();
          });
        });
        if (request.id === 'fail') throw new Error('Requested Error');
      }
      return responses;
    });
    assert.equal((await infer(triton)).status, 200);
    assert.equal((await infer(triton, {}, 'fail')).status, 500);
    const spans = await settledSpans(receiver, triton);
    const [ok, failed] = roots(spans).map((root) => spans.filter((s) => s.traceId === root.traceId));
    assert.deepEqual(parentMap(ok!), {
      InferRequest: ['simple'],
      simple: ['compute'],
      compute: ['infer_callable'],
      infer_callable: ['api-span', 'append', 'get-data', 'sleep'],
      'api-span': ['api-child'],
    });
    assert.equal(findSpan(ok!, 'infer_callable').status.code, StatusCodeNumber.UNSET);
    const callable = findSpan(failed!, 'infer_callable');
    assert.equal(callable.status.code, StatusCodeNumber.ERROR);
    assert.equal(callable.status.message, 'Requested Error');
    assert.ok(eventNames(callable).includes('exception'));
  });

  it("records request.tracedSpan's spans like the SDK would: INTERNAL, triton-server scope, failures and nesting", async () => {
    receiver.clear();
    const tracer = trace.getTracer('user-code');
    const triton = await tracedServer(receiver, [], async (requests) => {
      for (const request of requests) {
        assert.throws(
          () =>
            request.tracedSpan('throws', () => {
              throw new TypeError('bad step');
            }),
          /bad step/,
        );
        await assert.rejects(
          request.tracedSpan('rejects', () => Promise.reject(new Error('async step'))),
          /async step/,
        );
        request.tracedSpan('outer', () => tracer.startActiveSpan('api-inside', (span) => span.end()));
        const opened = request.tracedSpan('opened');
        opened.setAttribute('rows', 3);
        opened.addEvent('halfway');
        opened.end();
      }
      return requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));
    });
    assert.equal((await infer(triton)).status, 200);
    const spans = await settledSpans(receiver, triton);
    assert.deepEqual(parentMap(spans), {
      InferRequest: ['simple'],
      simple: ['compute'],
      compute: ['infer_callable'],
      infer_callable: ['opened', 'outer', 'rejects', 'throws'],
      outer: ['api-inside'],
    });
    for (const name of ['throws', 'rejects', 'outer', 'opened']) {
      const span = findSpan(spans, name);
      assert.equal(span.kind, 1, `${name} is INTERNAL`);
      assert.equal(span.scope.name, 'triton-server');
      assert.equal(span.flags, 0x101);
      assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano);
    }
    assert.deepEqual(findSpan(spans, 'throws').status, { code: StatusCodeNumber.ERROR, message: 'bad step' });
    assert.deepEqual(eventNames(findSpan(spans, 'throws')), ['exception']);
    assert.equal(findSpan(spans, 'throws').events[0]!.attributes['exception.type'], 'TypeError');
    assert.deepEqual(findSpan(spans, 'rejects').status, { code: StatusCodeNumber.ERROR, message: 'async step' });
    assert.deepEqual(findSpan(spans, 'opened').attributes, { rows: 3 });
    assert.deepEqual(eventNames(findSpan(spans, 'opened')), ['halfway']);
    assert.equal(findSpan(spans, 'api-inside').scope.name, 'user-code');
  });

  it('gives every request of a batch its own compute and infer_callable span', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, [], async (requests) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));
    });
    await Promise.all(Array.from({ length: 5 }, () => infer(triton)));
    const spans = await settledSpans(receiver, triton);
    assert.equal(roots(spans).length, 5);
    for (const root of roots(spans)) {
      const tree = spans.filter((s) => s.traceId === root.traceId);
      assert.deepEqual(spanNamesCount(tree), { InferRequest: 1, simple: 1, compute: 1, infer_callable: 1 });
    }
  });

  it('exports one span per batch with bsp_max_export_batch_size=1', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, ['opentelemetry,bsp_max_export_batch_size=1']);
    await infer(triton);
    await settledSpans(receiver, triton);
    assert.equal(receiver.spans.length, 4);
    assert.equal(receiver.exports, 4);
  });

  it('answers requests while the collector is unreachable', async () => {
    const down = await startOtlpReceiver();
    const url = down.url;
    await down.close();
    const refused = connectionRefused(Number(new URL(url).port));
    const triton = await tracedServer({ url } as OtlpReceiver, ['opentelemetry,bsp_schedule_delay=1']);
    for (let i = 0; i < 5; i++) assert.equal((await infer(triton)).status, 200);
    await within(refused, 5000, 'an export to the unreachable collector');
    assert.equal((await infer(triton)).status, 200);
    const started = performance.now();
    await triton.stop();
    assert.ok(performance.now() - started < 6_000);
  });

  it('counts spans dropped when the queue is full', async () => {
    receiver.clear();
    const triton = await tracedServer(receiver, [
      'opentelemetry,bsp_max_queue_size=1',
      'opentelemetry,bsp_schedule_delay=5000',
      'opentelemetry,bsp_max_export_batch_size=1',
    ]);
    receiver.delayMs = 300;
    await Promise.all(Array.from({ length: 3 }, () => infer(triton)));
    assert.ok(triton.tracing!.pipeline!.losses().queueFull > 0);
    receiver.delayMs = 0;
    await triton.stop();
  });
});
