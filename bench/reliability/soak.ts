/**
 * `npm run soak [-- --seconds 300 --window 30 --untraced --only 'HTTP infer,gRPC']`: mixed load on one server for a set time (not part of CI) —
 * HTTP infer, HTTP generate, HTTP generate_stream (server-sent events), gRPC ModelInfer and gRPC
 * ModelStreamInfer on a decoupled model — with OpenTelemetry tracing at rate=1 exported to a local OTLP sink.
 * Prints, per window, the server's RSS and heap, and each kind's requests, errors and p99 latency.
 *
 * @module
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Client, type ClientDuplexStream, credentials, type MethodDefinition } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { loadGrpcProtos } from '../../src/protocol/grpc-proto-files.ts';
import { startReliabilityServer } from './server-process.ts';

/** Load of one kind: how many loops run at once, and one request of it. */
interface Kind {
  readonly name: string;
  readonly loops: number;
  /** Sends one request from loop `loop`; resolves when it is fully answered; rejects on an error answer. */
  readonly once: (loop: number) => Promise<void>;
}

/** What one kind did in one window. */
interface KindWindow {
  count: number;
  errors: number;
  latencies: number[];
}

const p99 = (values: number[]): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
};

/** A local OTLP/HTTP sink that accepts every export; counts requests and bytes. */
async function startSink(): Promise<{ url: string; exports: () => number; close: () => Promise<void> }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    exports: () => exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '300' },
      window: { type: 'string', default: '30' },
      untraced: { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const seconds = Number(values.seconds);
  const windowSeconds = Number(values.window);
  const sink = await startSink();
  const server = await startReliabilityServer(
    values.untraced
      ? {}
      : {
          TS_TRITON_TRACE_CONFIG: JSON.stringify([
            'mode=opentelemetry',
            'level=TIMESTAMPS',
            'rate=1',
            `opentelemetry,url=${sink.url}`,
          ]),
        },
  );
  const http = new Pool(`http://127.0.0.1:${server.httpPort}`, { connections: 16 });
  const grpc = new Client(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
  const infer = (
    loadGrpcProtos(['grpc_service.proto'])['inference.GRPCInferenceService'] as Record<
      string,
      MethodDefinition<object, unknown>
    >
  )['ModelInfer']!;
  const raw = (b: Buffer): Buffer => b;
  const grpcEcho = infer.requestSerialize({
    model_name: 'echo',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }],
    raw_input_contents: [Buffer.alloc(16)],
  });
  const grpcStreamRequest = infer.requestSerialize({
    model_name: 'stream',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2] }],
    raw_input_contents: [Buffer.alloc(8)],
  });

  const post = async (path: string, body: string, expectEvents = false): Promise<void> => {
    const response = await http.request({
      method: 'POST',
      path,
      body,
      headers: { 'content-type': 'application/json' },
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${path}: ${response.statusCode} ${text.slice(0, 200)}`);
    if (expectEvents && text.split('data: ').length !== 4) throw new Error(`${path}: expected 3 events, got ${text}`);
  };

  /** One long-lived ModelStreamInfer stream per loop; each request waits for its three responses. */
  const streams: { call: ClientDuplexStream<Buffer, Buffer>; pending: (() => void)[]; got: number }[] = [];
  const streamOnce = (index: number): Promise<void> => {
    let stream = streams[index];
    if (stream === undefined) {
      const call = grpc.makeBidiStreamRequest('/inference.GRPCInferenceService/ModelStreamInfer', raw, raw);
      const created = { call, pending: [] as (() => void)[], got: 0 };
      call.on('data', () => {
        if (++created.got % 3 === 0) created.pending.shift()?.();
      });
      call.on('error', () => {});
      streams[index] = created;
      stream = created;
    }
    const { call, pending } = stream;
    return new Promise((resolve) => {
      pending.push(resolve);
      call.write(grpcStreamRequest);
    });
  };

  const allKinds: Kind[] = [
    {
      name: 'HTTP infer',
      loops: 8,
      once: () =>
        post('/v2/models/echo/infer', '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}'),
    },
    { name: 'HTTP generate', loops: 2, once: () => post('/v2/models/text/generate', '{"text_input":"soak"}') },
    {
      name: 'HTTP generate_stream',
      loops: 2,
      once: () => post('/v2/models/stream/generate_stream', '{"x":[1,2]}', true),
    },
    {
      name: 'gRPC ModelInfer',
      loops: 8,
      once: () =>
        new Promise((resolve, reject) =>
          grpc.makeUnaryRequest(infer.path, raw, raw, grpcEcho, (error) => (error ? reject(error) : resolve())),
        ),
    },
    { name: 'gRPC stream (decoupled)', loops: 2, once: streamOnce },
  ];
  const kinds = only ? allKinds.filter((kind) => only.some((name) => kind.name.includes(name))) : allKinds;

  const windows: KindWindow[] = kinds.map(() => ({ count: 0, errors: 0, latencies: [] }));
  const errorSamples: string[] = [];
  const end = performance.now() + seconds * 1000;
  const loops: Promise<void>[] = [];
  kinds.forEach((kind, k) => {
    for (let l = 0; l < kind.loops; l++) {
      const send = (): Promise<void> => kind.once(l);
      loops.push(
        (async () => {
          while (performance.now() < end) {
            const started = performance.now();
            try {
              await send();
              windows[k]!.latencies.push(performance.now() - started);
            } catch (error) {
              windows[k]!.errors++;
              if (errorSamples.length < 10) errorSamples.push(`${kind.name}: ${(error as Error).message}`);
            }
            windows[k]!.count++;
          }
        })(),
      );
    }
  });

  const rows: string[] = [];
  const header =
    '| window end (s) | RSS (MiB) | heap (MiB) | OTLP exports | ' +
    kinds.map((k) => `${k.name}: requests / errors / p99 ms`).join(' | ') +
    ' |';
  rows.push(header, `|${' --- |'.repeat(4 + kinds.length)}`);
  process.stdout.write(`${header}\n${rows[1]}\n`);
  const started = performance.now();
  const report = (): Promise<void> =>
    server.memory().then((memory) => {
      const cells = windows.map((w) => `${w.count} / ${w.errors} / ${p99(w.latencies).toFixed(2)}`);
      for (const w of windows) {
        w.count = 0;
        w.errors = 0;
        w.latencies = [];
      }
      const row =
        `| ${((performance.now() - started) / 1000).toFixed(0)} | ${(memory.rss / 1048576).toFixed(1)} | ` +
        `${(memory.heapUsed / 1048576).toFixed(1)} | ${sink.exports()} | ${cells.join(' | ')} |`;
      rows.push(row);
      process.stdout.write(`${row}\n`);
    });
  const reporter = setInterval(() => void report(), windowSeconds * 1000);
  await Promise.all(loops);
  clearInterval(reporter);
  if (windows.some((w) => w.count > 0)) await report();
  for (const { call } of streams) call.end();
  const crash = server.crashed();
  process.stdout.write(`\ncrash: ${crash ?? 'none'}\n`);
  if (errorSamples.length > 0) process.stdout.write(`errors:\n${errorSamples.map((e) => `  ${e}`).join('\n')}\n`);
  grpc.close();
  await http.close();
  await server.stop();
  await sink.close();
  process.exitCode = crash === undefined ? 0 : 1;
}

await main();
