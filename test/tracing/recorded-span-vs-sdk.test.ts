/**
 * ts-triton's recorded span reproduces the OpenTelemetry SDK's span, and its encoder the SDK's OTLP serializer
 * (both rely on the pinned 0.x packages' behaviour: @opentelemetry/otlp-transformer, otlp-exporter-base). The
 * same span calls run on an SDK span (exported by the SDK's `ProtobufTraceSerializer`) and on a recorded span
 * (exported by ts-triton's batch encoder); the two export requests must be the same bytes, the span ids
 * aside (drawn at random by each), so an upgrade that changes either side's behaviour fails here. The SDK's
 * serializer writes fields that hold their default value (a zero count, an unset status code), which proto3
 * reads as absent and ts-triton leaves out: those are taken out of the SDK's bytes (re-encoded through the
 * fixture's independent protobufjs schema) before the comparison.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Span, SpanKind, SpanStatusCode, TraceFlags, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type ReadableSpan, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { timeInputToMonotonicNs } from '../../src/core/clock.ts';
import { ExportEnvelope } from '../../src/tracing/otlp/encode-recorded-spans.ts';
import { RecordedSpan, type SpanScope } from '../../src/tracing/otlp/recorded-span.ts';
import { SpanBatch, WriterPool } from '../../src/tracing/otlp/span-batch.ts';
import { spanShape } from '../../src/tracing/tree-span.ts';
import protobuf from 'protobufjs';
import { otlpTraceTypes } from '../fixtures/otlp-receiver.ts';

const PARENT = {
  traceId: '0af7651916cd43dd8448eb211c12666c',
  spanId: 'b7ad6b7169242424',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=abc'),
};
const START: [number, number] = [1_700_000_000, 123_456_789];
const at = (seconds: number, ns = 0): [number, number] => [START[0] + seconds, START[1] + ns];
const SCOPE_NAME = 'triton-server';

/** Span calls model code may make, with explicit times wherever a time is taken. */
type Calls = (span: Span) => void;

const SCENARIOS: Record<string, Calls> = {
  'attributes of every type, events with attributes and times, a link, OK status': (span) => {
    span.setAttribute('text', 'grüße ✓');
    span.setAttributes({ int: 12, negative: -5, double: 0.25, flag: true, big: 2 ** 40 });
    span.setAttribute('strings', ['a', 'b', '']);
    span.setAttribute('numbers', [1, 2.5, -3]);
    span.setAttribute('bools', [true, false]);
    span.setAttribute('text', 'overwritten');
    span.addEvent('plain', at(1));
    span.addEvent('with attributes', { step: 3, note: 'ok', list: [1, 2] }, at(2));
    span.addLink({ context: { ...PARENT, spanId: '00f067aa0ba902b7', isRemote: false }, attributes: { why: 'batch' } });
    span.setStatus({ code: SpanStatusCode.OK });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored after OK' });
  },
  'invalid attribute values are dropped, as the SDK drops them': (span) => {
    span.setAttribute('', 'empty key');
    span.setAttribute('object', { nested: true } as never);
    span.setAttribute('mixed', [1, 'two'] as never);
    span.setAttribute('undefined', undefined as never);
    span.setAttribute('kept', 'yes');
  },
  'an exception and the ERROR status': (span) => {
    const error = new TypeError('bad input');
    span.recordException(error, at(1));
    span.recordException({ code: 'E42', message: 'coded' }, at(2));
    span.recordException('just a string', at(3));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    span.updateName('renamed');
  },
  'past the limits: attributes, events and links dropped and counted': (span) => {
    for (let i = 0; i < 130; i++) span.setAttribute(`key${i}`, i);
    for (let i = 0; i < 130; i++) span.addEvent(`event${i}`, at(0, i));
    for (let i = 0; i < 130; i++) span.addLink({ context: PARENT });
  },
};

