/**
 * The trace viewer's store figures, in one process (run pinned to one core by bench/run.ts, with --expose-gc):
 *
 * 1. Real exports: the shipped passthrough example (`npm start`'s server, its viewer off) traces the guide's
 *    request `BENCH_VIEWER_REQUESTS` times, exporting OTLP/HTTP protobuf to a receiver here that keeps each body.
 * 2. Ingest: copies of those bodies, each with its trace ids made new and its times moved back (so every copy holds
 *    new traces), are decoded by the viewer's protobuf decoder and added to a memory store until it holds
 *    `BENCH_VIEWER_SPANS` spans; the CPU time spent in decode + add gives spans/s.
 * 3. Memory per stored span: heap used plus ArrayBuffer memory (the store's typed-array columns live there) after
 *    a full GC with the store filled, less before, over the spans stored.
 * 4. Fetch and search at that size, through the query API handler (`handleApi`, Jaeger's JSON included).
 * 5. The same ingest, fetch and search with the SQLite store (a file in a temporary directory), at
 *    `BENCH_VIEWER_SQLITE_SPANS` spans.
 *
 * Prints one JSON line of results on stdout.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { handleApi } from '../src/viewer/api/index.ts';
import { decodeOtlpProtobuf } from '../src/viewer/otlp/decode-protobuf.ts';
import { MemoryStore } from '../src/viewer/store/memory-store.ts';
import { SqliteStore } from '../src/viewer/store/sqlite-store.ts';
import type { TraceStore } from '../src/viewer/store/trace-store.ts';
import { startExample } from '../test/helpers/example-process.ts';

const REQUESTS = Number(process.env.BENCH_VIEWER_REQUESTS ?? 2048);
const TARGET_SPANS = Number(process.env.BENCH_VIEWER_SPANS ?? 1_000_000);
const SQLITE_SPANS = Number(process.env.BENCH_VIEWER_SQLITE_SPANS ?? 200_000);
const SERVICE = 'test_server_with_passthrough';
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

// 1. Real exports of the passthrough example.
const bodies: Buffer[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    bodies.push(request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
    response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const otlpUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
const example = await startExample('examples/passthrough/server.ts', {
  TS_TRITON_TRACE_VIEWER: 'false',
  TS_TRITON_TRACE_CONFIG: JSON.stringify([
    'level=TIMESTAMPS',
    'rate=1',
    'mode=opentelemetry',
    `opentelemetry,url=${otlpUrl}`,
    `opentelemetry,resource=service.name=${SERVICE}`,
    'opentelemetry,resource=test.key=test.value',
  ]),
});
let sent = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (sent < REQUESTS) {
      sent++;
      const response = await fetch(`${example.url}/v2/models/passthrough/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sleep: 0.001, error: false }),
      });
      if (response.status !== 200) throw new Error(`guide request: ${response.status} ${await response.text()}`);
      await response.arrayBuffer();
    }
  }),
);
if ((await example.stop()) !== 0) throw new Error(`example failed:\n${example.log()}`);
receiver.close();
// Each request's tree has four spans; requests batched together also give a `batch passthrough` span.
const capturedSpans = bodies.reduce(
  (sum, body) => sum + decodeOtlpProtobuf(body).spans.filter((span) => !span.name.startsWith('batch ')).length,
  0,
);
if (capturedSpans !== REQUESTS * 4)
  throw new Error(`captured ${capturedSpans} request spans, expected ${REQUESTS * 4}`);

// 2. Where each body holds trace ids and times, to make copies with new traces.
interface Places {
  traceIds: number[];
  times: number[];
}
const places = bodies.map(locate);

function locate(body: Buffer): Places {
  const found: Places = { traceIds: [], times: [] };
  // Field paths: request.1 resourceSpans → .2 scopeSpans → .2 span → {1 trace id, 7/8 times, 11 events (.1 time), 13 links (.1 trace id)}.
  const walk = (
    start: number,
    end: number,
    kind: 'request' | 'resourceSpans' | 'scopeSpans' | 'span' | 'event' | 'link',
  ): void => {
    let at = start;
    while (at < end) {
      let tag = 0;
      let shift = 0;
      for (;;) {
        const byte = body[at++]!;
        tag |= (byte & 0x7f) << shift;
        shift += 7;
        if (byte < 0x80) break;
      }
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === 0) {
        while (body[at++]! >= 0x80);
      } else if (wire === 1) {
        if ((kind === 'span' && (field === 7 || field === 8)) || (kind === 'event' && field === 1))
          found.times.push(at);
        at += 8;
      } else if (wire === 5) {
        at += 4;
      } else if (wire === 2) {
        let length = 0;
        shift = 0;
        for (;;) {
          const byte = body[at++]!;
          length += (byte & 0x7f) * 2 ** shift;
          shift += 7;
          if (byte < 0x80) break;
        }
        const next =
          kind === 'request' && field === 1
            ? 'resourceSpans'
            : kind === 'resourceSpans' && field === 2
              ? 'scopeSpans'
              : kind === 'scopeSpans' && field === 2
                ? 'span'
                : kind === 'span' && field === 11
                  ? 'event'
                  : kind === 'span' && field === 13
                    ? 'link'
                    : undefined;
        if (next !== undefined) walk(at, at + length, next);
        else if (field === 1 && (kind === 'span' || kind === 'link') && length === 16) found.traceIds.push(at);
        at += length;
      } else throw new Error(`wire type ${wire} at ${at}`);
    }
  };
  walk(0, body.length, 'request');
  return found;
}

/** Copy `k` of body `i`: trace ids stamped with k, times moved back by k × 5 ms. */
function copy(i: number, k: number): Buffer {
  const body = Buffer.from(bodies[i]!);
  for (const at of places[i]!.traceIds) body.writeUInt32BE(k, at);
  const shift = BigInt(k) * 5_000_000n;
  for (const at of places[i]!.times) body.writeBigUInt64LE(body.readBigUInt64LE(at) - shift, at);
  return body;
}

