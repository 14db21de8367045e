/**
 * The compact request trace (a traced request's tree recorded as step times while it goes the usual way) must
 * export exactly the spans the general path (`OtelRequestTrace` over recorded spans) exports, whatever course
 * the request takes: each scenario runs through both, and the decoded exports are compared span by span, with
 * the ids replaced by the names of the spans they point to. The usual course must take the compact path (one
 * write of entries, no span objects), anything else the general one; and a real server's plain requests, over
 * HTTP and gRPC, must take the compact path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SpanContext, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ModelClient } from '../../src/client/index.ts';
import { doubleModel } from '../fixtures/models/double.ts';
import type { RequestTracer } from '../../src/core/trace-hooks.ts';
import { Triton } from '../../src/index.ts';
import type { FrontendProtocol, FrontendTrace } from '../../src/tracing/frontend-trace.ts';
import { OtelRequestTrace } from '../../src/tracing/otel-request-trace.ts';
import { BatchingSpanProcessor } from '../../src/tracing/otlp/batching-span-processor.ts';
import { CompactRequestTrace } from '../../src/tracing/compact-request-trace.ts';
import { ExportEnvelope } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { RecordedSpan } from '../../src/tracing/otlp/recorded-span.ts';
import { type SpanEntries, SpanBatch, WriterPool } from '../../src/tracing/otlp/span-batch.ts';
import { decodeExportRequest, type OtlpSpan, startOtlpReceiver, type OtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

const MODEL = { name: 'simple', version: 1 };
const BASE = 1_000_000_000n;
const at = (step: number): bigint => BASE + BigInt(step) * 1_000n;

/** One step of a scenario: a call on the trace (and, for callableStart, on the tracer it returns). */
type Step = (trace: FrontendTrace, tracer: { current?: RequestTracer }) => void;

const S = {
  received:
    (ns: bigint): Step =>
    (t) =>
      t.received(ns),
  requestStart:
    (ns: bigint, model = MODEL): Step =>
    (t) =>
      t.requestStart(model, 'req-7', ns),
  queue:
    (ns: bigint): Step =>
    (t) =>
      t.activity('QUEUE_START', ns),
  computeStart:
    (ns: bigint): Step =>
    (t) =>
      t.activity('COMPUTE_START', ns),
  callableStart:
    (ns: bigint): Step =>
    (t, tr) =>
      void (tr.current = t.callableStart(ns)),
  inputEnd:
    (ns: bigint): Step =>
    (t) =>
      t.activity('COMPUTE_INPUT_END', ns),
  callableEnd:
    (ns: bigint, error?: unknown): Step =>
    (t) =>
      t.callableEnd(ns, error),
  outputStart:
    (ns: bigint): Step =>
    (t) =>
      t.activity('COMPUTE_OUTPUT_START', ns),
  computeEnd:
    (ns: bigint): Step =>
    (t) =>
      t.activity('COMPUTE_END', ns),
  responseComplete:
    (ns: bigint): Step =>
    (t) =>
      t.responseComplete(ns),
  sendStart:
    (ns: bigint): Step =>
    (t) =>
      t.sendStart(ns),
  sendEnd:
    (ns: bigint): Step =>
    (t) =>
      t.sendEnd(ns),
};

/** The usual course, as the data plane and the HTTP frontend report it. */
const USUAL: Step[] = [
  S.received(at(1)),
  S.requestStart(at(2)),
  S.queue(at(3)),
  S.computeStart(at(4)),
  S.callableStart(at(5)),
  S.inputEnd(at(6)),
  S.callableEnd(at(7)),
  S.outputStart(at(8)),
  S.computeEnd(at(9)),
  S.responseComplete(at(10)),
  S.sendStart(at(11)),
  S.sendEnd(at(12)),
];

/** `steps` with the step at `index` replaced by `replacement` (any number of steps). */
const replaced = (index: number, ...replacement: Step[]): Step[] => [
  ...USUAL.slice(0, index),
  ...replacement,
  ...USUAL.slice(index + 1),
];

interface Outcome {
  readonly spans: OtlpSpan[];
  /** Trees written as entries (the compact path). */
  readonly entryWrites: number;
  /** Span objects that ended into the processor (the general path). */
  readonly spanObjects: number;
  readonly dropped: number;
  readonly exports: number[];
}

interface RunOptions {
  readonly parent?: SpanContext;
  readonly protocol?: FrontendProtocol;
  readonly maxExportBatchSize?: number;
  readonly maxQueueSize?: number;
}

