/**
 * `npm run fuzz [-- --http N --grpc N --seed S --json]`: malformed HTTP requests across every endpoint and
 * malformed gRPC messages across every RPC, sent on loopback to a server in a child process. Reports crashes,
 * 5xx answers (gRPC: INTERNAL, UNKNOWN, DATA_LOSS), rejections without a message, requests left without an
 * answer, and the server's memory before and after. Exits 1 on a crash or an unexplained 5xx.
 *
 * Explained 5xx: 501 (a coding or feature the server does not support, Triton's answer) and 503 with a message
 * (too many connections).
 *
 * @module
 */

import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Client, credentials, type MethodDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { loadGrpcProtos } from '../../src/protocol/grpc-proto-files.ts';
import { type ReliabilityServer, type ServerMemory, startReliabilityServer } from './server-process.ts';

/** What a fuzz run found. */
export interface FuzzReport {
  readonly seed: number;
  readonly seconds: number;
  readonly http: Tally;
  readonly grpc: Tally;
  /** The server's exit when it crashed. */
  readonly crash: string | undefined;
  readonly memoryBefore: ServerMemory;
  readonly memoryAfter: ServerMemory | undefined;
  /** A few examples of each finding worth a look. */
  readonly samples: Readonly<Record<string, string[]>>;
}

/** Counts of outcomes by kind. */
export interface Tally {
  sent: number;
  ok: number;
  rejected: number;
  /** 4xx (or a gRPC error status) without a message. */
  rejectedWithoutMessage: number;
  explained5xx: number;
  unexplained5xx: number;
  /** Connection closed or reset without an answer. */
  noAnswer: number;
}

const newTally = (): Tally => ({
  sent: 0,
  ok: 0,
  rejected: 0,
  rejectedWithoutMessage: 0,
  explained5xx: 0,
  unexplained5xx: 0,
  noAnswer: 0,
});

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  readonly http: number;
  readonly grpc: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Randomness

/** A seeded generator (mulberry32), so that a finding can be replayed with its seed. */
class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

const STRINGS = [
  '',
  'x',
  'echo',
  'FP32',
  'BYTES',
  '../../etc/passwd',
  '%00',
  'ünï©ødé',
  '\u0000\r\n',
  'a'.repeat(5000),
  '-1',
  '1e309',
];
const NUMBERS = [0, -1, 1, 2.5, 1e308, -1e308, 2 ** 53, 2 ** 64, 4294967296, 0.1];

/** A random JSON value, nested up to `depth` (sometimes far deeper, as a whole). */
function randomValue(r: Random, depth = 3): unknown {
  switch (r.int(depth > 0 ? 9 : 6)) {
    case 0:
      return r.pick(STRINGS);
    case 1:
      return r.pick(NUMBERS);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.bytes(r.int(16)).toString('latin1');
    case 5:
      return r.int(1000) - 500;
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth - 1));
    case 7:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(STRINGS), randomValue(r, depth - 1)]));
    default:
      return JSON.parse('['.repeat(3000) + ']'.repeat(3000)) as unknown;
  }
}

/** `value` with a few random changes: a field replaced, removed or added, at any depth. */
function mutateJson(r: Random, value: unknown, changes: number): unknown {
  const copy = structuredClone(value);
  for (let i = 0; i < changes; i++) {
    let target: unknown = copy;
    for (let d = 0; d < 4 && typeof target === 'object' && target !== null && r.chance(0.7); d++) {
      const keys = Object.keys(target);
      if (keys.length === 0) break;
      const next = (target as Record<string, unknown>)[r.pick(keys)];
      if (typeof next !== 'object' || next === null) break;
      target = next;
    }
    if (typeof target !== 'object' || target === null) continue;
    const record = target as Record<string, unknown>;
    const keys = Object.keys(record);
    const op = r.int(3);
    if (op === 0 && keys.length > 0) record[r.pick(keys)] = randomValue(r);
    else if (op === 1 && keys.length > 0) delete record[r.pick(keys)];
    else record[Array.isArray(record) ? String(r.int(8)) : r.pick([...STRINGS, ...keys])] = randomValue(r);
  }
  return copy;
}

