import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import protobuf from 'protobufjs';
import { toEpochNs } from '../../src/core/clock.ts';
import { ExportEnvelope, fitsShape } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { SpanBatch, WriterPool } from '../../src/tracing/otlp/span-batch.ts';
import { ProtoWriter } from '../../src/wire/proto-writer.ts';
import { RecordedSpan, type SpanScope } from '../../src/tracing/otlp/recorded-span.ts';
import { idFromHex, newSpanId, newTraceId } from '../../src/tracing/otlp/span-ids.ts';
import { spanShape } from '../../src/tracing/tree-span.ts';
import { decodeExportRequest } from '../fixtures/otlp-receiver.ts';

/** A scope whose processor keeps the spans that end. */
function collectingScope(attributes: Record<string, unknown> = { 'service.name': 'encoder-test' }) {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => void ended.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const scope: SpanScope = {
    processor,
    resource: resourceFromAttributes(attributes as never),
    instrumentationScope: { name: 'triton-server' },
  };
  return { scope, ended };
}

/** `spans` encoded as one export request, as the pipeline does (each span written when it joins the batch). */
function encodeBatch(scope: SpanScope, spans: readonly ReadableSpan[]): Uint8Array {
  const batch = new SpanBatch(new ExportEnvelope(scope.resource, scope.instrumentationScope), new WriterPool(1));
  for (const span of spans) batch.add(span);
  return batch.encode()!;
}

const REMOTE = {
  traceId: '0af7651916cd43dd8448eb211c12666c',
  spanId: 'b7ad6b7169242424',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
  traceState: new TraceState('vendor=abc,other=x'),
};

// The tree's spans fit these shapes (and are written from their templates), except `infer_callable`.
const ROOT_SHAPE = spanShape('InferRequest', ['HTTP_RECV_START', 'HTTP_SEND_END']);
const MODEL_SHAPE = spanShape('simple', ['REQUEST_START']);
const COMPUTE_SHAPE = spanShape('compute', ['COMPUTE_START', 'COMPUTE_END']);

/**
 * A tree like a traced request's (its spans fitting their shapes, so written from templates), plus everything
 * model code can do to `request.span` (which is then written field by field).
 */
function requestTree(scope: SpanScope, requestId = '42'): RecordedSpan[] {
  const ns = process.hrtime.bigint();
  const root = RecordedSpan.starter(scope)(ROOT_SHAPE, ns, REMOTE) as RecordedSpan;
  root.mark('HTTP_RECV_START', ns);
  const model = root.startChild(MODEL_SHAPE, ns + 10n, SpanKind.SERVER);
  model.annotate({
    'triton.model_name': 'simple',
    'triton.model_version': 1,
    'triton.trace_id': 7,
    'triton.request_id': requestId,
  });
  model.mark('REQUEST_START', ns + 10n);
  const compute = model.startChild(COMPUTE_SHAPE, ns + 20n, SpanKind.SERVER);
  compute.mark('COMPUTE_START', ns + 20n);
  const callable = compute.startChild(spanShape('infer_callable'), ns + 30n, SpanKind.SERVER).api;
  callable.setAttribute('text', 'grüße ✓');
  callable.setAttribute('int', 12);
  callable.setAttribute('negative', -5);
  callable.setAttributes({ 'one-byte': 127, 'two-bytes': 128 });
  callable.setAttribute('double', 0.25);
  callable.setAttribute('flag', true);
  callable.setAttributes({ strings: ['a', 'b'], numbers: [1, 2.5], empty: '' });
  callable.addEvent('checkpoint', { step: 3, note: 'ok' });
  callable.addEvent('timed', [1_700_000_000, 5]);
  callable.addEvent('dated', new Date(1_700_000_000_123));
  callable.addEvent(`long-${'n'.repeat(150)}`);
  callable.addLink({ context: { ...REMOTE, isRemote: false }, attributes: { why: 'batch' } });
  callable.recordException(new TypeError('bad input'));
  callable.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  callable.updateName('infer_callable');
  (callable as RecordedSpan).finish(ns + 40n);
  compute.mark('COMPUTE_END', ns + 50n);
  compute.finish(ns + 50n);
  model.finish(ns + 60n);
  root.mark('HTTP_SEND_END', ns + 70n);
  root.finish(ns + 70n);
  return [root, model, compute, callable] as RecordedSpan[];
}

