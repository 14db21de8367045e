/**
 * ts-triton performance benchmark: `npm run bench`.
 *
 * Prerequisites (Debian/Ubuntu): `apt-get install wrk nghttp2-client` (wrk, h2load) and `taskset` (util-linux),
 * at least 2 CPU cores. Servers run as child processes pinned to core 0, the load generator (and the OTLP sink)
 * on core 1. Every comparison runs all its sides in the same run, alternating the order each round, and reports
 * the median of the per-round ratios with their min and max.
 *
 * Environment knobs: BENCH_ROUNDS (5), BENCH_GRPC_ROUNDS (2 × BENCH_ROUNDS + 1), BENCH_SECONDS (4), BENCH_WARMUP (3),
 * BENCH_ONLY (comma list of groups: http (includes the latency figures), batching, binary, grpc, viewer, workers,
 * transfer), e.g. `BENCH_ONLY=viewer npm run bench` for the trace viewer's figures alone.
 *
 * Writes bench/results/latest.json, bench/results/latest.md and the table in docs/performance.md (a BENCH_ONLY run:
 * bench/results/latest-<groups>.json and .md only).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { Client } from 'undici';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/**
 * Under h2load, each process's garbage collector (Node's HTTP/2 server, with or without grpc-js) flips between
 * promoting almost nothing and promoting almost every stream, for seconds at a time, independently in the two
 * servers; more rounds keep the median from resting on a few mismatched pairs (docs/performance.md).
 */
const GRPC_ROUNDS = Number(process.env.BENCH_GRPC_ROUNDS ?? 2 * ROUNDS + 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
/** The 4 MB JSON round trip takes ~2 s at -c4, so the tensor group needs longer windows and warm-up. */
const TENSOR_SECONDS = Math.max(SECONDS, 6);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const started = Date.now();

// ---------------------------------------------------------------------------------------------------------------
// Prerequisites

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
/** h2load is needed by the gRPC group only. */
const missing = ['wrk', 'taskset', ...(ONLY && !ONLY.includes('grpc') ? [] : ['h2load'])].filter((c) => !have(c));
if (missing.length > 0) {
  console.error(
    `bench: missing ${missing.join(', ')}. Install the load generators first, e.g. on Debian/Ubuntu:\n` +
      '  sudo apt-get install wrk nghttp2-client util-linux\n(h2load is in nghttp2-client, taskset in util-linux.)',
  );
  process.exit(2);
}
if (cpus().length < 2) {
  console.error('bench: needs at least 2 CPU cores (server on core 0, load generator on core 1).');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'ts-triton-bench-'));