/** `bytes` with a few random byte-level changes: flips, cuts, insertions, repeats. */
function mutateBytes(r: Random, bytes: Buffer): Buffer {
  let out = Buffer.from(bytes);
  for (let i = 0, n = 1 + r.int(4); i < n; i++) {
    const at = out.length === 0 ? 0 : r.int(out.length);
    switch (r.int(4)) {
      case 0:
        if (out.length > 0) out[at] = r.int(256);
        break;
      case 1:
        out = out.subarray(0, at);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), r.bytes(1 + r.int(8)), out.subarray(at)]);
        break;
      default:
        out = Buffer.concat([out, out.subarray(at, at + 1 + r.int(32))]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

const MODELS = ['echo', 'text', 'typed', 'stream', 'missing', 'a'.repeat(300), '%2e%2e', 'echo%00'];

const INFER_BODIES: Readonly<Record<string, unknown>> = {
  echo: { id: '1', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }], outputs: [{ name: 'y' }] },
  text: { inputs: [{ name: 'text_input', datatype: 'BYTES', shape: [1], data: ['hi'] }] },
  typed: {
    inputs: [
      { name: 'a', datatype: 'INT32', shape: [1, 2], data: [[1, 2]] },
      { name: 'b', datatype: 'BOOL', shape: [1], data: [true] },
    ],
    parameters: { p: 1 },
  },
  stream: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] },
};

const OTHER_BODIES: Readonly<Record<string, unknown>> = {
  generate: { text_input: 'hello', parameters: { max_tokens: 3 } },
  index: { ready: true },
  load: { parameters: {} },
  logging: { log_info: true, log_verbose_level: 0 },
  trace: { trace_level: ['TIMESTAMPS'], trace_rate: '1000', trace_count: '-1', log_frequency: '0' },
};

interface HttpCase {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/** A binary-extension infer body: JSON header with `binary_data_size`, then raw bytes (maybe the wrong count). */
function binaryInferBody(r: Random): { body: Buffer; headerLength: number } {
  const size = r.pick([0, 4, 8, 7, 1000]);
  const json = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'x',
          datatype: r.pick(['FP32', 'FP16', 'BYTES', 'INT64']),
          shape: [1, r.int(4)],
          parameters: { binary_data_size: size },
        },
      ],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    }),
  );
  return { body: Buffer.concat([json, r.bytes(r.pick([0, 4, 8, size, size + 3]))]), headerLength: json.length };
}