describe('OTLP encoding of recorded spans', () => {
  it('decodes to exactly what the OpenTelemetry JS serializer writes for the same spans', () => {
    const { scope, ended } = collectingScope({ 'service.name': 'svc', list: ['x', 'y'], n: 3, ratio: 0.5 });
    requestTree(scope);
    const mine = decodeExportRequest(encodeBatch(scope, ended));
    const theirs = decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!);
    assert.equal(mine.length, 4);
    assert.deepEqual(mine, theirs);
  });

  it("writes the tree's ids, parents, kinds, flags, times and events", () => {
    const { scope, ended } = collectingScope();
    const [root, model, , callable] = requestTree(scope);
    const spans = decodeExportRequest(encodeBatch(scope, ended));
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    assert.equal(byName.InferRequest!.traceId, REMOTE.traceId);
    assert.equal(byName.InferRequest!.parentSpanId, REMOTE.spanId);
    assert.equal(byName.InferRequest!.flags, 0x301);
    assert.equal(byName.InferRequest!.traceState, 'vendor=abc,other=x');
    assert.equal(byName.simple!.parentSpanId, root!.spanContext().spanId);
    assert.equal(byName.simple!.flags, 0x101);
    assert.equal(byName.compute!.parentSpanId, model!.spanContext().spanId);
    assert.ok(spans.every((s) => s.kind === 2 && s.traceId === REMOTE.traceId));
    assert.equal(byName.simple!.startTimeUnixNano, toEpochNs(root!.startNs) + 10n);
    assert.equal(byName.InferRequest!.endTimeUnixNano - byName.InferRequest!.startTimeUnixNano, 70n);
    assert.deepEqual(
      byName.infer_callable!.events.map((e) => e.name),
      ['checkpoint', 'timed', 'dated', `long-${'n'.repeat(150)}`, 'exception'],
    );
    assert.equal(byName.infer_callable!.events[1]!.timeUnixNano, 1_700_000_000_000_000_005n);
    assert.equal(byName.infer_callable!.events[2]!.timeUnixNano, 1_700_000_000_123_000_000n);
    assert.deepEqual(byName.infer_callable!.status, { code: 2, message: 'failed' });
    assert.equal(byName.infer_callable!.attributes.negative, -5);
    assert.equal((callable as RecordedSpan).ended, true);
  });

  it('handles batches with long and multi-byte strings (length prefixes of several bytes, buffer growth)', () => {
    const { scope, ended } = collectingScope();
    for (let i = 0; i < 300; i++) requestTree(scope, `request-${i}-${'é'.repeat(i * 7)}`);
    const encoded = encodeBatch(scope, ended);
    assert.ok(encoded.byteLength > 200_000);
    assert.deepEqual(
      decodeExportRequest(encoded),
      decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!),
    );
  });

  it('writes spans from their shape templates only when they fit, with the same result either way', () => {
    const { scope, ended } = collectingScope();
    const [root, model, compute, callable] = requestTree(scope);
    assert.deepEqual(
      [root, model, compute, callable].map((s) => fitsShape(s!)),
      [true, true, true, false],
    );

    // Long names (two-byte lengths) in a template; and spans that stop fitting their shape.
    const longModel = spanShape(`model-${'m'.repeat(200)}`, [`EVENT_${'e'.repeat(130)}`, 'SHORT']);
    const start = RecordedSpan.starter(scope);
    const ns = process.hrtime.bigint();
    const fits = start(longModel, ns, undefined) as RecordedSpan;
    fits.annotate({ 'triton.model_name': longModel.name, 'triton.trace_id': 300 });
    fits.mark(`EVENT_${'e'.repeat(130)}`, ns + 1n);
    fits.mark('SHORT', ns + 2n);
    fits.finish(ns + 3n);
    const missing = start(longModel, ns, undefined) as RecordedSpan;
    missing.mark('SHORT', ns + 2n);
    missing.finish(ns + 3n);
    const failed = start(COMPUTE_SHAPE, ns, undefined) as RecordedSpan;
    failed.mark('COMPUTE_START', ns + 1n);
    failed.mark('COMPUTE_END', ns + 2n);
    failed.finish(ns + 3n, new Error('model failed'));
    const renamed = start(COMPUTE_SHAPE, ns, undefined) as RecordedSpan;
    renamed.mark('COMPUTE_START', ns + 1n);
    renamed.mark('COMPUTE_END', ns + 2n);
    renamed.updateName('compute-renamed');
    renamed.end();
    const withEventAttributes = start(ROOT_SHAPE, ns, undefined) as RecordedSpan;
    withEventAttributes.mark('HTTP_RECV_START', ns);
    withEventAttributes.addEvent('HTTP_SEND_END', { bytes: 10 });
    withEventAttributes.end();
    assert.deepEqual([fits, missing, failed, renamed, withEventAttributes].map(fitsShape), [
      true,
      false,
      false,
      false,
      false,
    ]);

    const mine = decodeExportRequest(encodeBatch(scope, ended));
    assert.equal(mine.length, 9);
    assert.deepEqual(mine, decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!));
    const long = mine[4]!;
    assert.equal(long.name, longModel.name);
    assert.deepEqual(
      long.events.map((e) => e.timeUnixNano - long.startTimeUnixNano),
      [1n, 2n],
    );
    assert.equal(long.endTimeUnixNano - long.startTimeUnixNano, 3n);
    assert.equal(long.attributes['triton.trace_id'], 300);
  });

  it("writes the model code's spans, past the number of names whose shapes are kept", () => {
    const { scope, ended } = collectingScope();
    const parent = RecordedSpan.starter(scope)(
      spanShape('infer_callable'),
      process.hrtime.bigint(),
      undefined,
    ) as RecordedSpan;
    const names = Array.from({ length: 1100 }, (_, i) => `step-${i}`);
    for (const name of [...names, 'step-0', '\u0000unkept']) parent.startCodeSpan(name).end();
    parent.end();
    const spans = decodeExportRequest(encodeBatch(scope, ended));
    assert.deepEqual(
      spans.map((s) => s.name),
      [...names, 'step-0', '\u0000unkept', 'infer_callable'],
    );
    assert.ok(spans.slice(0, -1).every((s) => s.kind === 1 && s.parentSpanId === parent.spanContext().spanId));
    assert.deepEqual(spans, decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!));
  });

  it('puts spans of the SDK and recorded spans in one request (the serializer of the exporter)', () => {
    const { scope, ended } = collectingScope();
    const provider = new TracerProvider({
      resource: scope.resource,
      spanProcessors: [scope.processor],
    });
    const [, , , callable] = requestTree(scope);
    const sdkSpan = provider
      .getTracer('model-code')
      .startSpan('user-step', undefined, trace.setSpan(ROOT_CONTEXT, callable!));
    sdkSpan.end();
    const decoded = decodeExportRequest(encodeBatch(scope, ended));
    assert.deepEqual(decoded.map((s) => s.name).sort(), [
      'InferRequest',
      'compute',
      'infer_callable',
      'simple',
      'user-step',
    ]);
    const user = decoded.find((s) => s.name === 'user-step')!;
    assert.equal(user.parentSpanId, callable!.spanContext().spanId);
    assert.equal(user.scope.name, 'model-code');
    assert.deepEqual(decoded, decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!));
  });
});

