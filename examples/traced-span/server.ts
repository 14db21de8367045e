/**
 * The passthrough model instrumented with `request.tracedSpan`: three spans per request
 * (`pass-through-get-data`, `pass-through-sleep`, `pass-through-append`) nested under the request's
 * `infer_callable` span, without touching the OpenTelemetry API.
 *
 * Run a collector (see docs/tracing.md), then: node examples/traced-span/server.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type InferResponse, ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';

async function passthrough(requests: Request[]): Promise<InferResponse[]> {
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
  inferFunc: passthrough,
  inputs: [Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }), Tensor({ name: 'error', dtype: 'BOOL', shape: [1] })],
  outputs: [Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }), Tensor({ name: 'error', dtype: 'BOOL', shape: [1] })],
  config: ModelConfig({ maxBatchSize: 128 }),
});
await triton.serve();
