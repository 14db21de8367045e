/**
 * `ts-triton perf` end to end: a real server in this process, the CLI as a child process (HTTP and gRPC,
 * concurrency and request rate, JSON and CSV, errors), and the percentile / stability rules as units.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type InferFunc, ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import { percentile, percentileIndex, sampleStdDev } from '../../src/cli/perf/latency-stats.ts';
import { isStable } from '../../src/cli/perf/stability.ts';
import { parseRange, rangeValues } from '../../src/cli/perf/range.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');
const FAST = ['-p', '200', '--max-trials', '3'];

const add: InferFunc = (requests) =>
  requests.map((r) => {
    const a = r.data.a!.data as Float32Array;
    const b = r.data.b!.data as Float32Array;
    return {
      sum: new NDArray(
        'FP32',
        a.map((v, i) => v + b[i]!),
        r.data.a!.shape,
      ),
    };
  });

let triton: Triton;
let http: string;
let grpc: string;

before(async () => {
  triton = new Triton({
    config: {
      httpPort: 0,
      grpcPort: 0,
      httpAddress: '127.0.0.1',
      grpcAddress: '127.0.0.1',
      allowMetrics: false,
      exitTimeoutSecs: 2,
    },
  });
  const fixed = [Tensor({ name: 'a', dtype: 'FP32', shape: [4] }), Tensor({ name: 'b', dtype: 'FP32', shape: [4] })];
  const out = [Tensor({ name: 'sum', dtype: 'FP32', shape: [4] })];
  triton.bind({
    modelName: 'add',
    inferFunc: add,
    inputs: fixed,
    outputs: out,
    config: ModelConfig({ maxBatchSize: 8 }),
  });
  const variable = [
    Tensor({ name: 'a', dtype: 'FP32', shape: [-1] }),
    Tensor({ name: 'b', dtype: 'FP32', shape: [-1] }),
  ];
  const varOut = [Tensor({ name: 'sum', dtype: 'FP32', shape: [-1] })];
  triton.bind({
    modelName: 'addvar',
    inferFunc: add,
    inputs: variable,
    outputs: varOut,
    config: ModelConfig({ maxBatchSize: 0 }),
  });
  await triton.run();
  http = `http://127.0.0.1:${triton.httpPort}`;
  grpc = `grpc://127.0.0.1:${triton.grpcPort}`;
});
after(() => triton.stop());

/** Runs the CLI; resolves with its output and exit status (never rejects on a non-zero status). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, 'perf', ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Point {
  concurrency?: number;
  requestRate?: number;
  stable: boolean;
  trials: number;
  client: Record<string, number>;
  server: Record<string, number | boolean> | null;
}

function checkPoint(point: Point, batchSize = 1): void {
  const c = point.client;
  assert.ok(c.requestCount! > 0, 'requests were counted');
  assert.ok(c.throughput! > 0, 'throughput > 0');
  assert.ok(c.avgLatencyUs! > 0 && c.stdLatencyUs! >= 0);
  assert.ok(c.p50Us! <= c.p90Us! && c.p90Us! <= c.p95Us! && c.p95Us! <= c.p99Us!, 'percentiles ordered');
  assert.ok(point.trials >= 1 && point.trials <= 3);
  const s = point.server!;
  assert.ok(s, 'server statistics present');
  assert.ok((s.successCount as number) > 0, 'server success count > 0');
  assert.equal(s.computeCountsConsistent, true, 'compute counts consistent');
  assert.ok((s.inferenceCount as number) >= (s.successCount as number) * batchSize - batchSize);
  assert.ok((s.executionCount as number) > 0 && (s.executionCount as number) <= (s.inferenceCount as number));
  for (const key of [
    'avgRequestUs',
    'avgQueueUs',
    'avgComputeInputUs',
    'avgComputeInferUs',
    'avgComputeOutputUs',
    'avgOverheadUs',
  ]) {
    assert.ok((s[key] as number) >= 0, `${key} >= 0`);
  }
}

describe('ts-triton perf (end to end)', () => {
  it('measures a concurrency range over HTTP: JSON output and CSV', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'perf-')), 'out.csv');
    const { code, stdout, stderr } = await cli(
      '-u',
      http,
      '-m',
      'add',
      '--concurrency-range',
      '1:3:2',
      ...FAST,
      '--json',
      '-f',
      csv,
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { protocol: string; mode: string; points: Point[] };
    assert.equal(result.protocol, 'http');
    assert.equal(result.mode, 'concurrency');
    assert.deepEqual(
      result.points.map((p) => p.concurrency),
      [1, 3],
    );
    for (const point of result.points) checkPoint(point);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(
      lines[0],
      'Concurrency,Inferences/Second,Network+Server Send/Recv,Server Queue,Server Compute Input,' +
        'Server Compute Infer,Server Compute Output,p50 latency,p90 latency,p95 latency,p99 latency',
    );
    assert.equal(lines.length, 3);
    const throughputs = lines.slice(1).map((l) => Number(l.split(',')[1]));
    assert.deepEqual(
      throughputs,
      [...throughputs].sort((a, b) => a - b),
      'rows by ascending throughput',
    );
  });

  it('measures over gRPC with batching, statistics from --stats-url', async () => {
    const { code, stdout, stderr } = await cli(
      '-u',
      grpc,
      '-m',
      'add',
      '-b',
      '4',
      '--stats-url',
      http,
      ...FAST,
      '--json',
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { protocol: string; batchSize: number; points: Point[] };
    assert.equal(result.protocol, 'grpc');
    assert.equal(result.batchSize, 4);
    checkPoint(result.points[0]!, 4);
    const { client, server } = result.points[0]!;
    assert.ok(
      (server!.inferenceCount as number) >= 4 * (server!.successCount as number) - 4,
      'inference count counts samples',
    );
    assert.ok(client.throughput! > 0);
  });

  it('over gRPC gives each concurrency slot a connection of its own, as perf_analyzer does', async () => {
    // A TCP proxy in front of the gRPC port counts the connections perf opens.
    const sockets = new Set<Socket>();
    let connections = 0;
    const proxy = createServer((client) => {
      connections++;
      const upstream = connect(triton.grpcPort!, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const { code, stderr } = await cli(
        '-u',
        `grpc://127.0.0.1:${port}`,
        '-m',
        'add',
        '--concurrency-range',
        '3',
        ...FAST,
      );
      assert.equal(code, 0, stderr);
      assert.equal(connections, 3);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('without --stats-url, gRPC reports no server side; -i grpc switches the URL scheme', async () => {
    const hostPort = grpc.slice('grpc://'.length);
    const { code, stdout, stderr } = await cli(
      '-u',
      `http://${hostPort}`,
      '-i',
      'grpc',
      '-m',
      'add',
      ...FAST,
      '--json',
    );
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { url: string; points: Point[] };
    assert.equal(result.url, grpc);
    assert.equal(result.points[0]!.server, null);
  });

  it('sends at a constant request rate, with --shape and a data file, and prints the console report', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'perf-')), 'data.json');
    writeFileSync(
      file,
      JSON.stringify({
        data: [
          { a: [1, 2, 3], b: [4, 5, 6] },
          { a: { content: [1, 2], shape: [2] }, b: [3, 4] },
        ],
      }),
    );
    const { code, stdout, stderr } = await cli(
      '-u',
      http,
      '-m',
      'addvar',
      '--request-rate-range',
      '100',
      '--input-data',
      file,
      ...FAST,
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /Request Rate: 100 inference requests per seconds/);
    assert.match(stdout, /Throughput: [\d.]+ infer\/sec/);
    assert.match(stdout, /p99 latency: \d+ usec/);
    assert.match(stdout, /Avg request latency: \d+ usec \(overhead \d+ usec \+ queue/);
    assert.match(stdout, /Request Rate: 100, throughput: [\d.]+ infer\/sec, latency \d+ usec/);
    const random = await cli('-u', http, '-m', 'addvar', '--shape', 'a:3', '--shape', 'b:3', ...FAST, '--json');
    assert.equal(random.code, 0, random.stderr);
  });

  it('fails clearly for an unknown model, a wrong option, and dynamic shapes without --shape', async () => {
    const unknown = await cli('-u', http, '-m', 'nope', ...FAST);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /model 'nope' is not available/);
    assert.equal(unknown.stdout, '');
    const grpcUnknown = await cli('-u', grpc, '-m', 'nope', ...FAST);
    assert.equal(grpcUnknown.code, 1);
    assert.match(grpcUnknown.stderr, /model 'nope' is not available/);
    const noModel = await cli('-u', http);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /--model-name is required/);
    const badRange = await cli('-u', http, '-m', 'add', '--concurrency-range', '0:2');
    assert.equal(badRange.code, 2);
    const dynamic = await cli('-u', http, '-m', 'addvar', ...FAST);
    assert.equal(dynamic.code, 2);
    assert.match(dynamic.stderr, /give --shape a/);
    const tooBig = await cli('-u', http, '-m', 'add', '-b', '9', ...FAST);
    assert.equal(tooBig.code, 2);
    assert.match(tooBig.stderr, /max_batch_size 8/);
  });
});

describe('perf statistics rules', () => {
  it('takes percentiles at floor(p/100 × (n−1) + 0.5) of the sorted latencies', () => {
    const sorted = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
    assert.equal(percentileIndex(50, 10), 5);
    assert.equal(percentile(sorted, 50), 60);
    assert.equal(percentileIndex(90, 10), 8);
    assert.equal(percentile(sorted, 90), 90);
    assert.equal(percentile(sorted, 95), 100);
    assert.equal(percentile(sorted, 99), 100);
    assert.equal(percentileIndex(99, 101), 99);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('uses the sample standard deviation', () => {
    assert.equal(sampleStdDev([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    assert.equal(sampleStdDev([5]), 0);
  });

  it('is stable when the last 3 windows agree within the percentage', () => {
    assert.equal(isStable([100, 105], [10, 10], 10), false, 'fewer than 3 windows');
    assert.equal(isStable([50, 100, 105, 109], [10, 10, 10.5, 10], 10), true);
    assert.equal(isStable([100, 105, 120], [10, 10, 10], 10), false, 'throughput spread');
    assert.equal(isStable([100, 100, 100], [10, 10, 12], 10), false, 'latency spread');
    assert.equal(isStable([0, 0, 0], [Number.NaN, Number.NaN, Number.NaN], 10), false, 'no requests');
  });

  it('parses load ranges', () => {
    assert.deepEqual(rangeValues(parseRange('1:8:2', 'r', true)), [1, 3, 5, 7]);
    assert.deepEqual(rangeValues(parseRange('4', 'r', true)), [4]);
    assert.deepEqual(rangeValues(parseRange('0.5:1.5:0.5', 'r', false)), [0.5, 1, 1.5]);
    assert.throws(() => parseRange('2:1', 'r', true), /below start/);
    assert.throws(() => parseRange('1.5', 'r', true), /whole/);
  });
});