/** Runs `steps` on a compact or a general trace over a real processor and returns what it exported. */
async function run(kind: 'compact' | 'general', steps: readonly Step[], options: RunOptions = {}): Promise<Outcome> {
  const resource = resourceFromAttributes({ 'service.name': 'compact-test' });
  const instrumentationScope = { name: 'triton-server' };
  const envelope = new ExportEnvelope(resource, instrumentationScope);
  const spans: OtlpSpan[] = [];
  const exports: number[] = [];
  let dropped = 0;
  const maxExportBatchSize = options.maxExportBatchSize ?? 512;
  const writers = new WriterPool(maxExportBatchSize);
  const processor = new BatchingSpanProcessor({
    maxQueueSize: options.maxQueueSize ?? 2048,
    maxExportBatchSize,
    scheduledDelayMillis: 60_000,
    newBatch: () => new SpanBatch(envelope, writers),
    exportBatch: async (batch) => {
      spans.push(...decodeExportRequest(batch.encode()!));
      exports.push(batch.count);
      batch.release();
    },
    onDropped: (count) => void (dropped += count),
    onShutdown: async () => {},
  });
  let entryWrites = 0;
  let spanObjects = 0;
  const counting = {
    onStart: () => {},
    onEnd: (span: ReadableSpan) => {
      spanObjects++;
      processor.onEnd(span);
    },
    onEndEntries: (entries: SpanEntries) => {
      entryWrites++;
      processor.onEndEntries(entries);
    },
    forceFlush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  };
  const startRoot = RecordedSpan.starter({ processor: counting, resource, instrumentationScope });
  const base = {
    startRoot,
    parent: options.parent,
    protocol: options.protocol ?? 'HTTP',
    tritonId: 42,
    startNs: at(0),
    onFinish: () => {},
  };
  const trace =
    kind === 'compact' ? new CompactRequestTrace({ startRoot, processor: counting }, base) : new OtelRequestTrace(base);
  const tracer: { current?: RequestTracer } = {};
  for (const step of steps) step(trace, tracer);
  await processor.forceFlush();
  return { spans, entryWrites, spanObjects, dropped, exports };
}

/**
 * The spans with ids replaced by span names (the parent of the root by `remote:<id>`), event times read from
 * the clock (an exception's) by `clock`, sorted by name.
 */
