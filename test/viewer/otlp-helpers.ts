/**
 * Spans for the trace viewer's tests: finished in a real OpenTelemetry JS tracer provider (so they carry what
 * the SDK's own serializers and exporters write), with every kind of attribute value, events, links and status.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Spans of one small trace: a server root, a client child with a link and an error, an internal span with events. */
export function sdkSpans(serviceName = 'viewer-test'): ReadableSpan[] {
  const finished: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'deployment.slot': 7 }),
    spanProcessors: [
      {
        onStart: () => {},
        onEnd: (span: ReadableSpan) => void finished.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  });
  const tracer = provider.getTracer('viewer-scope', '1.2.3');
  const root = tracer.startSpan('GET /infer', {
    kind: SpanKind.SERVER,
    attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.25, cached: false, tags: ['a', 'b'] },
  });
  const rootContext = trace.setSpan(context.active(), root);
  const other = tracer.startSpan('elsewhere');
  other.end();
  const client = tracer.startSpan(
    'POST /v2/models/m/infer',
    { kind: SpanKind.CLIENT, links: [{ context: other.spanContext(), attributes: { why: 'batch' } }] },
    rootContext,
  );
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  client.end();
  const compute = tracer.startSpan('compute', { kind: SpanKind.INTERNAL }, rootContext);
  compute.addEvent('COMPUTE_START');
  compute.addEvent('batch.flushed', { 'batch.size': 4 });
  compute.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  return finished;
}

/** Nanoseconds since the epoch of an SDK HrTime. */
export function hrTimeNanos(time: readonly [number, number]): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}