/** An SDK span of a provider on `resource`, started under PARENT; and where it goes when it ends. */
function sdkSpan(
  resource: ReturnType<typeof resourceFromAttributes>,
  kind: SpanKind,
): { span: Span; ended: ReadableSpan[] } {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: () => {},
    onEnd: (s) => void ended.push(s),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const provider = new TracerProvider({ resource, spanProcessors: [processor] });
  const tracer = provider.getTracer(SCOPE_NAME);
  const span = tracer.startSpan('work', { kind, startTime: START }, trace.setSpanContext(ROOT_CONTEXT, PARENT));
  return { span, ended };
}

/** A recorded span of a pipeline on `resource`, started under PARENT; and where it goes when it ends. */
function recordedSpan(
  resource: ReturnType<typeof resourceFromAttributes>,
  kind: SpanKind,
): { span: RecordedSpan; ended: ReadableSpan[] } {
  const ended: ReadableSpan[] = [];
  const scope: SpanScope = {
    processor: {
      onStart: () => {},
      onEnd: (s) => void ended.push(s),
      forceFlush: async () => {},
      shutdown: async () => {},
    },
    resource,
    instrumentationScope: { name: SCOPE_NAME },
  };
  const span = new RecordedSpan(scope, spanShape('work'), kind, PARENT, timeInputToMonotonicNs(START));
  return { span, ended };
}

/** `bytes` with every occurrence of the 8 bytes of hex id `from` replaced by those of `to`. */
function replaceId(bytes: Uint8Array, from: string, to: string): Buffer {
  const out = Buffer.from(bytes);
  const needle = Buffer.from(from, 'hex');
  const replacement = Buffer.from(to, 'hex');
  let found = 0;
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + needle.length)) {
    replacement.copy(out, i);
    found++;
  }
  assert.equal(found, 1, 'the span id occurs once');
  return out;
}

function isDefault(value: unknown): boolean {
  if (value === 0 || value === '' || value === false) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  // A 64-bit integer decoded as a Long.
  const long = value as { low?: unknown; high?: unknown };
  return typeof value === 'object' && value !== null && long.low === 0 && long.high === 0;
}

/** Deletes, in `message` and the messages in it, the fields without presence that hold their default value. */
function dropDefaults(message: Record<string, unknown>, type: protobuf.Type): void {
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Type) {
      const messages = field.repeated ? (value as Record<string, unknown>[]) : [value as Record<string, unknown>];
      for (const m of messages) dropDefaults(m, resolved);
    } else if (!field.repeated && field.partOf === null && isDefault(value)) delete message[field.name];
  }
}

/** `bytes` (an export request) without the fields that hold their default value. */
function withoutDefaults(bytes: Uint8Array): Buffer {
  const { request } = otlpTraceTypes();
  const message = request.decode(bytes) as unknown as Record<string, unknown>;
  dropDefaults(message, request);
  return Buffer.from(request.encode(message).finish());
}

describe('the recorded span against the SDK span', () => {
  const resource = resourceFromAttributes({ 'service.name': 'compare', 'deployment.environment': 'test', replicas: 3 });
  for (const [name, calls] of Object.entries(SCENARIOS)) {
    for (const kind of [SpanKind.INTERNAL, SpanKind.SERVER]) {
      it(`exports the same bytes: ${name} (kind ${SpanKind[kind]})`, () => {
        const sdk = sdkSpan(resource, kind);
        const mine = recordedSpan(resource, kind);
        for (const { span } of [sdk, mine]) {
          calls(span);
          span.end(at(5));
          // Ignored after end, by both.
          span.setAttribute('late', true);
          span.addEvent('late', at(6));
          span.end(at(7));
        }
        assert.equal(sdk.ended.length, 1);
        assert.equal(mine.ended.length, 1);
        const theirs = ProtobufTraceSerializer.serializeRequest(sdk.ended)!;
        const batch = new SpanBatch(new ExportEnvelope(resource, { name: SCOPE_NAME }), new WriterPool(1));
        batch.add(mine.ended[0]!);
        const ours = Buffer.from(batch.encode()!);
        const sameIds = replaceId(theirs, sdk.span.spanContext().spanId, mine.span.spanContext().spanId);
        assert.equal(ours.toString('hex'), withoutDefaults(sameIds).toString('hex'));
        batch.release();
      });
    }
  }
});
