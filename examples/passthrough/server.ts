/**
 * The passthrough model of PyTriton's distributed-tracing guide: echoes `sleep` and `error` after sleeping
 * `sleep` seconds, and fails with "Requested Error" when `error` is true. A failing request fails on its own:
 * the other requests of its batch are answered.
 *
 * Run: npm start   then   curl -sS http://127.0.0.1:8000/v2/models/passthrough/generate \
 *   -H 'Content-Type: application/json' -d '{"sleep": 0.001, "error": false}'
 * and open http://127.0.0.1:16686 to see the request's trace: the server runs the built-in trace viewer, whose
 * OTLP receiver on port 4318 is where the trace configuration below exports to. With Jaeger or an OpenTelemetry
 * Collector on those ports instead, turn the viewer off: TS_TRITON_TRACE_VIEWER=false npm start
 *
 * Importing this module serves nothing: the benchmark binds `passthroughModel` on a server of its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BindOptions,
  type InferOutcome,
  inferModule,
  ModelConfig,
  type Request,
  Tensor,
  Triton,
} from '../../src/index.ts';
import { exampleInstanceGroup } from '../instance-group.ts';

/** Answers each request in turn: an `Error` in its place when it asks for one, else its inputs after the sleep. */
export async function passthrough(requests: Request[]): Promise<InferOutcome[]> {
  const responses: InferOutcome[] = [];
  for (const request of requests) {
    const { sleep: seconds, error } = request.data;
    if (error!.toArray().some(Boolean)) {
      responses.push(new Error('Requested Error'));
      continue;
    }
    const maxSleep = Math.max(...(seconds!.toArray() as number[]));
    // A timer of 0 ms still waits for the next timers phase (about 1 ms): a sleep of 0 does not wait at all.
    if (maxSleep > 0) await sleep(maxSleep * 1000);
    responses.push({ sleep: seconds!, error: error! });
  }
  return responses;
}

/** The model as bound by this example. */
export const passthroughModel = {
  modelName: 'passthrough',
  inferFunc: passthrough,
  inputs: [Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }), Tensor({ name: 'error', dtype: 'BOOL', shape: [1] })],
  outputs: [Tensor({ name: 'sleep', dtype: 'FP32', shape: [1] }), Tensor({ name: 'error', dtype: 'BOOL', shape: [1] })],
  config: ModelConfig({ maxBatchSize: 128 }),
  strict: false,
} satisfies BindOptions;

/** The guide's tracing: every request, exported to a local collector. */
export const traceConfig = [
  'level=TIMESTAMPS',
  'rate=1',
  'mode=opentelemetry',
  // No opentelemetry,url: spans go to OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT (and _PROTOCOL, _HEADERS, …) when set,
  // else to http://localhost:4318/v1/traces: the built-in viewer's receiver, or any collector there.
  'opentelemetry,resource=service.name=test_server_with_passthrough',
  'opentelemetry,resource=test.key=test.value',
];

if (import.meta.main) {
  const triton = new Triton({ config: { traceConfig, traceViewer: true } });
  // Bound by module, so that EXAMPLE_INSTANCE_KIND=KIND_WORKER can run it on worker threads.
  triton.bind({
    ...passthroughModel,
    inferFunc: inferModule(import.meta.url, { passthrough }),
    config: ModelConfig({ maxBatchSize: 128, instanceGroup: exampleInstanceGroup() }),
  });
  await triton.serve();
}
