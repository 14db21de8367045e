/**
 * A ts-triton server for the benchmark, configured from the environment:
 *   BENCH_MODEL      passthrough (default) | cost2ms | identity | text_features | silero_vad (the last two are the
 *                    examples examples/text-features and examples/onnx-silero-vad)
 *   BENCH_INSTANCE_KIND / BENCH_INSTANCE_COUNT  the instance group of text_features and silero_vad (default: the
 *                    example's, two KIND_WORKER instances)
 *   BENCH_TRACE      off (default) | on (OpenTelemetry, rate=1) | unsampled (OpenTelemetry, rate=1000)
 *                    | viewer (rate=1 into the embedded trace viewer, with `npm start`'s trace configuration)
 *   BENCH_OTLP_URL   OTLP/HTTP endpoint for the traced modes
 *   BENCH_VIEWER_PORT / BENCH_VIEWER_OTLP_PORT  the embedded viewer's page/API port and OTLP/HTTP port (viewer mode)
 *   BENCH_MAX_BATCH  maxBatchSize (default 128 for passthrough, 64 for cost2ms, 0 for identity, 32 for silero_vad)
 *   BENCH_HTTP_PORT / BENCH_GRPC_PORT  ports; gRPC is off without BENCH_GRPC_PORT
 * Prints `READY` on stdout once listening.
 */
import { InstanceGroup, type InstanceKind, ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';
import { vadModel } from '../../examples/onnx-silero-vad/server.ts';
import { passthroughModel } from '../../examples/passthrough/server.ts';
import { textFeaturesModel } from '../../examples/text-features/server.ts';
import { busyWait } from './model-fns.ts';

const model = process.env.BENCH_MODEL ?? 'passthrough';
const traceMode = process.env.BENCH_TRACE ?? 'off';
const otlpUrl = process.env.BENCH_OTLP_URL ?? 'http://127.0.0.1:4318/v1/traces';
const httpPort = Number(process.env.BENCH_HTTP_PORT ?? 8000);
const grpcPort = Number(process.env.BENCH_GRPC_PORT ?? 0);

const viewerOtlpPort = Number(process.env.BENCH_VIEWER_OTLP_PORT ?? 0);
const traceConfig =
  traceMode === 'off'
    ? []
    : traceMode === 'viewer'
      ? [
          // examples/passthrough's configuration, exporting to its embedded viewer's receiver.
          'level=TIMESTAMPS',
          'rate=1',
          'mode=opentelemetry',
          `opentelemetry,url=http://localhost:${viewerOtlpPort}/v1/traces`,
          'opentelemetry,resource=service.name=test_server_with_passthrough',
          'opentelemetry,resource=test.key=test.value',
        ]
      : [
          'level=TIMESTAMPS',
          `rate=${traceMode === 'on' ? 1 : 1000}`,
          'mode=opentelemetry',
          `opentelemetry,url=${otlpUrl}`,
          'opentelemetry,resource=service.name=ts-triton-bench',
        ];

const triton = new Triton({
  config: {
    httpAddress: '127.0.0.1',
    httpPort,
    grpcAddress: '127.0.0.1',
    grpcPort: grpcPort || 8001,
    allowGrpc: grpcPort > 0,
    allowMetrics: false,
    traceConfig,
    traceViewer:
      traceMode === 'viewer'
        ? { port: Number(process.env.BENCH_VIEWER_PORT ?? 0), otlpHttpPort: viewerOtlpPort, otlpGrpcPort: 0 }
        : false,
  },
});

if (model === 'passthrough') {
  // The shipped example's model, as bound by examples/passthrough (only maxBatchSize may be overridden).
  const maxBatch = process.env.BENCH_MAX_BATCH;
  triton.bind(
    maxBatch === undefined
      ? passthroughModel
      : { ...passthroughModel, config: ModelConfig({ maxBatchSize: Number(maxBatch) }) },
  );
} else if (model === 'cost2ms') {
  // A fixed 2 ms per call, whatever the batch size: what batching amortises.
  triton.bind({
    modelName: 'cost2ms',
    inferFunc: (requests: Request[]) => {
      busyWait(2);
      return requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));
    },
    inputs: [Tensor({ name: 'INPUT0', dtype: 'FP32', shape: [1] })],
    outputs: [Tensor({ name: 'OUTPUT0', dtype: 'FP32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: Number(process.env.BENCH_MAX_BATCH ?? 64) }),
    strict: false,
  });
} else if (model === 'identity') {
  triton.bind({
    modelName: 'identity',
    inferFunc: (requests: Request[]) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! })),
    inputs: [Tensor({ name: 'INPUT0', dtype: 'FP32', shape: [-1] })],
    outputs: [Tensor({ name: 'OUTPUT0', dtype: 'FP32', shape: [-1] })],
    config: ModelConfig({ maxBatchSize: Number(process.env.BENCH_MAX_BATCH ?? 0) }),
    strict: false,
  });
} else if (model === 'text_features' || model === 'silero_vad') {
  const instanceGroup = InstanceGroup({
    kind: (process.env.BENCH_INSTANCE_KIND ?? 'KIND_WORKER') as InstanceKind,
    count: Number(process.env.BENCH_INSTANCE_COUNT ?? 2),
  });
  const maxBatch = process.env.BENCH_MAX_BATCH;
  triton.bind(
    model === 'text_features'
      ? textFeaturesModel(instanceGroup)
      : vadModel({ instanceGroup, ...(maxBatch !== undefined && { maxBatchSize: Number(maxBatch) }) }),
  );
} else {
  throw new Error(`unknown BENCH_MODEL ${model}`);
}

await triton.run();
process.stdout.write('READY\n');
const stop = (): void => void triton.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
