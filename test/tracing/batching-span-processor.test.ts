/**
 * The export pipeline's span processor: when batches of recorded (and SDK) spans are exported, how many wait,
 * and what flush and shutdown do. Exports are recorded by a fake `exportBatch` that decodes each request.
 */
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  createAlwaysRecordSampler,
  ParentBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import {
  BatchingSpanProcessor,
  type BatchingSpanProcessorOptions,
} from '../../src/tracing/otlp/batching-span-processor.ts';
import { ExportEnvelope } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { RecordedSpan, type SpanScope } from '../../src/tracing/otlp/recorded-span.ts';
import { SpanBatch, WriterPool } from '../../src/tracing/otlp/span-batch.ts';
import { writeSpanEntry } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { remoteSpanSink } from '../../src/tracing/remote-spans.ts';
import { ProtoWriter } from '../../src/wire/proto-writer.ts';
import { spanShape } from '../../src/tracing/tree-span.ts';
import { decodeExportRequest, type OtlpSpan } from '../fixtures/otlp-receiver.ts';
import { within } from '../helpers/within.ts';

/** One call of `exportBatch`. */
interface Export {
  readonly count: number;
  readonly spans: OtlpSpan[];
  readonly names: string[];
  readonly at: number;
  /** Settles the export (when the harness is manual). */
  readonly done: PromiseWithResolvers<void>;
}

type Settle = 'immediately' | 'manually' | 'reject';

/** A processor under test with a fake exporter, and a scope whose spans end into it. */
function harness(options: Partial<BatchingSpanProcessorOptions> & { settle?: Settle } = {}) {
  const resource = resourceFromAttributes({ 'service.name': 'bsp-test' });
  const instrumentationScope = { name: 'triton-server' };
  const envelope = new ExportEnvelope(resource, instrumentationScope);
  const exports: Export[] = [];
  const log: string[] = [];
  let dropped = 0;
  let shutdowns = 0;
  let exportCalled = Promise.withResolvers<Export>();
  const settle = options.settle ?? 'immediately';
  const maxExportBatchSize = options.maxExportBatchSize ?? 512;
  const writers = new WriterPool(maxExportBatchSize);
  const processor = new BatchingSpanProcessor({
    maxQueueSize: 2048,
    scheduledDelayMillis: 60_000,
    newBatch: () => new SpanBatch(envelope, writers),
    onDropped: (count) => void (dropped += count),
    onShutdown: async () => {
      shutdowns++;
      log.push('shutdown');
    },
    exportBatch: (batch) => {
      const spans = decodeExportRequest(batch.encode()!);
      const entry: Export = {
        count: batch.count,
        spans,
        names: spans.map((s) => s.name),
        at: Date.now(),
        done: Promise.withResolvers<void>(),
      };
      exports.push(entry);
      log.push(`export ${entry.names.join(',')}`);
      exportCalled.resolve(entry);
      exportCalled = Promise.withResolvers<Export>();
      if (settle === 'immediately') entry.done.resolve();
      if (settle === 'reject') entry.done.reject(new Error('collector unreachable'));
      return entry.done.promise.then(() => void log.push(`exported ${entry.names.join(',')}`));
    },
    ...options,
    maxExportBatchSize,
  });
  const scope: SpanScope = { processor, resource, instrumentationScope };
  const start = RecordedSpan.starter(scope);
  /** Ends one recorded span named `name`. */
  const end = (name: string): RecordedSpan => {
    const ns = process.hrtime.bigint();
    const span = start(spanShape(name), ns, undefined) as RecordedSpan;
    span.finish(ns + 1000n);
    return span;
  };
  return {
    processor,
    scope,
    exports,
    log,
    end,
    endMany: (prefix: string, count: number) => {
      for (let i = 0; i < count; i++) end(`${prefix}${i}`);
    },
    /** The next call of `exportBatch`. */
    nextExport: () => exportCalled.promise,
    dropped: () => dropped,
    shutdowns: () => shutdowns,
    exportedNames: () => exports.flatMap((e) => e.names),
  };
}

