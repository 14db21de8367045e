/**
 * The server `npm run fuzz` and `npm run soak` run in a child process, so that a crash shows as an exit and
 * its memory can be read on its own. HTTP and gRPC on free 127.0.0.1 ports (TS_TRITON_* variables configure
 * the rest, e.g. tracing), with models covering the endpoints: `echo` (FP32, dynamic batching), `text`
 * (BYTES, for /generate), `typed` (INT32 and BOOL inputs), `stream` (decoupled, three responses).
 *
 * Prints `{"http":…,"grpc":…}` once listening; answers each stdin line `stats` with
 * `{"rss":…,"heapUsed":…}` (after a full garbage collection when run with `--expose-gc`); stops when stdin ends.
 */
import { createInterface } from 'node:readline';
import { ModelConfig, Tensor, Triton } from '../../src/index.ts';

const triton = new Triton({
  config: { httpAddress: '127.0.0.1', httpPort: 0, grpcAddress: '127.0.0.1', grpcPort: 0, allowMetrics: false },
});
triton.bind({
  modelName: 'echo',
  inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
  inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
  outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
  config: ModelConfig({ maxBatchSize: 16, batcher: { maxQueueDelayMicroseconds: 100 } }),
});
triton.bind({
  modelName: 'text',
  inferFunc: (requests) => requests.map((r) => ({ text_output: r.data.text_input! })),
  inputs: [Tensor({ name: 'text_input', dtype: 'BYTES', shape: [1] })],
  outputs: [Tensor({ name: 'text_output', dtype: 'BYTES', shape: [1] })],
  config: ModelConfig({ maxBatchSize: 0 }),
});
triton.bind({
  modelName: 'typed',
  inferFunc: (requests) => requests.map((r) => ({ sum: r.data.a!, flag: r.data.b! })),
  inputs: [Tensor({ name: 'a', dtype: 'INT32', shape: [-1, 2] }), Tensor({ name: 'b', dtype: 'BOOL', shape: [1] })],
  outputs: [
    Tensor({ name: 'sum', dtype: 'INT32', shape: [-1, 2] }),
    Tensor({ name: 'flag', dtype: 'BOOL', shape: [1] }),
  ],
  config: ModelConfig({ maxBatchSize: 0 }),
});
triton.bind({
  modelName: 'stream',
  inferFunc: async function* (requests) {
    for (let i = 0; i < 3; i++) yield requests.map((r) => ({ y: r.data.x! }));
  },
  inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
  outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
  config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
});
await triton.run();
process.stdout.write(`${JSON.stringify({ http: triton.httpPort, grpc: triton.grpcPort })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'stats') return;
  // With --expose-gc, what is reported is what is retained, not garbage waiting for a collection.
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ rss, heapUsed })}\n`);
});
lines.on('close', () => void triton.stop().then(() => process.exit(0)));
