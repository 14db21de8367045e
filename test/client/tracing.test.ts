/**
 * The client's span parents the server's InferRequest span, over HTTP and gRPC: the application registers its
 * own provider and context manager; the server (OpenTelemetry mode) uses them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Triton } from '../../src/index.ts';
import { ModelClient } from '../../src/client/index.ts';
import { startTestServer, urlsOf } from './server.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
let triton: Triton;
before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  triton = await startTestServer({
    traceConfig: ['level=TIMESTAMPS', 'rate=1', 'mode=opentelemetry', 'opentelemetry,url=http://127.0.0.1:9/v1/traces'],
  });
});
after(async () => {
  await triton.stop();
  await provider.shutdown();
});

describe('trace context propagation', () => {
  for (const protocol of ['http', 'grpc'] as const) {
    it(`the server's InferRequest span is a child of the client's span (${protocol})`, async () => {
      await using client = new ModelClient(urlsOf(triton)[protocol], 'single');
      await client.modelConfig();
      exporter.reset();
      const tracer = trace.getTracer('client-test');
      const spanId = await tracer.startActiveSpan('client-call', async (span) => {
        await client.inferSample({ a: new Float32Array([1]), b: new Float32Array([2]) });
        span.end();
        return span.spanContext();
      });
      const server = exporter.getFinishedSpans().find((s) => s.name === 'InferRequest');
      assert.ok(
        server,
        `spans: ${exporter
          .getFinishedSpans()
          .map((s) => s.name)
          .join(', ')}`,
      );
      assert.equal(server.spanContext().traceId, spanId.traceId);
      assert.equal(server.parentSpanContext?.spanId, spanId.spanId);
    });
  }
});
