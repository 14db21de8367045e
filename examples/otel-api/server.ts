/**
 * The passthrough model instrumented with the OpenTelemetry API directly: the request's span
 * (`request.span`) is made active, and spans started with the tracer nest under it.
 *
 * Run a collector (see docs/tracing.md), then: node examples/otel-api/server.ts
 * (EXAMPLE_INSTANCE_KIND=KIND_WORKER runs the model on a worker thread, with the same spans.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { context, trace } from '@opentelemetry/api';
import { type InferResponse, inferModule, ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';
import { exampleInstanceGroup } from '../instance-group.ts';

const tracer = trace.getTracer('examples/otel-api');

/** The infer function (bound by module, so that it can also run on a worker thread). */
export async function passthrough(requests: Request[]): Promise<InferResponse[]> {
  const responses: InferResponse[] = [];
  for (const request of requests) {
    await context.with(trace.setSpan(context.active(), request.span), async () => {
      const seconds = tracer.startActiveSpan('pass-through-get-data', (span) => {
        try {
          if (request.data.error!.toArray().some(Boolean)) throw new Error('Requested Error');
          return Math.max(...(request.data.sleep!.toArray() as number[]));
        } finally {
          span.end();
        }
      });
      await tracer.startActiveSpan('pass-through-sleep', async (span) => {
        await sleep(seconds * 1000);
        span.end();
      });
      tracer.startActiveSpan('pass-through-append', (span) => {
        responses.push({ sleep: request.data.sleep!, error: request.data.error! });
        span.end();
      });
    });
  }
  return responses;
}

// Importing this module (as a worker instance does) serves nothing.
if (import.meta.main) {
  const triton = new Triton({
    config: {
      traceConfig: [
        'level=TIMESTAMPS',
        'rate=1',
        'mode=opentelemetry',
        // No opentelemetry,url: spans go to OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT (and _PROTOCOL, _HEADERS, …) when
        // set, else to http://localhost:4318/v1/traces, so the example runs against any collector unchanged.
        'opentelemetry,resource=service.name=test_server_with_passthrough',
        'opentelemetry,resource=test.key=test.value',
      ],
    },
  });
  triton.bind({
    modelName: 'passthrough',
    inferFunc: inferModule(import.meta.url, { passthrough }),
    inputs: [
      Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }),
      Tensor({ name: 'error', dtype: 'BOOL', shape: [1] }),
    ],
    outputs: [
      Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }),
      Tensor({ name: 'error', dtype: 'BOOL', shape: [1] }),
    ],
    config: ModelConfig({ maxBatchSize: 128, instanceGroup: exampleInstanceGroup() }),
  });
  await triton.serve();
}
