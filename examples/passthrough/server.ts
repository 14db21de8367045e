/**
 * The passthrough model of PyTriton's distributed-tracing guide: echoes `sleep` and `error` after sleeping
 * `sleep` seconds, and fails with "Requested Error" when `error` is true.
 *
 * Run: npm start   then   curl -sS http://127.0.0.1:8000/v2/models/passthrough/generate \
 *   -H 'Content-Type: application/json' -d '{"sleep": 0.001, "error": false}'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';

async function passthrough(requests: Request[]) {
  const responses = [];
  for (const request of requests) {
    const { sleep: seconds, error } = request.data;
    if (error!.toArray().some(Boolean)) throw new Error('Requested Error');
    const maxSleep = Math.max(...(seconds!.toArray() as number[]));
    await sleep(maxSleep * 1000);
    responses.push({ sleep: seconds!, error: error! });
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
  strict: false,
});

await triton.serve();