describe('OTLP encoding of SDK spans (model code through the OpenTelemetry API)', () => {
  it('decodes to exactly what the OpenTelemetry JS serializer writes, grouped by scope, beside recorded spans', () => {
    const { scope, ended } = collectingScope({ 'service.name': 'svc', region: 'eu' });
    const provider = new TracerProvider({ resource: scope.resource, spanProcessors: [scope.processor] });
    const [, , , callable] = requestTree(scope);
    const parent = trace.setSpan(ROOT_CONTEXT, callable!);
    const plain = provider.getTracer('model-code');
    const versioned = provider.getTracer('other-lib', '2.1.0', {
      schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    });
    const first = plain.startSpan(
      'first',
      { kind: SpanKind.CLIENT, attributes: { rows: 3, ratio: 0.5, tag: 'é✓', ok: true, list: [1, 2] } },
      parent,
    );
    first.addEvent('checkpoint', { step: 1 });
    first.addEvent('timed', [1_700_000_000, 42]);
    first.addLink({ context: REMOTE, attributes: { why: 'batch' } });
    first.setStatus({ code: SpanStatusCode.ERROR, message: 'went wrong' });
    first.end();
    const sampledRemote = { ...REMOTE, traceFlags: TraceFlags.SAMPLED };
    const remoteChild = versioned.startSpan(
      'remote-child',
      { kind: SpanKind.CONSUMER },
      trace.setSpanContext(ROOT_CONTEXT, sampledRemote),
    );
    remoteChild.end([1_700_000_001, 999_999_999]);
    versioned.startSpan('ok', {}, parent).setStatus({ code: SpanStatusCode.OK }).end();
    plain.startSpan(`long-${'x'.repeat(20_000)}`, {}, parent).end();
    const sdkSpans = ended.slice(4);
    const mine = decodeExportRequest(encodeBatch(scope, ended));
    const theirs = decodeExportRequest(ProtobufTraceSerializer.serializeRequest(ended)!);
    const bySpanId = (a: { spanId: string }, b: { spanId: string }) => a.spanId.localeCompare(b.spanId);
    assert.equal(mine.length, 8);
    assert.deepEqual([...mine].sort(bySpanId), [...theirs].sort(bySpanId));
    const remote = mine.find((s) => s.name === 'remote-child')!;
    assert.deepEqual(
      [remote.parentSpanId, remote.traceState, remote.flags],
      [REMOTE.spanId, 'vendor=abc,other=x', 0x301],
    );
    // Grouped by scope, in the order the scopes first ended a span.
    assert.deepEqual(
      mine.slice(4).map((s) => [s.name.slice(0, 12), s.scope.name, s.scope.version]),
      [
        ['first', 'model-code', ''],
        [`long-${'x'.repeat(7)}`, 'model-code', ''],
        ['remote-child', 'other-lib', '2.1.0'],
        ['ok', 'other-lib', '2.1.0'],
      ],
    );
    assert.equal(sdkSpans.length, 4);
  });

  it('leaves spans of another resource to the JS serializer, in the same request', () => {
    const { scope, ended } = collectingScope({ 'service.name': 'svc' });
    const foreign = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'elsewhere' }),
      spanProcessors: [scope.processor],
    });
    const own = new TracerProvider({ resource: scope.resource, spanProcessors: [scope.processor] });
    foreign.getTracer('a').startSpan('foreign').end();
    own.getTracer('a').startSpan('own').end();
    const spans = decodeExportRequest(encodeBatch(scope, ended));
    assert.deepEqual(
      spans.map((s) => [s.name, s.resource['service.name']]),
      [
        ['own', 'svc'],
        ['foreign', 'elsewhere'],
      ],
    );
  });
});

