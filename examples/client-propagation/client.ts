/**
 * A client service with its own tracer provider (`service.name=upstream-service`): it opens the span
 * `outgoing-request`, and posts to `/generate` with its context in the `traceparent` header, so the
 * server's `InferRequest` span becomes part of the client's trace.
 *
 * Run a traced server (e.g. examples/traced-span), then: node examples/client-propagation/client.ts
 * Environment: SERVER_URL (default http://127.0.0.1:8000), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * (default http://127.0.0.1:4318/v1/traces).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const serverUrl = process.env.SERVER_URL ?? 'http://127.0.0.1:8000';
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'upstream-service' }),
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({
        url: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? 'http://127.0.0.1:4318/v1/traces',
      }),
    }),
  ],
});
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracer = trace.getTracer('upstream-service');

await tracer.startActiveSpan('outgoing-request', async (span) => {
  await sleep(1);
  const post = tracer.startSpan('POST', { kind: SpanKind.CLIENT });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  propagation.inject(trace.setSpan(context.active(), post), headers);
  const response = await fetch(`${serverUrl}/v2/models/passthrough/generate`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ sleep: 0.001, error: false }),
  });
  post.setAttribute('http.response.status_code', response.status);
  post.end();
  await sleep(1);
  console.log(await response.json());
  span.end();
});
await provider.shutdown();