const children = new Set<ChildProcess>();
function cleanup(): void {
  for (const c of children) c.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

function log(msg: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${t}s] ${msg}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Server {
  name: string;
  proc: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  core: number | string = 0,
): Promise<Server> {
  const port = Number(env.BENCH_HTTP_PORT ?? env.BENCH_GRPC_PORT ?? env.BENCH_OTLP_PORT);
  const proc = spawn('taskset', ['-c', String(core), process.execPath, join(ROOT, 'bench/servers', script)], {
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s:\n${output}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
  proc.removeAllListeners('exit');
  return {
    name,
    proc,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        proc.once('exit', () => {
          clearTimeout(timer);
          children.delete(proc);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** The OS name of the embedded trace viewer's worker thread (its Worker `name`, cut to Linux's 15 characters). */
const VIEWER_THREAD = 'ts-triton-viewer'.slice(0, 15);

/** Moves the thread named `name` of process `pid` to `core` (Linux: /proc and taskset). */
function pinThread(pid: number, name: string, core: number): void {
  const tid = readdirSync(`/proc/${pid}/task`).find(
    (t) => readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim() === name,
  );
  if (tid === undefined) throw new Error(`process ${pid} has no thread named ${name}`);
  const result = spawnSync('taskset', ['-p', '-c', String(core), tid], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset -p -c ${core} ${tid} failed: ${result.stderr}`);
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', '1', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // 'close', not 'exit': the process can exit before its output has been read.
    p.once('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Load generators

interface Load {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** The server process's CPU time (user + system) per request during the window, when its pid is known. */
  cpuUsPerRequest?: number;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) the process `pid` has used so far, or NaN where /proc cannot tell. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

/** A wrk Lua script POSTing the bytes of `bodyFile` with `headers`. */
function luaScript(name: string, bodyFile: string, headers: Record<string, string>): string {
  const path = join(tmp, `${name}.lua`);
  const lines = [
    `local f = assert(io.open(${JSON.stringify(bodyFile)}, "rb"))`,
    'wrk.body = f:read("*a")',
    'f:close()',
    'wrk.method = "POST"',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
  ];
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

async function wrk(url: string, script: string, connections: number, seconds: number, timeout = '10s'): Promise<Load> {
  const out = await run('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    `--timeout`,
    timeout,
    '--latency',
    '-s',
    script,
    url,
  ]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (non2xx) throw new Error(`wrk saw ${non2xx[1]} non-2xx responses from ${url}:\n${out}`);
  const sockErr = /Socket errors: (.*)/.exec(out);
  if (sockErr && /timeout [1-9]|read [1-9]|write [1-9]|connect [1-9]/.test(sockErr[1]!)) {
    throw new Error(`wrk socket errors against ${url}: ${sockErr[1]}\n${out}`);
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  if (!Number.isFinite(rps) || requests === 0) throw new Error(`could not read wrk output:\n${out}`);
  return { rps, p50: pct('50'), p99: pct('99'), requests };
}

/**
 * The latency of GET `url` sent one at a time, one every `intervalMs` (a health prober's pace: a kubelet or a load
 * balancer), for `seconds`, on one kept-alive connection (undici's Client: `fetch` adds ~0.4 ms at p50 and ~2 ms
 * at p99 of its own here). wrk -c1 would send the next one as soon as one is answered: on a server whose main
 * thread is free, that closed loop takes a core from the model being measured.
 */
async function pacedProbe(url: string, seconds: number, intervalMs = 10): Promise<Load> {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin);
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  try {
    while (performance.now() < end) {
      const started = performance.now();
      const res = await client.request({ path: pathname, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`health probe: ${url} answered ${res.statusCode}`);
      const took = performance.now() - started;
      latencies.push(took);
      if (took < intervalMs) await new Promise((resolve) => setTimeout(resolve, intervalMs - took));
    }
  } finally {
    await client.close();
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), requests: latencies.length };
}

async function h2load(url: string, dataFile: string, seconds: number, warmup = 0): Promise<Load> {
  const out = await run('h2load', [
    '-t1',
    '-c10',
    '-m10',
    `-D${seconds}`,
    ...(warmup > 0 ? [`--warm-up-time=${warmup}`] : []),
    `--data=${dataFile}`,
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    url,
  ]);
  const m =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1]);
  if (!m || !Number.isFinite(rps)) throw new Error(`could not read h2load output:\n${out}`);
  if (Number(m[5]) + Number(m[6]) > 0 || Number(m[4]) === 0) throw new Error(`h2load failures against ${url}:\n${out}`);
  // h2load prints mean/sd/max per request, not percentiles; p50/p99 are not available from it.
  return { rps, p50: NaN, p99: NaN, requests: Number(m[4]) };
}

// ---------------------------------------------------------------------------------------------------------------
// Rounds and figures

interface Variant {
  name: string;
  load: (seconds: number) => Promise<Load>;
  /** The server's process id, to measure its CPU time per request. */
  pid?: number;
}
type Samples = Record<string, Load[]>;

/**
 * Waits until the process `pid` stops using CPU (at most 20 s): a server still working through requests the
 * load generator left in flight (a 4 MB JSON round trip takes seconds) must not eat into the next window.
 */
async function settled(pid: number | undefined): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last = cpuSeconds(pid);
  while (Number.isFinite(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = cpuSeconds(pid);
    if (now - last < 0.01) return;
    last = now;
  }
}

/** Warms every variant up, then runs `count` rounds, alternating the order of the variants each round. */
async function rounds(
  group: string,
  variants: Variant[],
  seconds = SECONDS,
  warmup = WARMUP,
  count = ROUNDS,
): Promise<Samples> {
  for (const v of variants) {
    log(`${group}: warm-up ${v.name} (${warmup} s)`);
    await v.load(warmup);
    await settled(v.pid);
  }
  const samples: Samples = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let r = 0; r < count; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const cpuBefore = cpuSeconds(v.pid);
      const l = await v.load(seconds);
      const cpu = cpuSeconds(v.pid) - cpuBefore;
      if (Number.isFinite(cpu)) l.cpuUsPerRequest = (cpu * 1e6) / l.requests;
      await settled(v.pid);
      samples[v.name]!.push(l);
      const cpuText = l.cpuUsPerRequest === undefined ? '' : `, server CPU ${l.cpuUsPerRequest.toFixed(1)} µs/request`;
      log(
        `${group}: round ${r + 1}/${count} ${v.name}: ${l.rps.toFixed(1)} req/s, p50 ${l.p50.toFixed(2)} ms, p99 ${l.p99.toFixed(2)} ms${cpuText}`,
      );
    }
  }
  return samples;
}

interface Figure {
  value: number;
  min: number;
  max: number;
  target: number | null;
  met: boolean | null;
  /** The target is an upper bound (times, bytes) instead of a lower one. */
  atMost?: boolean;
  unit: string;
  rounds: number[];
  description: string;
  numerator?: Side;
  denominator?: Side;
}
/** One side of a ratio: its throughput per round and the median server CPU time per request. */
interface Side {
  name: string;
  rps: number[];
  cpuUsPerRequest: number | null;
}

function side(name: string, loads: Load[]): Side {
  const cpu = loads.map((l) => l.cpuUsPerRequest).filter((x): x is number => x !== undefined);
  return {
    name,
    rps: loads.map((l) => Math.round(l.rps * 10) / 10),
    cpuUsPerRequest: cpu.length === loads.length ? Math.round(median(cpu) * 100) / 100 : null,
  };
}
const figures: Record<string, Figure> = {};
let spanCheckResult: unknown;
let sinkTotals: unknown;
const failures: string[] = [];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function ratio(
  key: string,
  samples: Samples,
  num: string,
  den: string,
  target: number | null,
  description: string,
): void {
  const a = samples[num]!.map((l) => l.rps);
  const b = samples[den]!.map((l) => l.rps);
  const rs = a.map((x, i) => x / b[i]!);
  const value = median(rs);
  figures[key] = {
    value: round3(value),
    min: round3(Math.min(...rs)),
    max: round3(Math.max(...rs)),
    target,
    met: target === null ? null : value >= target,
    unit: 'ratio',
    rounds: rs.map(round3),
    description,
    numerator: side(num, samples[num]!),
    denominator: side(den, samples[den]!),
  };
  log(
    `==> ${key} = ${value.toFixed(3)} (min ${Math.min(...rs).toFixed(3)}, max ${Math.max(...rs).toFixed(3)}${target === null ? '' : `, target >= ${target}`})`,
  );
}

function latency(key: string, loads: Load[], which: 'p50' | 'p99', description: string): void {
  const xs = loads.map((l) => l[which]);
  figures[key] = {
    value: round3(median(xs)),
    min: round3(Math.min(...xs)),
    max: round3(Math.max(...xs)),
    target: null,
    met: null,
    unit: 'ms',
    rounds: xs.map(round3),
    description,
  };
}

async function group(name: string, fn: () => Promise<void>): Promise<void> {
  if (ONLY && !ONLY.includes(name)) return;
  try {
    await fn();
  } catch (e) {
    failures.push(`${name}: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`);
    log(`!! group ${name} failed: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Bodies

const JSON_BODY = JSON.stringify({
  id: '42',
  inputs: [
    { name: 'sleep', shape: [1, 1], datatype: 'FP32', data: [0] },
    { name: 'error', shape: [1, 1], datatype: 'BOOL', data: [false] },
  ],
});
const jsonBodyFile = join(tmp, 'passthrough.json');
writeFileSync(jsonBodyFile, JSON_BODY);
const jsonLua = luaScript('passthrough', jsonBodyFile, { 'Content-Type': 'application/json' });

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

async function expectJsonEcho(url: string): Promise<void> {
  const res = await post(url, JSON_BODY, { 'content-type': 'application/json' });
  const body = JSON.parse(res.body.toString()) as { outputs?: { name: string; data: unknown[] }[] };
  const ok =
    res.status === 200 &&
    body.outputs?.length === 2 &&
    body.outputs[0]!.name === 'sleep' &&
    body.outputs[1]!.data[0] === false;
  if (!ok) throw new Error(`unexpected response from ${url}: ${res.status} ${res.body.toString().slice(0, 300)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// 1-4, 8: HTTP JSON, tracing, Fastify + OTel, latency

await group('http', async () => {
  const otlpPort = await freePort();
  const sink = await startServer('otlp-sink', 'otlp-sink.ts', { BENCH_OTLP_PORT: String(otlpPort) }, 1);
  const otlpUrl = `http://127.0.0.1:${otlpPort}/v1/traces`;
  const defs: [string, string, Record<string, string>][] = [
    ['bare-node-http', 'bare-http.ts', {}],
    ['triton-off', 'triton.ts', { BENCH_TRACE: 'off' }],
    ['triton-traced', 'triton.ts', { BENCH_TRACE: 'on', BENCH_OTLP_URL: otlpUrl }],
    ['triton-unsampled', 'triton.ts', { BENCH_TRACE: 'unsampled', BENCH_OTLP_URL: otlpUrl }],
    ['fastify-otel', 'fastify-otel.ts', { BENCH_OTLP_URL: otlpUrl }],
  ];
  const servers: Server[] = [];
  try {
    for (const [name, script, env] of defs) {
      servers.push(await startServer(name, script, { ...env, BENCH_HTTP_PORT: String(await freePort()) }));
    }
    const url = (s: Server): string => `http://127.0.0.1:${s.port}/v2/models/passthrough/infer`;
    for (const s of servers) await expectJsonEcho(url(s));

    // Check the traced servers really export the four spans per request to the sink.
    await fetch(`http://127.0.0.1:${otlpPort}/verify/on`, { method: 'POST' });
    const traced = servers.filter((s) => s.name === 'triton-traced' || s.name === 'fastify-otel');
    for (const s of traced) for (let i = 0; i < 256; i++) await expectJsonEcho(url(s));
    const want = 256 * 4;
    let stats: { spanNames: Record<string, Record<string, number>>; decodeErrors: number } = {
      spanNames: {},
      decodeErrors: 0,
    };
    for (let i = 0; i < 80; i++) {
      stats = (await (await fetch(`http://127.0.0.1:${otlpPort}/stats`)).json()) as typeof stats;
      const counts = Object.values(stats.spanNames).map((n) => Object.values(n).reduce((a, b) => a + b, 0));
      if (counts.length === 2 && counts.every((c) => c >= want)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await fetch(`http://127.0.0.1:${otlpPort}/verify/off`, { method: 'POST' });
    const spanCheck = {
      expected: ['InferRequest', 'passthrough', 'compute', 'infer_callable'],
      received: stats.spanNames,
    };
    for (const [service, names] of Object.entries(stats.spanNames)) {
      const ok = spanCheck.expected.every((n) => names[n] === 256) && Object.keys(names).length === 4;
      if (!ok)
        throw new Error(`service ${service} exported ${JSON.stringify(names)}, expected 256 of each of the 4 spans`);
    }
    if (Object.keys(stats.spanNames).length !== 2) throw new Error(`span check: ${JSON.stringify(stats)}`);
    log(`span check: ${JSON.stringify(stats.spanNames)}`);
    spanCheckResult = spanCheck;

    const variants = servers.map((s) => ({
      name: s.name,
      pid: s.proc.pid,
      load: (sec: number) => wrk(url(s), jsonLua, 50, sec),
    }));
    const samples = await rounds('http c50', variants);
    ratio(
      'http_json_vs_bare_node',
      samples,
      'triton-off',
      'bare-node-http',
      0.85,
      'ts-triton HTTP JSON infer (passthrough, sleep 0, tracing off) / bare node:http handler parsing and writing the same JSON; wrk -c50',
    );
    ratio(
      'tracing_on_vs_off',
      samples,
      'triton-traced',
      'triton-off',
      0.8,
      'ts-triton traced (OpenTelemetry mode, rate=1, OTLP proto to a local sink) / tracing off; wrk -c50',
    );
    ratio(
      'tracing_unsampled_vs_off',
      samples,
      'triton-unsampled',
      'triton-off',
      0.97,
      'ts-triton with tracing configured at rate=1000 / tracing off; wrk -c50',
    );
    ratio(
      'traced_vs_fastify_otel',
      samples,
      'triton-traced',
      'fastify-otel',
      1.5,
      'ts-triton traced / Fastify route + OpenTelemetry SDK with the same 4 spans, BatchSpanProcessor, OTLP proto exporter; wrk -c50',
    );
    const sinkStats = (await (await fetch(`http://127.0.0.1:${otlpPort}/stats`)).json()) as {
      requests: number;
      bytes: number;
    };
    sinkTotals = sinkStats;

    // 8: latency at concurrency 1 and 16, ts-triton (tracing off) and the bare handler.
    const pair = servers.filter((s) => s.name === 'triton-off' || s.name === 'bare-node-http');
    for (const c of [1, 16]) {
      const lat = await rounds(
        `latency c${c}`,
        pair.map((s) => ({ name: s.name, load: (sec: number) => wrk(url(s), jsonLua, c, sec) })),
        SECONDS,
        2,
      );
      for (const [name, label] of [
        ['triton-off', 'triton'],
        ['bare-node-http', 'bare_node'],
      ] as const) {
        latency(`latency_c${c}_p50_${label}`, lat[name]!, 'p50', `p50 latency, ${name}, wrk -c${c}, median of rounds`);
        latency(`latency_c${c}_p99_${label}`, lat[name]!, 'p99', `p99 latency, ${name}, wrk -c${c}, median of rounds`);
        const rps = lat[name]!.map((l) => l.rps);
        figures[`throughput_c${c}_${label}`] = {
          value: Math.round(median(rps)),
          min: Math.round(Math.min(...rps)),
          max: Math.round(Math.max(...rps)),
          target: null,
          met: null,
          unit: 'req/s',
          rounds: rps.map((x) => Math.round(x)),
          description: `throughput, ${name}, wrk -c${c}`,
        };
      }
    }
  } finally {
    for (const s of servers) await s.stop();
    await sink.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 5: batching gain

await group('batching', async () => {
  const body = join(tmp, 'cost2ms.json');
  writeFileSync(body, JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [1, 1], datatype: 'FP32', data: [1.5] }] }));
  const lua = luaScript('cost2ms', body, { 'Content-Type': 'application/json' });
  const servers: Server[] = [];
  try {
    for (const mb of [64, 1]) {
      servers.push(
        await startServer(`maxBatchSize=${mb}`, 'triton.ts', {
          BENCH_MODEL: 'cost2ms',
          BENCH_MAX_BATCH: String(mb),
          BENCH_HTTP_PORT: String(await freePort()),
        }),
      );
    }
    const url = (s: Server): string => `http://127.0.0.1:${s.port}/v2/models/cost2ms/infer`;
    for (const s of servers) {
      const res = await post(url(s), readFileSync(body), { 'content-type': 'application/json' });
      if (res.status !== 200 || !res.body.toString().includes('"OUTPUT0"'))
        throw new Error(`${s.name}: ${res.status} ${res.body}`);
    }
    const samples = await rounds(
      'batching c64',
      servers.map((s) => ({ name: s.name, pid: s.proc.pid, load: (sec: number) => wrk(url(s), lua, 64, sec) })),
    );
    ratio(
      'batching_gain',
      samples,
      'maxBatchSize=64',
      'maxBatchSize=1',
      10,
      'model with a fixed 2 ms busy-wait per call, wrk -c64: maxBatchSize 64 / maxBatchSize 1',
    );
  } finally {
    for (const s of servers) await s.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 6: 4 MB tensor, binary vs JSON vs bare echo

await group('binary', async () => {
  const n = 1 << 20;
  const data = new Float32Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    data[i] = seed / 0x7fffffff; // deterministic pseudo-random floats in [0, 1)
  }
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'INPUT0', shape: [n], datatype: 'FP32', parameters: { binary_data_size: n * 4 } }],
      outputs: [{ name: 'OUTPUT0', parameters: { binary_data: true } }],
    }),
  );
  const binBody = Buffer.concat([header, Buffer.from(data.buffer)]);
  const binFile = join(tmp, 'tensor.bin');
  writeFileSync(binFile, binBody);
  const binHeaders = {
    'Content-Type': 'application/octet-stream',
    'Inference-Header-Content-Length': String(header.byteLength),
  };
  const binLua = luaScript('binary', binFile, binHeaders);
  const jsonFile = join(tmp, 'tensor.json');
  writeFileSync(
    jsonFile,
    JSON.stringify({ inputs: [{ name: 'INPUT0', shape: [n], datatype: 'FP32', data: Array.from(data) }] }),
  );
  const jsonLua4 = luaScript('tensor-json', jsonFile, { 'Content-Type': 'application/json' });

  // The JSON round trips get their own server process: the garbage of 20 MB JSON bodies would otherwise weigh on
  // the garbage collections of the binary rounds that follow them.
  const triton = await startServer('triton-identity', 'triton.ts', {
    BENCH_MODEL: 'identity',
    BENCH_HTTP_PORT: String(await freePort()),
  });
  const tritonJson = await startServer('triton-identity-json', 'triton.ts', {
    BENCH_MODEL: 'identity',
    BENCH_HTTP_PORT: String(await freePort()),
  });
  const bare = await startServer('bare-echo', 'bare-http.ts', { BENCH_HTTP_PORT: String(await freePort()) });
  try {
    const inferUrl = `http://127.0.0.1:${triton.port}/v2/models/identity/infer`;
    const jsonInferUrl = `http://127.0.0.1:${tritonJson.port}/v2/models/identity/infer`;
    const echoUrl = `http://127.0.0.1:${bare.port}/echo`;
    // Check the round trips return the tensor.
    const rb = await post(inferUrl, binBody, binHeaders);
    const hl = Number(rb.headers.get('inference-header-content-length'));
    if (rb.status !== 200 || !rb.body.subarray(hl).equals(Buffer.from(data.buffer)))
      throw new Error(`binary infer: ${rb.status} ${rb.body.subarray(0, 200)}`);
    const rj = await post(jsonInferUrl, readFileSync(jsonFile), { 'content-type': 'application/json' });
    const out = JSON.parse(rj.body.toString()) as { outputs: { data: number[] }[] };
    const got = out.outputs?.[0]?.data;
    if (rj.status !== 200 || got?.length !== n || Math.fround(got[7]!) !== data[7]) {
      throw new Error(
        `JSON infer: ${rj.status}, ${got?.length} elements, [7] = ${got?.[7]} (sent ${data[7]}) ${rj.body.subarray(0, 200)}`,
      );
    }
    const re = await post(echoUrl, binBody, binHeaders);
    if (re.status !== 200 || !re.body.equals(binBody)) throw new Error('bare echo mismatch');

    const samples = await rounds(
      '4 MB tensor c4',
      [
        { name: 'triton-binary', pid: triton.proc.pid, load: (sec) => wrk(inferUrl, binLua, 4, sec, '30s') },
        { name: 'triton-json', pid: tritonJson.proc.pid, load: (sec) => wrk(jsonInferUrl, jsonLua4, 4, sec, '30s') },
        { name: 'bare-echo', pid: bare.proc.pid, load: (sec) => wrk(echoUrl, binLua, 4, sec, '30s') },
      ],
      TENSOR_SECONDS,
      TENSOR_SECONDS,
    );
    ratio(
      'binary_vs_json_4mb',
      samples,
      'triton-binary',
      'triton-json',
      20,
      'one 1M-element FP32 tensor round trip (identity model), binary tensor extension / JSON; wrk -c4',
    );
    ratio(
      'binary_vs_bare_echo_4mb',
      samples,
      'triton-binary',
      'bare-echo',
      0.8,
      'the same binary round trip / a bare node:http handler echoing the same request bytes; wrk -c4',
    );
  } finally {
    await triton.stop();
    await tritonJson.stop();
    await bare.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 7: gRPC ModelInfer vs bare grpc-js

await group('grpc', async () => {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(ROOT, 'proto', target);
  root.loadSync('grpc_service.proto', { keepCase: true });
  const Req = root.lookupType('inference.ModelInferRequest');
  const Res = root.lookupType('inference.ModelInferResponse');
  const f32 = Buffer.alloc(4);
  const msg = Req.encode(
    Req.fromObject({
      model_name: 'passthrough',
      id: '42',
      inputs: [
        { name: 'sleep', datatype: 'FP32', shape: [1, 1] },
        { name: 'error', datatype: 'BOOL', shape: [1, 1] },
      ],
      raw_input_contents: [f32, Buffer.from([0])],
    }),
  ).finish();
  const frame = Buffer.alloc(5 + msg.byteLength);
  frame.writeUInt32BE(msg.byteLength, 1);
  frame.set(msg, 5);
  const frameFile = join(tmp, 'model-infer.grpc');
  writeFileSync(frameFile, frame);

  const tritonPort = await freePort();
  const barePort = await freePort();
  const triton = await startServer('triton-grpc', 'triton.ts', {
    BENCH_HTTP_PORT: String(await freePort()),
    BENCH_GRPC_PORT: String(tritonPort),
  });
  const bare = await startServer('bare-grpc-js', 'bare-grpc.ts', { BENCH_GRPC_PORT: String(barePort) });
  try {
    // Send the exact message h2load sends through a grpc-js client and check the answer.
    for (const port of [tritonPort, barePort]) {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(msg),
          (err, value) => (err ? reject(err) : resolve(value!)),
        ),
      );
      client.close();
      const r = Res.toObject(Res.decode(reply), { longs: Number }) as {
        outputs: { name: string }[];
        raw_output_contents: Buffer[];
      };
      if (r.outputs.map((o) => o.name).join() !== 'sleep,error' || r.raw_output_contents.length !== 2) {
        throw new Error(`gRPC port ${port}: unexpected reply ${JSON.stringify(r)}`);
      }
    }
    const path = '/inference.GRPCInferenceService/ModelInfer';
    const samples = await rounds(
      'gRPC h2load c10 m10',
      [
        {
          name: 'triton-grpc',
          pid: triton.proc.pid,
          load: (sec) => h2load(`http://127.0.0.1:${tritonPort}${path}`, frameFile, sec),
        },
        {
          name: 'bare-grpc-js',
          pid: bare.proc.pid,
          load: (sec) => h2load(`http://127.0.0.1:${barePort}${path}`, frameFile, sec),
        },
      ],
      SECONDS,
      WARMUP,
      GRPC_ROUNDS,
    );
    ratio(
      'grpc_vs_bare_grpcjs',
      samples,
      'triton-grpc',
      'bare-grpc-js',
      0.8,
      'ts-triton gRPC ModelInfer (passthrough) / bare @grpc/grpc-js server echoing the same message; h2load -c10 -m10',
    );
  } finally {
    await triton.stop();
    await bare.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 9-13: the trace viewer: ingest, fetch and search at 1M spans, heap per span, embedded viewer throughput

/** A single measured figure against a target. */
function measured(
  key: string,
  value: number,
  unit: string,
  target: number,
  atMost: boolean,
  description: string,
  digits = 3,
): void {
  const rounded = Math.round(value * 10 ** digits) / 10 ** digits;
  figures[key] = {
    value: rounded,
    min: rounded,
    max: rounded,
    target,
    met: atMost ? value <= target : value >= target,
    atMost,
    unit,
    rounds: [rounded],
    description,
  };
  log(`==> ${key} = ${rounded} ${unit} (target ${atMost ? '<=' : '>='} ${target})`);
}

let viewerStore: unknown;
let viewerEmbedded: unknown;

await group('viewer', async () => {
  // The store figures, in their own process on core 0 (bench/viewer-store.ts).
  log('viewer: store figures (real exports of the passthrough example, 1M spans in a memory store)');
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('taskset', ['-c', '0', process.execPath, '--expose-gc', join(ROOT, 'bench/viewer-store.ts')], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('close', (code) => {
      children.delete(p);
      if (code === 0) resolve(stdout);
      else reject(new Error(`bench/viewer-store.ts exited ${code}:\n${stderr}`));
    });
  });
  const store = JSON.parse(out.trim().split('\n').pop()!) as {
    stored: { spans: number; traces: number };
    ingest: { spansPerSecond: number; decodeSeconds: number; addSeconds: number; spansPerSecondPer100k: number[] };
    heapBytesPerSpan: number;
    fetchTrace: { medianMs: number };
    search: { medianMs: number };
    searchFiltered: { medianMs: number };
    sqlite: {
      spans: number;
      spansPerSecond: number;
      fetchTrace: { medianMs: number };
      search: { medianMs: number };
      searchFiltered: { medianMs: number };
    };
  };
  viewerStore = store;
  const size = `${(store.stored.spans / 1e6).toFixed(2)}M spans (${store.stored.traces} traces of the passthrough example)`;
  measured(
    'viewer_ingest_spans_per_s',
    store.ingest.spansPerSecond,
    'spans/s',
    100_000,
    false,
    `OTLP/HTTP protobuf exports of the passthrough example decoded and added to the memory store, one core, CPU time, while filling it to ${size}; decode ${store.ingest.decodeSeconds.toFixed(1)} s, add ${store.ingest.addSeconds.toFixed(1)} s`,
    0,
  );
  measured(
    'viewer_ingest_first_100k_spans_per_s',
    store.ingest.spansPerSecondPer100k[0] ?? NaN,
    'spans/s',
    100_000,
    false,
    'the same, over the first 100k spans (a small heap)',
    0,
  );
  measured(
    'viewer_fetch_trace_ms_1m',
    store.fetchTrace.medianMs,
    'ms',
    20,
    true,
    `GET /api/traces/{id} through the query API handler (Jaeger JSON included), median of 200, with ${size} stored`,
  );
  measured(
    'viewer_search_ms_1m',
    store.search.medianMs,
    'ms',
    100,
    true,
    `GET /api/traces?service=…&limit=20 (Jaeger UI's default), median of 30, with ${size} stored`,
  );
  measured(
    'viewer_search_filtered_ms_1m',
    store.searchFiltered.medianMs,
    'ms',
    100,
    true,
    `GET /api/traces with service, operation, a tag and minDuration, limit 20, median of 30, with ${size} stored`,
  );
  measured(
    'viewer_heap_bytes_per_span',
    store.heapBytesPerSpan,
    'bytes',
    1024,
    true,
    `heap used plus ArrayBuffer memory (the store's columns) after a full GC with ${size} stored, less before, per span`,
    0,
  );
  const sqliteSize = `${(store.sqlite.spans / 1e3).toFixed(0)}k spans in a SQLite file`;
  const info = (key: string, value: number, unit: string, description: string): void => {
    figures[key] = {
      value: round3(value),
      min: round3(value),
      max: round3(value),
      target: null,
      met: null,
      unit,
      rounds: [round3(value)],
      description,
    };
  };
  info(
    'viewer_sqlite_ingest_spans_per_s',
    Math.round(store.sqlite.spansPerSecond),
    'spans/s',
    `the same exports decoded and added to the SQLite store (--store sqlite:<path>), one core, CPU time, filling it to ${sqliteSize}`,
  );
  info(
    'viewer_sqlite_fetch_trace_ms',
    store.sqlite.fetchTrace.medianMs,
    'ms',
    `GET /api/traces/{id}, median of 100, ${sqliteSize}`,
  );
  info(
    'viewer_sqlite_search_ms',
    store.sqlite.search.medianMs,
    'ms',
    `GET /api/traces?service=…&limit=20, median of 20, ${sqliteSize}`,
  );
  info(
    'viewer_sqlite_search_filtered_ms',
    store.sqlite.searchFiltered.medianMs,
    'ms',
    `GET /api/traces with service, operation, a tag and minDuration, limit 20, median of 20, ${sqliteSize}`,
  );

  // The traced server with its embedded viewer (npm start's trace configuration) against tracing off, both on core 0.
  // The viewer's worker thread runs beside the request path: first on core 1 (beside wrk), as on any machine with
  // a core to spare for it; then on core 0 with the rest of its process.
  const viewerPort = await freePort();
  const traced = await startServer('triton-embedded-viewer', 'triton.ts', {
    BENCH_TRACE: 'viewer',
    BENCH_VIEWER_PORT: String(viewerPort),
    BENCH_VIEWER_OTLP_PORT: String(await freePort()),
    BENCH_HTTP_PORT: String(await freePort()),
  });
  const off = await startServer('triton-off', 'triton.ts', {
    BENCH_TRACE: 'off',
    BENCH_HTTP_PORT: String(await freePort()),
  });
  try {
    const url = (s: Server): string => `http://127.0.0.1:${s.port}/v2/models/passthrough/infer`;
    for (const s of [traced, off]) await expectJsonEcho(url(s));
    const measure = async (where: string, warmup: number): Promise<{ samples: Samples; requests: number }> => {
      const samples = await rounds(
        `viewer embedded c50 (${where})`,
        [traced, off].map((s) => ({
          name: s.name,
          pid: s.proc.pid,
          load: (sec: number) => wrk(url(s), jsonLua, 50, sec),
        })),
        SECONDS,
        warmup,
      );
      return { samples, requests: samples['triton-embedded-viewer']!.reduce((sum, l) => sum + l.requests, 0) };
    };
    pinThread(traced.proc.pid!, VIEWER_THREAD, 1);
    // The rounds measure the viewer in its steady state, its store full and evicting (at ~80k spans/s it takes the
    // 500k spans about 6 s to fill; while it fills, every span survives and the store's columns grow, which made a
    // first round after a 3 s warm-up the slowest of its run).
    const spare = await measure('viewer thread on core 1', Math.max(WARMUP, 10));
    pinThread(traced.proc.pid!, VIEWER_THREAD, 0);
    const shared = await measure('viewer thread on core 0', WARMUP);
    const stats = (await (await fetch(`http://127.0.0.1:${viewerPort}/api/ts-triton/stats`)).json()) as {
      spans: number;
      evictedSpans: number;
    };
    const received = stats.spans + stats.evictedSpans;
    if (received === 0) throw new Error('the embedded viewer received no spans');
    viewerEmbedded = stats;
    const what =
      "passthrough (sleep 0) traced at rate=1 into the embedded viewer (memory store; npm start's trace configuration) / tracing and viewer off; wrk -c50; the server's main thread on core 0";
    ratio(
      'embedded_viewer_traced_vs_off',
      spare.samples,
      'triton-embedded-viewer',
      'triton-off',
      0.7,
      `${what}, the viewer's worker thread on core 1 (beside wrk)`,
    );
    ratio(
      'embedded_viewer_one_core_traced_vs_off',
      shared.samples,
      'triton-embedded-viewer',
      'triton-off',
      null,
      `${what}, the viewer's worker thread on core 0 too; the viewer received ${received} spans for the ${spare.requests + shared.requests} requests of both measurements' rounds and those of the warm-ups`,
    );
  } finally {
    await traced.stop();
    await off.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 9: worker instances (examples/text-features, examples/onnx-silero-vad)

/** The ratio of two variants' median-of-rounds figures `which`, as `num / den` per round (lower is better for latency). */
function latencyRatio(
  key: string,
  samples: Samples,
  num: string,
  den: string,
  which: 'p50' | 'p99',
  target: number,
  description: string,
): void {
  const rs = samples[num]!.map((l, i) => l[which] / samples[den]![i]![which]);
  const value = median(rs);
  figures[key] = {
    value: round3(value),
    min: round3(Math.min(...rs)),
    max: round3(Math.max(...rs)),
    target,
    met: value >= target,
    unit: 'ratio',
    rounds: rs.map(round3),
    description,
  };
  log(
    `==> ${key} = ${value.toFixed(3)} (min ${Math.min(...rs).toFixed(3)}, max ${Math.max(...rs).toFixed(3)}, target >= ${target})`,
  );
}

await group('workers', async () => {
  // Worker instances need the cores: these servers may use both (taskset -c 0,1), beside the load generator.
  const cores = '0,1';
  // About 2 ms of tokenising and hashing per request once optimised (examples/text-features; a 60 KB text).
  const text = 'the quick brown fox jumps over the lazy dog while a model server answers every request in time '.repeat(
    600,
  );
  const textFile = join(tmp, 'text.json');
  writeFileSync(
    textFile,
    JSON.stringify({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1, 1], data: [text] }] }),
  );
  const textLua = luaScript('text', textFile, { 'Content-Type': 'application/json' });
  const pcm = Array.from({ length: 512 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
  const vadFile = join(tmp, 'vad.json');
  writeFileSync(
    vadFile,
    JSON.stringify({
      inputs: [
        { name: 'pcm', datatype: 'INT16', shape: [1, 512], data: pcm },
        { name: 'state', datatype: 'FP32', shape: [1, 2, 128], data: new Array(256).fill(0) },
      ],
    }),
  );
  const vadLua = luaScript('vad', vadFile, { 'Content-Type': 'application/json' });
  const otlpPort = await freePort();
  const sink = await startServer('otlp-sink', 'otlp-sink.ts', { BENCH_OTLP_PORT: String(otlpPort) }, 1);
  const servers: Server[] = [];
  const start = async (name: string, env: Record<string, string>): Promise<Server> => {
    const s = await startServer(name, 'triton.ts', { ...env, BENCH_HTTP_PORT: String(await freePort()) }, cores);
    servers.push(s);
    return s;
  };
  try {
    const workers = await start('text-2-workers', {
      BENCH_MODEL: 'text_features',
      BENCH_INSTANCE_KIND: 'KIND_WORKER',
      BENCH_INSTANCE_COUNT: '2',
    });
    const main = await start('text-1-main', {
      BENCH_MODEL: 'text_features',
      BENCH_INSTANCE_KIND: 'KIND_CPU',
      BENCH_INSTANCE_COUNT: '1',
    });
    const textUrl = (s: Server): string => `http://127.0.0.1:${s.port}/v2/models/text_features/infer`;
    const healthUrl = (s: Server): string => `http://127.0.0.1:${s.port}/v2/health/ready`;
    for (const s of [workers, main]) {
      const res = await post(textUrl(s), readFileSync(textFile), { 'content-type': 'application/json' });
      if (res.status !== 200 || !res.body.toString().includes('"features"'))
        throw new Error(`${s.name}: ${res.status} ${res.body.subarray(0, 200)}`);
    }
    // The probe's floor on this machine: the same probe against the same server with nothing else running.
    const idle: Load[] = [];
    for (let r = 0; r < ROUNDS; r++) idle.push(await pacedProbe(healthUrl(workers), 2));
    // Throughput of the saturated model, and the latency of health checks sent meanwhile at a prober's pace.
    const health: Samples = { [workers.name]: [], [main.name]: [] };
    const saturated =
      (s: Server) =>
      async (sec: number): Promise<Load> => {
        const [load, probe] = await Promise.all([wrk(textUrl(s), textLua, 16, sec), pacedProbe(healthUrl(s), sec)]);
        health[s.name]!.push(probe);
        return load;
      };
    const text2 = await rounds(
      'workers text c16',
      [workers, main].map((s) => ({ name: s.name, pid: s.proc.pid, load: saturated(s) })),
    );
    for (const s of [workers, main]) health[s.name]!.splice(0, 1); // the warm-up's probe
    ratio(
      'workers_2_vs_main_1_cpu_model',
      text2,
      workers.name,
      main.name,
      1.8,
      'examples/text-features (~2 ms of JavaScript per request), wrk -c16: 2 KIND_WORKER instances / 1 KIND_CPU (main-thread) instance',
    );
    latencyRatio(
      'health_p99_main_vs_workers',
      health,
      main.name,
      workers.name,
      'p99',
      20,
      'p99 of /v2/health/ready (one every 10 ms, as a prober sends them) while text-features is saturated (wrk -c16): main-thread instance / worker instances',
    );
    for (const s of [workers, main])
      latency(`health_p99_${s.name}`, health[s.name]!, 'p99', `p99 of /v2/health/ready while ${s.name} is saturated`);
    latency(
      'health_p99_idle',
      idle,
      'p99',
      'p99 of the same probe against text-2-workers with no load: the floor this machine and client set (health_p99_main_vs_workers cannot exceed health_p99_text-1-main / this)',
    );
    await workers.stop();
    await main.stop();

    const otlpUrl = `http://127.0.0.1:${otlpPort}/v1/traces`;
    const batched = await start('vad-batch-32', { BENCH_MODEL: 'silero_vad', BENCH_MAX_BATCH: '32' });
    const unbatched = await start('vad-batch-1', { BENCH_MODEL: 'silero_vad', BENCH_MAX_BATCH: '1' });
    const traced = await start('vad-batch-32-traced', {
      BENCH_MODEL: 'silero_vad',
      BENCH_MAX_BATCH: '32',
      BENCH_TRACE: 'on',
      BENCH_OTLP_URL: otlpUrl,
    });
    const vadUrl = (s: Server): string => `http://127.0.0.1:${s.port}/v2/models/silero_vad/infer`;
    for (const s of [batched, unbatched, traced]) {
      const res = await post(vadUrl(s), readFileSync(vadFile), { 'content-type': 'application/json' });
      if (res.status !== 200 || !res.body.toString().includes('"probability"'))
        throw new Error(`${s.name}: ${res.status} ${res.body.subarray(0, 200)}`);
    }
    // onnxruntime and the JIT keep speeding the servers up for ~10 s of load: a longer warm-up keeps the first
    // rounds from comparing a warm server with a cold one.
    const vad = await rounds(
      'workers silero-vad c64',
      [batched, unbatched, traced].map((s) => ({
        name: s.name,
        pid: s.proc.pid,
        load: (sec: number) => wrk(vadUrl(s), vadLua, 64, sec),
      })),
      SECONDS,
      Math.max(WARMUP, 10),
    );
    ratio(
      'onnx_vad_batched_vs_unbatched',
      vad,
      batched.name,
      unbatched.name,
      1.5,
      'examples/onnx-silero-vad on 2 worker instances, wrk -c64: maxBatchSize 32 / maxBatchSize 1',
    );
    ratio(
      'onnx_vad_traced_vs_untraced',
      vad,
      traced.name,
      batched.name,
      0.95,
      'examples/onnx-silero-vad, maxBatchSize 32: traced (rate=1, 3 spans of its own per request from the worker) / tracing off',
    );
  } finally {
    for (const s of servers) await s.stop();
    await sink.stop();
  }
});

// ---------------------------------------------------------------------------------------------------------------
// 10: moving a 4 MB tensor to a worker and back, against copying it (bench/worker-transfer.ts)

await group('transfer', async () => {
  const out = await run(process.execPath, [join(ROOT, 'bench/worker-transfer.ts')]);
  const measured = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
  const describe: Record<string, string> = {
    clone: 'postMessage round trip of a 4 MB FP32 tensor to a bare worker, structured-clone copies both ways (median)',
    transfer: 'the same round trip with the memory transferred both ways (median)',
    owned:
      'KIND_WORKER echo model through Model.infer, input memory owned by the request (moved; allocation subtracted)',
    copied: 'the same with input memory the request does not own (copied once, output moved back)',
    smallOnMain: 'a 16-element echo through Model.infer, KIND_CPU (median, sequential)',
    smallOnWorker: 'the same on a KIND_WORKER instance: the cost of the hop to a worker and back',
  };
  for (const [name, description] of Object.entries(describe)) {
    const value = measured[name]!;
    figures[`worker_4mb_round_trip_${name}`] = {
      value,
      min: value,
      max: value,
      target: null,
      met: null,
      unit: 'ms',
      rounds: [value],
      description,
    };
  }
  log(`transfer: ${out.trim()}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Report

const cpuModel = cpus()[0]?.model ?? 'unknown';
const toolVersion = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (
    ((r.stdout ?? '') + (r.stderr ?? ''))
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? 'unknown'
  );
};
const machine = {
  cpu: cpuModel,
  cores: cpus().length,
  memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  wrk: toolVersion('wrk', ['-v']),
  h2load: toolVersion('h2load', ['--version']),
};
const totalSeconds = Math.round((Date.now() - started) / 1000);
const result = {
  date: new Date().toISOString(),
  machine,
  method: {
    rounds: ROUNDS,
    grpcRounds: GRPC_ROUNDS,
    secondsPerRound: SECONDS,
    warmupSeconds: WARMUP,
    pinning: 'servers taskset -c 0; wrk/h2load and the OTLP sink taskset -c 1',
    ratio: 'median of per-round ratios (variants alternate order each round), with min and max',
  },
  totalSeconds,
  figures,
  spanCheck: spanCheckResult,
  otlpSink: sinkTotals,
  viewerStore,
  viewerEmbedded,
  failures,
};

const fmt = (f: Figure): string =>
  f.unit === 'ratio' ? f.value.toFixed(2) : f.unit === 'ms' ? f.value.toFixed(2) : String(f.value);
const cpuCell = (f: Figure): string =>
  f.numerator?.cpuUsPerRequest != null && f.denominator?.cpuUsPerRequest != null
    ? `${f.numerator.cpuUsPerRequest.toFixed(1)} / ${f.denominator.cpuUsPerRequest.toFixed(1)}`
    : '—';
const rows = Object.entries(figures).map(
  ([k, f]) =>
    `| \`${k}\` | ${fmt(f)} ${f.unit === 'ratio' ? '' : f.unit} | ${f.unit === 'req/s' ? f.min : f.min.toFixed(2)} – ${f.unit === 'req/s' ? f.max : f.max.toFixed(2)} | ${f.target === null ? '—' : `${f.atMost ? '≤' : '≥'} ${f.target}`} | ${f.met === null ? '—' : f.met ? 'yes' : '**no**'} | ${cpuCell(f)} |`,
);
const table = [
  `Measured ${result.date.slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.wrk}, ${machine.h2load}; ` +
    `${ROUNDS} rounds × ${SECONDS} s after a ${WARMUP} s warm-up (4 MB tensor: ${TENSOR_SECONDS} s rounds and warm-up; gRPC: ${GRPC_ROUNDS} rounds); whole run ${totalSeconds} s.`,
  '',
  '| figure | value | min – max | target | met | server CPU µs/request (numerator / denominator) |',
  '|---|---|---|---|---|---|',
  ...rows,
  ...(failures.length ? ['', '**Failed groups:**', ...failures.map((f) => `- ${f}`)] : []),
].join('\n');

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
/** A run of some groups only writes its own files, so the full run's results stay. */
const resultName = ONLY ? `latest-${ONLY.join('-')}` : 'latest';
writeFileSync(join(ROOT, `bench/results/${resultName}.json`), JSON.stringify(result, null, 2) + '\n');
writeFileSync(join(ROOT, `bench/results/${resultName}.md`), table + '\n');
const docPath = join(ROOT, 'docs/performance.md');
try {
  const doc = readFileSync(docPath, 'utf8');
  const start = doc.indexOf('<!-- bench:start -->');
  const end = doc.indexOf('<!-- bench:end -->');
  if (start >= 0 && end > start && !ONLY) {
    writeFileSync(docPath, `${doc.slice(0, start)}<!-- bench:start -->\n${table}\n${doc.slice(end)}`);
  }
} catch {
  // docs/performance.md is optional for the run.
}
console.log('\n' + table);
log(`done in ${totalSeconds} s; wrote bench/results/${resultName}.json`);
process.exitCode = failures.length ? 1 : 0;
