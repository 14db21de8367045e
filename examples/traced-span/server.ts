/**
 * The passthrough model instrumented with `request.tracedSpan`: three spans per request
 * (`pass-through-get-data`, `pass-through-sleep`, `pass-through-append`) nested under the request's
 * `infer_callable` span, without touching the OpenTelemetry API.
 *
 * Run a collector (see docs/tracing.md), then: node examples/traced-span/server.ts
 * (EXAMPLE_INSTANCE_KIND=KIND_WORKER runs the model on a worker thread, with the same spans.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type InferResponse, inferModule, ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';
import { exampleInstanceGroup } from '../instance-group.ts';

/** The infer function (bound by module, so that it can also run on a worker thread). */
export async function passthrough(requests: Request[]): Promise<InferResponse[]> {
  const responses: InferResponse[] = [];
  for (const request of requests) {
    const seconds = request.tracedSpan('pass-through-get-data', () => {
      if (request.data.error!.toArray().some(Boolean)) throw new Error('Requested Error');
      return Math.max(...(request.data.sleep!.toArray() as number[]));
    });
    await request.tracedSpan('pass-through-sleep', () => sleep(seconds * 1000));
    using _append = request.tracedSpan('pass-through-append');
    responses.push({ sleep: request.data.sleep!, error: request.data.error! });
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