function normalized(spans: readonly OtlpSpan[]): unknown[] {
  const names = new Map(spans.map((s) => [s.spanId, s.name]));
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
  const start = spans.find((s) => s.name === 'InferRequest')!.startTimeUnixNano;
  const time = (t: bigint): bigint | string => (t - start >= 0n && t - start <= at(20) - at(0) ? t - start : 'clock');
  return spans
    .map((s) => ({
      ...s,
      traceId: undefined,
      spanId: undefined,
      parentSpanId: s.parentSpanId === '' ? '' : (names.get(s.parentSpanId) ?? `remote:${s.parentSpanId}`),
      events: s.events.map((e) => ({ ...e, timeUnixNano: time(e.timeUnixNano) })),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Runs `steps` both ways, checks that they export the same spans, and returns both outcomes. */
async function bothWays(steps: readonly Step[], options?: RunOptions): Promise<{ compact: Outcome; general: Outcome }> {
  const compact = await run('compact', steps, options);
  const general = await run('general', steps, options);
  assert.ok(general.spans.length > 0);
  assert.deepEqual(normalized(compact.spans), normalized(general.spans));
  return { compact, general };
}

const REMOTE: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c12666c',
  spanId: 'b7ad6b7169242424',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=abc,other=x'),
};

describe('CompactRequestTrace', () => {
  it('writes the usual course as one tree of entries, the spans the general path exports', async () => {
    const { compact } = await bothWays(USUAL);
    assert.equal(compact.entryWrites, 1);
    assert.equal(compact.spanObjects, 0);
    assert.deepEqual(
      compact.spans.map((s) => s.name),
      ['InferRequest', 'simple', 'compute', 'infer_callable'],
    );
    const [root, model, compute, callable] = compact.spans;
    assert.equal(model!.parentSpanId, root!.spanId);
    assert.equal(compute!.parentSpanId, model!.spanId);
    assert.equal(callable!.parentSpanId, compute!.spanId);
    assert.equal(new Set(compact.spans.map((s) => s.spanId)).size, 4);
    assert.equal(model!.attributes['triton.request_id'], 'req-7');
  });

  it('continues a propagated context (trace id, parent, trace state, remote flag) as the general path does', async () => {
    for (const protocol of ['HTTP', 'GRPC'] as const) {
      const { compact } = await bothWays(USUAL, { parent: REMOTE, protocol });
      assert.equal(compact.entryWrites, 1);
      const root = compact.spans.find((s) => s.name === 'InferRequest')!;
      assert.equal(root.traceId, REMOTE.traceId);
      assert.equal(root.parentSpanId, REMOTE.spanId);
      assert.equal(root.traceState, 'vendor=abc,other=x');
    }
  });

  const detours: [string, Step[]][] = [
    ['the infer function fails', replaced(6, S.callableEnd(at(7), new Error('boom')))],
    [
      'the response is sent while it is produced (SSE)',
      [...USUAL.slice(0, 9), S.sendStart(at(10)), S.responseComplete(at(11)), S.sendEnd(at(12))],
    ],
    ['the client goes away before the answer', [...USUAL.slice(0, 6), S.sendEnd(at(7)), ...USUAL.slice(6, 11)]],
    [
      'the request fails before reaching its model',
      [S.received(at(1)), S.responseComplete(at(2)), S.sendStart(at(2)), S.sendEnd(at(3))],
    ],
    ['the body never arrives', [S.responseComplete(at(2)), S.sendStart(at(2)), S.sendEnd(at(3))]],
    ['the request is not queued', [...USUAL.slice(0, 2), ...USUAL.slice(3)]],
    ['a step is reported twice', replaced(10, S.sendStart(at(11)), S.sendStart(at(11)))],
    ['steps come after the end', [...USUAL, S.responseComplete(at(13)), S.sendEnd(at(14))]],
    [
      'model code uses request.span',
      replaced(4, S.callableStart(at(5)), (_t, tr) => {
        tr.current!.span.setAttribute('user.key', 'value');
        tr.current!.span.addEvent('user-event', { n: 1 });
      }),
    ],
  ];
  for (const [name, steps] of detours) {
    it(`takes the general path with the same spans when ${name}`, async () => {
      const { compact } = await bothWays(steps);
      const usual = name === 'steps come after the end';
      assert.equal(compact.entryWrites, usual ? 1 : 0);
      assert.equal(compact.spanObjects > 0, !usual);
    });
  }

  it('gives model code a callable span whose children nest under it', async () => {
    const steps = replaced(4, S.callableStart(at(5)), (_t, tr) => tr.current!.open('preprocess').end());
    const { spans, entryWrites } = await run('compact', steps);
    assert.equal(entryWrites, 0);
    const callable = spans.find((s) => s.name === 'infer_callable')!;
    const child = spans.find((s) => s.name === 'preprocess')!;
    assert.equal(child.parentSpanId, callable.spanId);
    assert.equal(spans.length, 5);
  });

  it('ignores request.span once the tree is written', async () => {
    let tracer: RequestTracer | undefined;
    const steps = [...USUAL, (_t: FrontendTrace, tr: { current?: RequestTracer }) => void (tracer = tr.current)];
    const { spans, entryWrites } = await run('compact', steps);
    assert.equal(entryWrites, 1);
    assert.equal(tracer!.span.isRecording(), false);
    tracer!.open('late').end();
    assert.equal(spans.length, 4);
  });

  it('splits a tree across batches of bsp_max_export_batch_size spans, keeping its ids', async () => {
    const { compact } = await bothWays(USUAL, { maxExportBatchSize: 3 });
    assert.deepEqual(compact.exports, [3, 1]);
    const single = await run('compact', USUAL, { maxExportBatchSize: 1 });
    assert.deepEqual(single.exports, [1, 1, 1, 1]);
    assert.deepEqual(normalized(single.spans), normalized(compact.spans));
  });

  it('queues as many spans as the queue has room for and counts the rest as dropped', async () => {
    const { spans, dropped } = await run('compact', USUAL, { maxQueueSize: 2 });
    assert.equal(spans.length, 2);
    assert.equal(dropped, 2);
  });
});

describe('CompactRequestTrace in a server', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  const writes = { compact: 0, general: 0 };
  const original = {
    writeEntries: CompactRequestTrace.prototype.writeEntries,
    received: OtelRequestTrace.prototype.received,
  };

  before(async () => {
    CompactRequestTrace.prototype.writeEntries = function (this: CompactRequestTrace, ...args) {
      if (args[1] === 0) writes.compact++;
      return original.writeEntries.apply(this, args);
    };
    OtelRequestTrace.prototype.received = function (this: OtelRequestTrace, ns) {
      writes.general++;
      return original.received.call(this, ns);
    };
    receiver = await startOtlpReceiver();
    triton = new Triton({ config: { ...LOCAL, traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] } });
    triton.bind(doubleModel());
    await triton.run();
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
    CompactRequestTrace.prototype.writeEntries = original.writeEntries;
    OtelRequestTrace.prototype.received = original.received;
  });

  for (const protocol of ['http', 'grpc'] as const) {
    it(`writes plain ${protocol} requests as compact trees, and takes the general path for model code using request.span`, async () => {
      const url = protocol === 'http' ? `http://127.0.0.1:${triton.httpPort}` : `grpc://127.0.0.1:${triton.grpcPort}`;
      await using client = new ModelClient(url, 'double');
      writes.compact = writes.general = 0;
      receiver.clear();
      await client.inferSample({ x: new Float32Array([1, 2]) });
      await receiver.waitForSpans(4);
      assert.deepEqual(writes, { compact: 1, general: 0 });
      await client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch: true } });
      const spans = await receiver.waitForSpans(8);
      assert.deepEqual(writes, { compact: 1, general: 1 });
      assert.equal(spans.filter((s) => s.attributes.touched === true).length, 1);
    });
  }
});