/**
 * The process's CPU time (user + system) in ns. Ingest is timed in CPU time, not wall time: on a shared machine
 * the wall time of a pinned process also counts the time other processes hold its core.
 */
function cpuNs(): bigint {
  const { user, system } = process.cpuUsage();
  return BigInt(user + system) * 1000n;
}

// 3. Ingest into a memory store, timing decode + add only (CPU time).
gc();
gc();
/** Heap used plus the memory of ArrayBuffers (outside the heap: the memory store's typed-array columns). */
function memoryUsed(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
const heapBefore = memoryUsed();
const memory = new MemoryStore({ maxSpans: TARGET_SPANS * 2, maxBytes: 2 ** 40 });
const store = memory;
let decodeNs = 0n;
let addNs = 0n;
/** Spans/s over the first 100k spans (a small heap) and over each later 100k. */
const perStep: number[] = [];
let stepNs = 0n;
let k = 1;
const traceIds: string[] = [];
while (store.stats().spans < TARGET_SPANS) {
  for (let i = 0; i < bodies.length && store.stats().spans < TARGET_SPANS; i++) {
    const body = copy(i, k);
    const before = store.stats().spans;
    const t0 = cpuNs();
    const decoded = decodeOtlpProtobuf(body);
    const t1 = cpuNs();
    store.add(decoded.spans);
    const t2 = cpuNs();
    decodeNs += t1 - t0;
    addNs += t2 - t1;
    stepNs += t2 - t0;
    if (Math.floor(store.stats().spans / 100_000) > Math.floor(before / 100_000)) {
      perStep.push(Math.round(100_000 / (Number(stepNs) / 1e9)));
      stepNs = 0n;
    }
    if (traceIds.length < 1000 && k % 7 === 0) traceIds.push(decoded.spans[0]!.traceId);
  }
  k++;
}
const ingestNs = decodeNs + addNs;
const stats = store.stats();
gc();
gc();
const heapAfter = memoryUsed();

// 4. Fetch and search through the query API.
async function timed(
  path: string,
  runs: number,
  store: TraceStore = memory,
): Promise<{ medianMs: number; maxMs: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const url = new URL(`http://viewer${path.replace('{id}', traceIds[(r * 37) % traceIds.length]!)}`);
    const t0 = performance.now();
    const response = await handleApi(store, 'GET', url);
    times.push(performance.now() - t0);
    if (response?.status !== 200) throw new Error(`${path}: ${response?.status} ${response?.body.slice(0, 200)}`);
    bytes = response.body.length;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, maxMs: times[times.length - 1]!, bytes };
}

const fetchTrace = await timed('/api/traces/{id}', 200);
const search = await timed(`/api/traces?service=${SERVICE}&limit=20&lookback=1h`, 30);
const searchFiltered = await timed(
  `/api/traces?service=${SERVICE}&operation=passthrough&tags=${encodeURIComponent('{"triton.model_name":"passthrough"}')}&minDuration=1ms&limit=20`,
  30,
);

store.close();

// 5. The SQLite store.
gc();
const dir = mkdtempSync(join(tmpdir(), 'ts-triton-bench-sqlite-'));
const sqlite = new SqliteStore({ path: join(dir, 'traces.db'), maxSpans: SQLITE_SPANS * 2, maxBytes: 2 ** 40 });
let sqliteNs = 0n;
traceIds.length = 0;
for (let copyIndex = 1; sqlite.stats().spans < SQLITE_SPANS; copyIndex++) {
  for (let i = 0; i < bodies.length && sqlite.stats().spans < SQLITE_SPANS; i++) {
    const body = copy(i, copyIndex);
    const t0 = cpuNs();
    const decoded = decodeOtlpProtobuf(body);
    sqlite.add(decoded.spans);
    sqliteNs += cpuNs() - t0;
    if (traceIds.length < 1000) traceIds.push(decoded.spans[0]!.traceId);
  }
}
const sqliteResult = {
  spans: sqlite.stats().spans,
  spansPerSecond: sqlite.stats().spans / (Number(sqliteNs) / 1e9),
  fetchTrace: await timed('/api/traces/{id}', 100, sqlite),
  search: await timed(`/api/traces?service=${SERVICE}&limit=20&lookback=1h`, 20, sqlite),
  searchFiltered: await timed(
    `/api/traces?service=${SERVICE}&operation=passthrough&tags=${encodeURIComponent('{"triton.model_name":"passthrough"}')}&minDuration=1ms&limit=20`,
    20,
    sqlite,
  ),
};
sqlite.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    captured: { requests: REQUESTS, exports: bodies.length, spans: capturedSpans },
    stored: { spans: stats.spans, traces: stats.traces, estimatedBytes: stats.bytes },
    ingest: {
      seconds: Number(ingestNs) / 1e9,
      spansPerSecond: stats.spans / (Number(ingestNs) / 1e9),
      decodeSeconds: Number(decodeNs) / 1e9,
      addSeconds: Number(addNs) / 1e9,
      spansPerSecondPer100k: perStep,
    },
    heapBytesPerSpan: (heapAfter - heapBefore) / stats.spans,
    fetchTrace,
    search,
    searchFiltered,
    sqlite: sqliteResult,
  }),
);