describe('SpanBatch', () => {
  it('reuses the buffer of a released batch, and encodes only its own spans', () => {
    const { scope, ended } = collectingScope({ 'service.name': 'svc' });
    const envelope = new ExportEnvelope(scope.resource, scope.instrumentationScope);
    const pool = new WriterPool(8);
    const first = new SpanBatch(envelope, pool);
    requestTree(scope, 'first');
    requestTree(scope, 'first');
    for (const span of ended.splice(0)) first.add(span);
    const firstBytes = first.encode()!;
    assert.equal(decodeExportRequest(firstBytes).length, 8);
    assert.equal(first.encode(), firstBytes, 'encoded once');
    first.release();

    const second = new SpanBatch(envelope, pool);
    requestTree(scope, 'second');
    for (const span of ended.splice(0)) second.add(span);
    const secondBytes = second.encode()!;
    assert.equal(secondBytes.buffer, firstBytes.buffer, 'the same memory');
    const spans = decodeExportRequest(secondBytes);
    assert.equal(spans.length, 4);
    assert.deepEqual(
      spans.filter((s) => s.name === 'simple').map((s) => s.attributes['triton.request_id']),
      ['second'],
    );
    assert.deepEqual(spans[0]!.resource, { 'service.name': 'svc' });
  });
});