function httpCase(r: Random): HttpCase {
  const model = r.chance(0.8) ? r.pick(['echo', 'text', 'typed', 'stream']) : r.pick(MODELS);
  const version = r.chance(0.85) ? '' : `/versions/${r.pick(['1', '0', '-1', 'abc', '99999999999999999999', ''])}`;
  const routes: [string, string, unknown][] = [
    ['POST', `/v2/models/${model}${version}/infer`, INFER_BODIES[model] ?? INFER_BODIES['echo']],
    ['POST', `/v2/models/${model}${version}/generate`, OTHER_BODIES['generate']],
    ['POST', `/v2/models/${model}${version}/generate_stream`, OTHER_BODIES['generate']],
    ['POST', '/v2/repository/index', OTHER_BODIES['index']],
    ['POST', `/v2/repository/models/${model}/load`, OTHER_BODIES['load']],
    ['POST', `/v2/repository/models/${model}/unload`, OTHER_BODIES['load']],
    ['POST', '/v2/logging', OTHER_BODIES['logging']],
    ['POST', '/v2/trace/setting', OTHER_BODIES['trace']],
    ['POST', `/v2/models/${model}/trace/setting`, OTHER_BODIES['trace']],
    ['POST', '/v2/repository/other/index', OTHER_BODIES['index']],
    ['GET', '/v2', undefined],
    ['GET', '/v2/health/live', undefined],
    ['GET', '/v2/health/ready', undefined],
    ['GET', `/v2/models/${model}${version}`, undefined],
    ['GET', `/v2/models/${model}${version}/ready`, undefined],
    ['GET', `/v2/models/${model}${version}/config`, undefined],
    ['GET', `/v2/models/${model}${version}/stats`, undefined],
    ['GET', '/v2/models/stats', undefined],
    ['GET', '/v2/logging', undefined],
    ['GET', '/v2/trace/setting', undefined],
    ['GET', `/v2/models/${model}/trace/setting`, undefined],
  ];
  const [routeMethod, routePath, base] = r.pick(routes);
  // Unloading is rare, so that most requests still reach a model.
  if (routePath.endsWith('/unload') && r.chance(0.9)) return httpCase(r);
  const method = r.chance(0.95) ? routeMethod : r.pick(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);
  let path = routePath;
  if (r.chance(0.05)) path += r.pick(['?', '?a=b', '/', '//', '/extra', '#frag', '%zz', '?' + 'q'.repeat(3000)]);
  const headers: Record<string, string> = {
    'content-type': r.pick(['application/json', 'text/plain', 'application/octet-stream']),
  };
  let body: Buffer | undefined;
  const shape = r.int(10);
  if (base === undefined && shape < 7) body = undefined;
  else if (shape < 5) body = Buffer.from(JSON.stringify(mutateJson(r, base ?? {}, 1 + r.int(3))));
  else if (shape < 7) body = mutateBytes(r, Buffer.from(JSON.stringify(base ?? {})));
  else if (shape === 7) {
    const binary = binaryInferBody(r);
    body = binary.body;
    headers['inference-header-content-length'] = String(
      r.chance(0.7) ? binary.headerLength : r.pick([-1, 0, 5, 1e9, 'x']),
    );
  } else if (shape === 8) body = r.bytes(r.int(300));
  else body = Buffer.from(JSON.stringify(randomValue(r, 4)) ?? '');
  if (r.chance(0.1) && body !== undefined) {
    const coding = r.pick(['gzip', 'deflate', 'br', 'identity', 'x-garbage', '']);
    headers['content-encoding'] = coding;
    if (coding === 'gzip' && r.chance(0.7)) body = gzipSync(body);
  }
  if (r.chance(0.05)) headers['inference-header-content-length'] = r.pick(['0', '-5', 'NaN', '99999999', '1.5']);
  if (r.chance(0.05)) headers['accept-encoding'] = r.pick(['gzip', 'deflate;q=0.5, gzip;q=x', '*', 'br']);
  if (r.chance(0.05))
    headers['traceparent'] = r.pick([
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'garbage',
      '00-' + 'f'.repeat(200),
    ]);
  return { method, path, headers, body };
}