describe('BatchingSpanProcessor', () => {
  it('exports as soon as maxExportBatchSize spans are queued, without waiting for the delay', async () => {
    const h = harness({ maxExportBatchSize: 3, scheduledDelayMillis: 60_000 });
    h.end('a');
    h.end('b');
    assert.equal(h.exports.length, 0);
    h.end('c');
    assert.equal(h.exports.length, 1, 'exported when the third span ended');
    assert.equal(h.exports[0]!.count, 3);
    assert.deepEqual(h.exports[0]!.names, ['a', 'b', 'c']);
    assert.equal(h.exports[0]!.spans[0]!.resource['service.name'], 'bsp-test');
    assert.equal(h.exports[0]!.spans[0]!.scope.name, 'triton-server');
    h.end('d');
    h.end('e');
    h.end('f');
    assert.equal(h.exports.length, 1, 'the next full batch waits for the first export to settle');
    await tick();
    assert.equal(h.exports.length, 2);
    assert.deepEqual(h.exports[1]!.names, ['d', 'e', 'f']);
    await h.processor.shutdown();
  });

  it('exports a partial batch scheduledDelayMillis after its first span', async () => {
    const h = harness({ maxExportBatchSize: 100, scheduledDelayMillis: 30 });
    const started = Date.now();
    const exported = h.nextExport();
    h.end('a');
    h.end('b');
    assert.equal(h.exports.length, 0);
    const first = await within(exported);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 25 && elapsed < 4000, `exported after ${elapsed} ms`);
    assert.deepEqual(first.names, ['a', 'b']);
    // A later span starts a new delay.
    const second = h.nextExport();
    h.end('c');
    assert.deepEqual((await within(second)).names, ['c']);
    assert.equal(h.exports.length, 2);
    await h.processor.shutdown();
  });

  it('runs one export at a time: the next batch starts only after the one in flight settles', async () => {
    const h = harness({ maxExportBatchSize: 2, settle: 'manually' });
    h.endMany('x', 6);
    assert.equal(h.exports.length, 1);
    assert.deepEqual(h.exports[0]!.names, ['x0', 'x1']);
    await tick();
    assert.equal(h.exports.length, 1, 'still one export while the first is in flight');
    h.exports[0]!.done.resolve();
    await tick();
    assert.equal(h.exports.length, 2);
    assert.deepEqual(h.exports[1]!.names, ['x2', 'x3']);
    await tick();
    assert.equal(h.exports.length, 2);
    h.exports[1]!.done.resolve();
    await tick();
    assert.equal(h.exports.length, 3);
    assert.deepEqual(h.exports[2]!.names, ['x4', 'x5']);
    h.exports[2]!.done.resolve();
    await h.processor.shutdown();
    assert.equal(h.exports.length, 3);
  });

  it('drops spans beyond maxQueueSize, not counting the batch in flight', async () => {
    const h = harness({ maxExportBatchSize: 2, maxQueueSize: 4, settle: 'manually' });
    h.endMany('q', 2); // exported at once: in flight, out of the queue
    assert.equal(h.exports.length, 1);
    h.endMany('w', 4); // fills the queue
    assert.equal(h.dropped(), 0, 'the batch in flight does not count toward the queue');
    h.end('lost1');
    h.end('lost2');
    assert.equal(h.dropped(), 2);
    h.exports[0]!.done.resolve();
    await tick();
    assert.equal(h.exports.length, 2);
    h.end('w4'); // the second batch left the queue: room again
    assert.equal(h.dropped(), 2);
    h.exports[1]!.done.resolve();
    await tick();
    h.exports[2]!.done.resolve();
    const flushed = h.processor.forceFlush();
    await tick();
    for (const e of h.exports) e.done.resolve();
    await within(flushed);
    assert.deepEqual(h.exportedNames(), ['q0', 'q1', 'w0', 'w1', 'w2', 'w3', 'w4']);
    assert.equal(h.dropped(), 2);
    await h.processor.shutdown();
  });

  it('exports SDK spans in the same request as recorded spans, and ignores unsampled SDK spans', async () => {
    const h = harness({ maxExportBatchSize: 3 });
    const provider = new TracerProvider({ resource: h.scope.resource, spanProcessors: [h.processor] });
    const root = h.end('recorded-root');
    const sdkSpan = provider
      .getTracer('model-code')
      .startSpan('user-step', undefined, trace.setSpan(ROOT_CONTEXT, root));
    sdkSpan.end();

    // Spans that are recorded (so they reach onEnd) but not sampled.
    const unsampledProvider = new TracerProvider({
      resource: h.scope.resource,
      spanProcessors: [h.processor],
      sampler: createAlwaysRecordSampler(new AlwaysOffSampler()),
    });
    const unsampled = unsampledProvider.getTracer('model-code').startSpan('unsampled');
    assert.equal(unsampled.isRecording(), true);
    assert.equal(unsampled.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
    unsampled.end();
    const parentBased = new TracerProvider({
      resource: h.scope.resource,
      spanProcessors: [h.processor],
      sampler: createAlwaysRecordSampler(new ParentBasedSampler({ root: new AlwaysOnSampler() })),
    });
    const notSampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c12666c',
      spanId: 'b7ad6b7169242424',
      traceFlags: TraceFlags.NONE,
      isRemote: true,
    });
    const child = parentBased.getTracer('model-code').startSpan('unsampled-child', undefined, notSampledParent);
    assert.equal(child.isRecording(), true);
    child.end();
    assert.equal(h.exports.length, 0, 'unsampled spans do not count toward a batch');

    h.end('recorded-2');
    assert.equal(h.exports.length, 1);
    const [request] = h.exports;
    assert.equal(request!.count, 3);
    assert.deepEqual(request!.names.sort(), ['recorded-2', 'recorded-root', 'user-step']);
    const user = request!.spans.find((s) => s.name === 'user-step')!;
    assert.equal(user.parentSpanId, root.spanContext().spanId);
    assert.equal(user.traceId, root.spanContext().traceId);
    assert.equal(user.scope.name, 'model-code');
    assert.equal(user.resource['service.name'], 'bsp-test');
    await h.processor.forceFlush();
    assert.ok(!h.exportedNames().some((name) => name.startsWith('unsampled')));
    await h.processor.shutdown();
  });

  it('exports everything queued on forceFlush, several batches in order, and waits for the export in flight', async () => {
    const h = harness({ maxExportBatchSize: 2, settle: 'manually' });
    h.endMany('s', 7); // s0,s1 in flight; s2..s5 in two full batches; s6 open
    assert.equal(h.exports.length, 1);
    let flushed = false;
    const flush = h.processor.forceFlush().then(() => void (flushed = true));
    assert.equal(h.exports.length, 4, 'the queued batches are all sent at once');
    assert.deepEqual(
      h.exports.map((e) => e.names),
      [['s0', 's1'], ['s2', 's3'], ['s4', 's5'], ['s6']],
    );
    for (const e of h.exports.slice(1)) e.done.resolve();
    await tick();
    assert.equal(flushed, false, 'the flush waits for the export that was in flight');
    h.exports[0]!.done.resolve();
    await within(flush);
    assert.equal(flushed, true);
    assert.equal(h.exports.length, 4);
    await h.processor.forceFlush();
    assert.equal(h.exports.length, 4, 'nothing left to flush');
    await h.processor.shutdown();
  });

  it('flushes on shutdown, calls onShutdown once after the last export, and ignores later spans', async () => {
    const h = harness({ maxExportBatchSize: 10 });
    h.endMany('z', 3);
    assert.equal(h.exports.length, 0);
    const first = h.processor.shutdown();
    const second = h.processor.shutdown();
    h.end('after-shutdown-call');
    await within(Promise.all([first, second]), 5000, 'shutdown');
    assert.deepEqual(h.log, ['export z0,z1,z2', 'exported z0,z1,z2', 'shutdown']);
    assert.equal(h.shutdowns(), 1);
    h.endMany('late', 20);
    await h.processor.shutdown();
    await h.processor.forceFlush();
    await tick();
    assert.equal(h.shutdowns(), 1);
    assert.deepEqual(h.exportedNames(), ['z0', 'z1', 'z2']);
    assert.equal(h.dropped(), 0, 'spans after shutdown are ignored, not counted as dropped');
  });

  it("adds a worker's encoded spans as they are, in their own scope, split at span boundaries across batches", async () => {
    const h = harness({ maxExportBatchSize: 2 });
    // Three spans encoded as a worker encodes them, in a scope of their own.
    const collected = new ProtoWriter(1024);
    const ends: number[] = [];
    const workerScope: SpanScope = {
      processor: {
        onEnd: (span: RecordedSpan) => (writeSpanEntry(collected, span), ends.push(collected.pos)),
      } as never,
      resource: h.scope.resource,
      instrumentationScope: { name: 'model-code', version: '2' },
    };
    const parent = h.end('parent');
    for (const name of ['w0', 'w1', 'w2']) RecordedSpan.codeSpan(workerScope, parent.spanContext(), name).end();
    const errors: unknown[] = [];
    const sink = remoteSpanSink(h.processor, { name: 'triton-server' }, (error) => errors.push(error));
    sink([
      {
        scope: { name: 'model-code', version: '2' },
        bytes: new Uint8Array(collected.finish()),
        ends: Uint32Array.from(ends),
      },
    ]);
    await h.processor.forceFlush();
    assert.deepEqual(errors, []);
    assert.deepEqual(
      h.exports.map((e) => e.names),
      [
        ['parent', 'w0'],
        ['w1', 'w2'],
      ],
    );
    const spans = h.exports.flatMap((e) => e.spans);
    for (const name of ['w0', 'w1', 'w2']) {
      const span = spans.find((s) => s.name === name)!;
      assert.deepEqual([span.scope.name, span.scope.version], ['model-code', '2']);
      assert.equal(span.parentSpanId, parent.spanContext().spanId);
      assert.equal(span.resource['service.name'], 'bsp-test');
    }
    await h.processor.shutdown();
  });

  it('keeps exporting after an exportBatch that rejects', async () => {
    const h = harness({ maxExportBatchSize: 1, scheduledDelayMillis: 20, settle: 'reject' });
    h.end('r0');
    h.end('r1');
    assert.equal(h.exports.length, 1);
    await tick();
    assert.equal(h.exports.length, 2, 'the next batch went after the rejected one');
    await tick();
    await h.processor.forceFlush();
    h.end('r2');
    await tick();
    assert.deepEqual(h.exportedNames(), ['r0', 'r1', 'r2']);

    const timed = harness({ maxExportBatchSize: 100, scheduledDelayMillis: 20, settle: 'reject' });
    const firstExport = timed.nextExport();
    timed.end('t0');
    await within(firstExport);
    const secondExport = timed.nextExport();
    timed.end('t1');
    assert.deepEqual((await within(secondExport)).names, ['t1']);
    timed.end('t2');
    timed.end('t3');
    await timed.processor.forceFlush();
    assert.deepEqual(timed.exportedNames(), ['t0', 't1', 't2', 't3']);
    await assert.doesNotReject(timed.processor.shutdown());
    await assert.doesNotReject(h.processor.shutdown());
  });
});