describe('RecordedSpan', () => {
  it('is sampled even when its remote parent is not, and keeps the parent trace id', () => {
    const { scope } = collectingScope();
    const span = RecordedSpan.starter(scope)(ROOT_SHAPE, 0n, REMOTE) as RecordedSpan;
    assert.equal(span.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(span.spanContext().traceId, REMOTE.traceId);
    assert.equal(span.spanContext().traceState?.serialize(), 'vendor=abc,other=x');
    assert.equal(span.kind, SpanKind.SERVER);
  });

  it('starts a new trace without a parent', () => {
    const { scope } = collectingScope();
    const span = RecordedSpan.starter(scope)(ROOT_SHAPE, 0n, undefined) as RecordedSpan;
    assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.equal(span.parentSpanContext, undefined);
    assert.equal(span.parentSpanId, undefined);
  });

  it('ignores operations after end and hands the span to the processor once', () => {
    const { scope, ended } = collectingScope();
    const span = RecordedSpan.starter(scope)(spanShape('x'), 0n, undefined) as RecordedSpan;
    span.end();
    assert.equal(span.isRecording(), false);
    span.setAttribute('late', 1);
    span.addEvent('late');
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.updateName('renamed');
    span.end();
    assert.equal(ended.length, 1);
    assert.deepEqual(span.attributes, {});
    assert.equal(span.recordedEvents.length, 0);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(span.name, 'x');
  });

  it("applies the SDK's limits and attribute checks", () => {
    const { scope } = collectingScope();
    const span = RecordedSpan.starter(scope)(spanShape('x'), 0n, undefined) as RecordedSpan;
    for (let i = 0; i < 130; i++) span.setAttribute(`a${i}`, i);
    span.setAttribute('a0', 'overwritten');
    span.setAttribute('', 1);
    for (let i = 0; i < 130; i++) span.addEvent(`e${i}`);
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored after OK' });
    span.end();
    assert.equal(Object.keys(span.attributes).length, 128);
    assert.equal(span.attributes.a0, 'overwritten');
    assert.equal(span.droppedAttributesCount, 2);
    assert.equal(span.recordedEvents.length, 128);
    assert.equal(span.droppedEventsCount, 2);
    assert.equal(span.recordedEvents[0]!.name, 'e2', 'the oldest events are dropped');
    assert.deepEqual(span.status, { code: SpanStatusCode.OK });
  });

  it('offers the ReadableSpan views other processors and exporters read', () => {
    const { scope } = collectingScope();
    const start = process.hrtime.bigint();
    const span = RecordedSpan.starter(scope)(spanShape('x'), start, undefined);
    span.mark('E', start + 1_500_000_000n);
    span.finish(start + 2_000_000_001n);
    const readable = span as RecordedSpan;
    const epoch = toEpochNs(start);
    assert.deepEqual(readable.startTime, [Number(epoch / 1_000_000_000n), Number(epoch % 1_000_000_000n)]);
    assert.deepEqual(readable.duration, [2, 1]);
    assert.equal(readable.events[0]!.name, 'E');
    assert.equal(readable.ended, true);
  });
});

describe('span ids', () => {
  it('are random, valid and hex-formatted', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const span = newSpanId();
      const traceId = newTraceId();
      assert.match(span.hex, /^[0-9a-f]{16}$/);
      assert.match(traceId.hex, /^[0-9a-f]{32}$/);
      assert.notEqual(span.hex, '0'.repeat(16));
      assert.deepEqual(idFromHex(span.hex).words, span.words);
      assert.deepEqual(idFromHex(traceId.hex).words, traceId.words);
      ids.add(span.hex);
    }
    assert.equal(ids.size, 1000);
  });
});

describe('ProtoWriter', () => {
  it('writes varints, int64 and nested lengths at every size boundary', () => {
    const values = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 2 ** 32, 2 ** 53 - 1];
    const writer = new ProtoWriter(8);
    for (const v of values) writer.varint(v);
    writer.int64(-1);
    writer.int64(-(2 ** 40));
    for (const size of [0, 127, 128, 16_383, 16_384, 70_000]) {
      const start = writer.begin();
      writer.string('x'.repeat(size));
      writer.end(start);
    }
    const reader = protobuf.Reader.create(writer.finish());
    for (const v of values) assert.equal(Number(reader.uint64()), v);
    assert.equal(reader.int64().toString(), '-1');
    assert.equal(reader.int64().toString(), String(-(2 ** 40)));
    for (const size of [0, 127, 128, 16_383, 16_384, 70_000]) {
      const inner = protobuf.Reader.create(reader.bytes());
      assert.equal(inner.string(), 'x'.repeat(size));
    }
    assert.equal(reader.pos, reader.len);
  });
});