/** A request broken at the HTTP level, sent on a raw socket. */
function rawHttpCase(r: Random): Buffer {
  const cases = [
    () => r.bytes(1 + r.int(200)),
    () => Buffer.from(`GET /v2 HTTP/1.1\r\nHost: x\r\n${'X-Big: ' + 'a'.repeat(20_000)}\r\n\r\n`),
    () =>
      Buffer.from(
        'POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      ),
    () =>
      Buffer.from('POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}'),
    () =>
      Buffer.from(
        `${r.pick(['GET', 'G\u0000T', 'POST'])} ${r.pick(['/v2', '*', 'http://x/v2', ''])} HTTP/${r.pick(['1.1', '9.9', '1'])}\r\n\r\n`,
      ),
    () => Buffer.from('POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'),
    () => mutateBytes(r, Buffer.from('POST /v2/models/echo/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}')),
  ];
  const bytes = r.pick(cases)();
  return bytes.toString('latin1').trim().length > 0 ? bytes : Buffer.from('x');
}

/** Classifies one HTTP answer. */
function classifyHttp(tally: Tally, samples: Samples, status: number, body: string, what: string): void {
  if (status < 400) {
    tally.ok++;
    return;
  }
  let message: unknown;
  try {
    message = (JSON.parse(body) as { error?: unknown }).error;
  } catch {
    message = undefined;
  }
  // A HEAD answer has no body by definition.
  const hasMessage = (typeof message === 'string' && message.length > 0) || what.startsWith('HEAD ');
  if (status < 500) {
    tally.rejected++;
    if (!hasMessage) {
      tally.rejectedWithoutMessage++;
      samples.add('http rejection without a message', `${status} ${what}: ${body.slice(0, 200)}`);
    }
  } else if ((status === 501 || status === 503) && hasMessage) {
    tally.explained5xx++;
  } else {
    tally.unexplained5xx++;
    samples.add('http unexplained 5xx', `${status} ${what}: ${body.slice(0, 300)}`);
  }
}

async function fuzzHttp(
  server: ReliabilityServer,
  count: number,
  r: Random,
  concurrency: number,
  tally: Tally,
  samples: Samples,
): Promise<void> {
  const pool = new Pool(`http://127.0.0.1:${server.httpPort}`, { connections: concurrency, pipelining: 1 });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && server.crashed() === undefined) {
      next++;
      tally.sent++;
      if (r.chance(0.03)) {
        await sendRaw(server.httpPort, rawHttpCase(r), tally, samples);
        continue;
      }
      const c = httpCase(r);
      const what = `${c.method} ${c.path.slice(0, 120)}`;
      try {
        const response = await pool.request({
          method: c.method as 'GET',
          path: c.path,
          headers: c.headers,
          body: c.body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const text = await response.body.text();
        classifyHttp(tally, samples, response.statusCode, text, what);
      } catch (error) {
        tally.noAnswer++;
        samples.add('http no answer', `${what}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
}

/** Sends `bytes` on a new connection and classifies what comes back before the server closes it. */
function sendRaw(port: number, bytes: Buffer, tally: Tally, samples: Samples): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let text = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      // The first response only (a raw request may hold several).
      const bodyStart = text.indexOf('\r\n\r\n') + 4;
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, bodyStart));
      const body = text.slice(bodyStart, length ? bodyStart + Number(length[1]) : undefined);
      if (match) classifyHttp(tally, samples, Number(match[1]), body, 'raw request');
      else {
        tally.noAnswer++;
        samples.add('http raw request without an answer', bytes.toString('latin1').slice(0, 80));
      }
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// gRPC

const STATUS_INTERNAL_LIKE = new Set([2, 13, 15]);
const STATUS_UNIMPLEMENTED = 12;

type Method = MethodDefinition<object, unknown>;

function grpcMethods(): { path: string; method: Method; streaming: boolean }[] {
  const definition = loadGrpcProtos(['grpc_service.proto', 'health.proto']);
  const methods: { path: string; method: Method; streaming: boolean }[] = [];
  for (const service of ['inference.GRPCInferenceService', 'grpc.health.v1.Health']) {
    for (const method of Object.values(definition[service] as Record<string, Method>)) {
      if (method.responseStream && !method.requestStream) continue; // Health/Watch
      methods.push({ path: method.path, method, streaming: method.requestStream });
    }
  }
  return methods;
}

/** Valid request messages to mutate, by RPC path. */
function validMessages(methods: ReturnType<typeof grpcMethods>): Map<string, Buffer[]> {
  const infer = {
    model_name: 'echo',
    id: '7',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], parameters: { p: { int64_param: 3 } } }],
    outputs: [{ name: 'y' }],
    raw_input_contents: [Buffer.alloc(8)],
    parameters: { sequence_id: { int64_param: 1 } },
  };
  const typed = {
    model_name: 'typed',
    inputs: [
      { name: 'a', datatype: 'INT32', shape: [1, 2], contents: { int_contents: [1, 2] } },
      { name: 'b', datatype: 'BOOL', shape: [1], contents: { bool_contents: [true] } },
    ],
  };
  const byName: Record<string, object[]> = {
    ModelInfer: [infer, typed, { ...infer, model_name: 'stream' }],
    ModelStreamInfer: [infer, typed, { ...infer, model_name: 'stream' }],
    ModelMetadata: [{ name: 'echo' }, { name: 'echo', version: '1' }],
    ModelReady: [{ name: 'echo' }],
    ModelConfig: [{ name: 'typed' }],
    ModelStatistics: [{ name: 'echo' }, {}],
    RepositoryIndex: [{ ready: true }],
    RepositoryModelLoad: [{ model_name: 'echo' }],
    RepositoryModelUnload: [{ model_name: 'echo' }],
    TraceSetting: [{ settings: { trace_rate: { value: ['1000'] } } }],
    LogSettings: [{ settings: { log_info: { bool_param: true } } }],
    Check: [{ service: '' }],
  };
  const messages = new Map<string, Buffer[]>();
  for (const { path, method } of methods) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    messages.set(
      path,
      (byName[name] ?? [{}]).map((m) => method.requestSerialize(m)),
    );
  }
  return messages;
}

function grpcMessage(r: Random, valid: readonly Buffer[]): Buffer {
  const kind = r.int(10);
  if (kind < 6) return mutateBytes(r, r.pick(valid));
  if (kind < 8) return r.bytes(r.int(120));
  if (kind === 8) return r.pick(valid).subarray(0, r.int(r.pick(valid).length + 1));
  return r.pick(valid);
}

function classifyGrpc(tally: Tally, samples: Samples, code: number, details: string, what: string): void {
  if (code === 0) tally.ok++;
  else if (STATUS_INTERNAL_LIKE.has(code)) {
    tally.unexplained5xx++;
    samples.add('grpc INTERNAL/UNKNOWN/DATA_LOSS', `${what}: ${code} ${details.slice(0, 200)}`);
  } else if (code === STATUS_UNIMPLEMENTED && details) tally.explained5xx++;
  else {
    tally.rejected++;
    if (!details) {
      tally.rejectedWithoutMessage++;
      samples.add('grpc rejection without a message', `${what}: ${code}`);
    }
  }
}

async function fuzzGrpc(
  server: ReliabilityServer,
  count: number,
  r: Random,
  concurrency: number,
  tally: Tally,
  samples: Samples,
): Promise<void> {
  const client = new Client(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  });
  const methods = grpcMethods();
  const valid = validMessages(methods);
  const raw = (b: Buffer): Buffer => b;
  let next = 0;
  const unaryCall = (path: string, message: Buffer): Promise<void> =>
    new Promise((resolve) => {
      const deadline = new Date(Date.now() + 10_000);
      client.makeUnaryRequest(path, raw, raw, message, new Metadata(), { deadline }, (error: ServiceError | null) => {
        classifyGrpc(tally, samples, error?.code ?? 0, error?.details ?? '', path);
        resolve();
      });
    });
  /** One stream carrying several mutated requests; each response's error_message counts as a rejection. */
  const streamCall = (path: string, messages: Buffer[]): Promise<void> =>
    new Promise((resolve) => {
      const call = client.makeBidiStreamRequest(path, raw, raw, new Metadata(), {
        deadline: new Date(Date.now() + 10_000),
      });
      call.on('data', () => {});
      call.on('error', (error: ServiceError) => {
        classifyGrpc(tally, samples, error.code, error.details, `${path} (stream)`);
        resolve();
      });
      call.on('end', () => resolve());
      for (const message of messages) call.write(message);
      call.end();
    });
  const worker = async (): Promise<void> => {
    while (next < count && server.crashed() === undefined) {
      const { path, streaming } = r.pick(methods);
      const messages = valid.get(path)!;
      if (streaming) {
        const batch = Array.from({ length: Math.min(1 + r.int(8), count - next) }, () => grpcMessage(r, messages));
        next += batch.length;
        tally.sent += batch.length;
        await streamCall(path, batch);
      } else {
        next++;
        tally.sent++;
        await unaryCall(path, grpcMessage(r, messages));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  client.close();
}

// ---------------------------------------------------------------------------------------------------------------
// Run

/** Up to five examples per finding. */
class Samples {
  readonly byKind: Record<string, string[]> = {};
  add(kind: string, example: string): void {
    const list = (this.byKind[kind] ??= []);
    if (list.length < 5) list.push(example);
  }
}

/**
 * Runs a fuzz session against a fresh server process.
 * @param options - how many HTTP requests and gRPC messages, the seed, and the concurrency.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const server = await startReliabilityServer({
    // Tracing on and sampling every request, exported to a closed port: the exporter's failures are part of it.
    TS_TRITON_TRACE_CONFIG: JSON.stringify([
      'mode=opentelemetry',
      'level=TIMESTAMPS',
      'rate=1',
      'opentelemetry,url=http://127.0.0.1:9/v1/traces',
    ]),
  });
  const r = new Random(options.seed);
  const samples = new Samples();
  const http = newTally();
  const grpc = newTally();
  const concurrency = options.concurrency ?? 16;
  try {
    const memoryBefore = await server.memory();
    await fuzzHttp(server, options.http, r, concurrency, http, samples);
    if (server.crashed() === undefined) await fuzzGrpc(server, options.grpc, r, concurrency, grpc, samples);
    const crash = server.crashed();
    const memoryAfter = crash === undefined ? await server.memory() : undefined;
    if (crash !== undefined) samples.add('crash', server.log().slice(-4000));
    return {
      seed: options.seed,
      seconds: (performance.now() - started) / 1000,
      http,
      grpc,
      crash,
      memoryBefore,
      memoryAfter,
      samples: samples.byKind,
    };
  } finally {
    await server.stop();
  }
}

/** Whether a report fails the run: a crash or an unexplained 5xx. */
export function fuzzFailed(report: FuzzReport): boolean {
  return report.crash !== undefined || report.http.unexplained5xx > 0 || report.grpc.unexplained5xx > 0;
}

const mib = (bytes: number | undefined): string =>
  bytes === undefined ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** The report as text. */
export function formatFuzzReport(report: FuzzReport): string {
  const row = (name: string, t: Tally): string =>
    `| ${name} | ${t.sent} | ${t.ok} | ${t.rejected} | ${t.rejectedWithoutMessage} | ${t.explained5xx} | ${t.unexplained5xx} | ${t.noAnswer} |`;
  const lines = [
    `seed ${report.seed}, ${report.seconds.toFixed(1)} s, crash: ${report.crash ?? 'none'}`,
    '',
    '| protocol | sent | ok | rejected | rejected without a message | explained 5xx | unexplained 5xx | no answer |',
    '|---|---|---|---|---|---|---|---|',
    row('HTTP', report.http),
    row('gRPC', report.grpc),
    '',
    `server RSS ${mib(report.memoryBefore.rss)} → ${mib(report.memoryAfter?.rss)}, heap ${mib(report.memoryBefore.heapUsed)} → ${mib(report.memoryAfter?.heapUsed)}`,
  ];
  for (const [kind, examples] of Object.entries(report.samples)) {
    lines.push('', `${kind}:`, ...examples.map((e) => `  ${e}`));
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      http: { type: 'string', default: '50000' },
      grpc: { type: 'string', default: '20000' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      concurrency: { type: 'string', default: '16' },
      json: { type: 'boolean', default: false },
    },
  });
  const report = await runFuzz({
    http: Number(values.http),
    grpc: Number(values.grpc),
    seed: Number(values.seed),
    concurrency: Number(values.concurrency),
  });
  process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatFuzzReport(report)}\n`);
  process.exitCode = fuzzFailed(report) ? 1 : 0;
}
