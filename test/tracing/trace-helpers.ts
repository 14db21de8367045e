/**
 * Shared pieces of the Triton-mode tracing tests: a server with Triton's `simple` model, HTTP helpers for
 * inference and the trace settings API, and trace file readers that count traces as `trace_summary.py` does.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type InferFunc, ModelConfig, NDArray, Tensor, type Triton } from '../../src/index.ts';
import { startTriton } from '../helpers/server.ts';
import { until } from '../helpers/within.ts';

/** Triton's QA `simple` model: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
export const simpleInfer: InferFunc = (requests) =>
  requests.map((request) => {
    const a = request.data.INPUT0!;
    const b = request.data.INPUT1!;
    const x = a.data as Int32Array;
    const y = b.data as Int32Array;
    return {
      OUTPUT0: new NDArray(
        'INT32',
        x.map((v, i) => v + y[i]!),
        a.shape,
      ),
      OUTPUT1: new NDArray(
        'INT32',
        x.map((v, i) => v - y[i]!),
        a.shape,
      ),
    };
  });

const INT32_16 = { dtype: 'INT32', shape: [16] } as const;

/** A running server with its base URL and a fresh directory for trace files (`await using` stops it). */
export interface TracedServer extends AsyncDisposable {
  readonly triton: Triton;
  readonly base: string;
  readonly dir: string;
  /** `<dir>/<fileName>`, the configured trace file. */
  readonly file: string;
}

export interface ServerOptions {
  /** Trace file name inside the fresh directory (default `trace.log`). */
  readonly fileName?: string;
  /** The infer function of every bound model (default {@link simpleInfer}). */
  readonly inferFunc?: InferFunc;
  /** Model names to bind (default `['simple']`). */
  readonly models?: readonly string[];
}

/**
 * Starts a server with `simple` (and any other `models`) bound.
 * @param traceConfig - `--trace-config` strings; `{file}` is replaced by the trace file path.
 */
export async function startServer(traceConfig: readonly string[], options: ServerOptions = {}): Promise<TracedServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-triton-'));
  const file = path.join(dir, options.fileName ?? 'trace.log');
  const server = await startTriton({
    config: {
      allowGrpc: false,
      traceConfig: traceConfig.map((entry) => entry.replace('{file}', file)),
    },
    models: (options.models ?? ['simple']).map((modelName) => ({
      modelName,
      inferFunc: options.inferFunc ?? simpleInfer,
      inputs: [Tensor({ name: 'INPUT0', ...INT32_16 }), Tensor({ name: 'INPUT1', ...INT32_16 })],
      outputs: [Tensor({ name: 'OUTPUT0', ...INT32_16 }), Tensor({ name: 'OUTPUT1', ...INT32_16 })],
      config: ModelConfig({ maxBatchSize: 8 }),
    })),
  });
  const traced: TracedServer = {
    triton: server.triton,
    base: server.http,
    dir,
    file,
    [Symbol.asyncDispose]: () => stopServer(traced),
  };
  return traced;
}

/** Stops the server and removes its trace directory. */
export async function stopServer(server: TracedServer | undefined): Promise<void> {
  if (!server) return;
  await server.triton.stop();
  fs.rmSync(server.dir, { recursive: true, force: true });
}

/** The body of Triton's `simple_http_infer_client`: INPUT0 = 0..15, INPUT1 = 1s, request id "1". */
export const SIMPLE_BODY = JSON.stringify({
  id: '1',
  inputs: [
    { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Array.from({ length: 16 }, () => 1) },
  ],
});

/** Sends `n` inference requests to `model`, one after the other, each expected to succeed. */
export async function infer(server: TracedServer, n = 1, model = 'simple'): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${server.base}/v2/models/${model}/infer`, { method: 'POST', body: SIMPLE_BODY });
    const text = await response.text();
    assert.equal(response.status, 200, text);
  }
}

/**
 * Waits until `condition` holds (at most `timeoutMs`). A request's trace completes when the server sees its
 * response closed, which can be just after the client got the response.
 */
export function waitFor(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  return until(condition, timeoutMs, what);
}

/** An HTTP answer: status and JSON body. */
export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json: any;
  readonly contentType: string | null;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, contentType: response.headers.get('content-type') };
}

function settingUrl(server: TracedServer, model: string | undefined): string {
  return model === undefined ? `${server.base}/v2/trace/setting` : `${server.base}/v2/models/${model}/trace/setting`;
}

/** GET of the global (`model` undefined) or a model's trace settings. */
export async function getSetting(server: TracedServer, model?: string): Promise<Answer> {
  return answer(await fetch(settingUrl(server, model)));
}

/** POST of a trace settings update; `body` is sent as JSON unless it is a string. */
export async function postSetting(server: TracedServer, model: string | undefined, body: unknown): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return answer(await fetch(settingUrl(server, model), { method: 'POST', body: text }));
}

/** A successful GET's settings. */
export async function settings(server: TracedServer, model?: string): Promise<Record<string, unknown>> {
  const result = await getSetting(server, model);
  assert.equal(result.status, 200, result.text);
  return result.json;
}

/** A successful POST's settings. */
export async function update(
  server: TracedServer,
  model: string | undefined,
  body: unknown,
): Promise<Record<string, unknown>> {
  const result = await postSetting(server, model, body);
  assert.equal(result.status, 200, result.text);
  return result.json;
}

/** One object of a Triton trace file. */
export type TraceObject = Record<string, any>;

/** Reads a trace file as its JSON array. */
export function readTraceFile(file: string): TraceObject[] {
  const text = fs.readFileSync(file, 'utf8');
  const objects: unknown = JSON.parse(text);
  assert.ok(Array.isArray(objects), `${file} holds a JSON array`);
  return objects as TraceObject[];
}

/** The objects of a file grouped by trace id, in file order. */
export function groupById(objects: readonly TraceObject[]): Map<number, TraceObject[]> {
  const byId = new Map<number, TraceObject[]>();
  for (const object of objects) {
    assert.equal(typeof object.id, 'number', `object without numeric id: ${JSON.stringify(object)}`);
    const list = byId.get(object.id) ?? [];
    list.push(object);
    byId.set(object.id, list);
  }
  return byId;
}

/** Number of traces of `model` (trace ids whose model-info object names it) in a list of objects. */
export function countTraces(objects: readonly TraceObject[], model = 'simple'): number {
  let count = 0;
  for (const list of groupById(objects).values()) {
    if (list.some((o) => 'model_name' in o && o.model_name === model)) count++;
  }
  return count;
}

/** Number of traces of `model` in a trace file. */
export function tracesInFile(file: string, model = 'simple'): number {
  return countTraces(readTraceFile(file), model);
}

/**
 * Waits until `file` holds a complete trace file (trace files are written off the request path, shortly after
 * the traces are collected).
 */
export async function waitForTraceFile(file: string): Promise<void> {
  const complete = (): boolean => {
    try {
      readTraceFile(file);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(complete, `trace file ${file}`);
}

/** The files in `dir`, sorted. */
export function filesIn(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Timestamp names of one trace's objects, in file order. */
export function timestampNames(objects: readonly TraceObject[]): string[] {
  return objects.filter((o) => 'timestamps' in o).map((o) => o.timestamps[0].name as string);
}
