/**
 * What a TypeScript developer would write by hand instead of ts-triton, traced: a Fastify route for the
 * KServe-v2 JSON infer of `passthrough`, the model function of examples/passthrough, and the OpenTelemetry SDK producing the same
 * four spans ts-triton produces (InferRequest > passthrough > compute > infer_callable, kind SERVER, the same
 * events and model attributes), W3C `traceparent` extraction, a BatchSpanProcessor with the SDK defaults and
 * the OTLP/HTTP protobuf exporter to BENCH_OTLP_URL. Every request is traced (rate 1).
 * Prints `READY` on stdout once listening.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import Fastify from 'fastify';
import { passthrough } from '../../examples/passthrough/server.ts';
import { NDArray, Request } from '../../src/index.ts';

const provider = new TracerProvider({
  resource: defaultResource().merge(resourceFromAttributes({ 'service.name': 'fastify-otel-bench' })),
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: process.env.BENCH_OTLP_URL ?? 'http://127.0.0.1:4318/v1/traces' }),
    }),
  ],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('fastify-bench');

interface JsonTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}
interface InferBody {
  id?: string;
  inputs: JsonTensor[];
}

let requestCounter = 0;
const app = Fastify({ logger: false });

app.post<{ Body: InferBody }>('/v2/models/passthrough/infer', async (req, reply) => {
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const root = tracer.startSpan('InferRequest', { kind: SpanKind.SERVER }, parent);
  root.addEvent('HTTP_RECV_START');
  root.addEvent('HTTP_RECV_END');
  const rootCtx = trace.setSpan(parent, root);
  const modelSpan = tracer.startSpan('passthrough', { kind: SpanKind.SERVER }, rootCtx);
  const traceId = ++requestCounter;
  modelSpan.setAttributes({
    'triton.model_name': 'passthrough',
    'triton.model_version': 1,
    'triton.trace_id': traceId,
    'triton.trace_parent_id': 0,
    'triton.request_id': req.body.id ?? '',
  });
  modelSpan.addEvent('REQUEST_START');
  modelSpan.addEvent('QUEUE_START');
  const computeSpan = tracer.startSpan('compute', { kind: SpanKind.SERVER }, trace.setSpan(rootCtx, modelSpan));
  computeSpan.addEvent('COMPUTE_START');
  const sleep = req.body.inputs.find((t) => t.name === 'sleep');
  const error = req.body.inputs.find((t) => t.name === 'error');
  if (!sleep || !error) {
    reply.code(400);
    return { error: 'expected inputs sleep and error' };
  }
  computeSpan.addEvent('COMPUTE_INPUT_END');
  const callSpan = tracer.startSpan('infer_callable', { kind: SpanKind.SERVER }, trace.setSpan(rootCtx, computeSpan));
  try {
    const data = {
      sleep: NDArray.from(sleep.data as number[], 'FP32', sleep.shape),
      error: NDArray.from(error.data as boolean[], 'BOOL', error.shape),
    };
    const [outcome] = await context.with(trace.setSpan(rootCtx, callSpan), () => passthrough([new Request({ data })]));
    if (outcome instanceof Error) throw outcome;
  } catch (e) {
    callSpan.recordException(e as Error);
    callSpan.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
    callSpan.end();
    computeSpan.end();
    modelSpan.end();
    root.end();
    reply.code(500);
    return { error: (e as Error).message };
  }
  callSpan.end();
  computeSpan.addEvent('COMPUTE_OUTPUT_START');
  computeSpan.addEvent('COMPUTE_END');
  computeSpan.end();
  modelSpan.addEvent('REQUEST_END');
  modelSpan.end();
  root.addEvent('INFER_RESPONSE_COMPLETE');
  root.addEvent('HTTP_SEND_START');
  reply.raw.once('finish', () => {
    root.addEvent('HTTP_SEND_END');
    root.end();
  });
  return {
    ...(req.body.id !== undefined && { id: req.body.id }),
    model_name: 'passthrough',
    model_version: '1',
    outputs: [sleep, error].map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data })),
  };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_HTTP_PORT ?? 8000) });
process.stdout.write('READY\n');
process.on('SIGTERM', () => void provider.shutdown().finally(() => process.exit(0)));
