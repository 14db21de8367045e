/**
 * The Prometheus metrics endpoint against a real server: Triton's families, HELP and TYPE lines, values equal
 * to the statistics extension's, the failure reasons, the pending gauge, process metrics, 404/405, and two
 * servers in one process (triton-protocol.md §6).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { type InferFunc, type LogSink, ModelConfig, setLogSink, Tensor, Triton } from '../../src/index.ts';
import { type Exposition, parseExposition, samplesOf, valueOf } from './prometheus-text.ts';
import { until } from '../helpers/within.ts';

const LOCAL = {
  httpPort: 0,
  httpAddress: '127.0.0.1',
  metricsPort: 0,
  metricsAddress: '127.0.0.1',
  allowGrpc: false,
};

/** Triton's per-model families: name, TYPE, HELP (verbatim from Triton's metrics.cc). */
const FAMILIES: readonly (readonly [string, string, string])[] = [
  ['nv_inference_request_success', 'counter', 'Number of successful inference requests, all batch sizes'],
  ['nv_inference_request_failure', 'counter', 'Number of failed inference requests, all batch sizes'],
  ['nv_inference_count', 'counter', 'Number of inferences performed (does not include cached requests)'],
  ['nv_inference_exec_count', 'counter', 'Number of model executions performed (does not include cached requests)'],
  [
    'nv_inference_request_duration_us',
    'counter',
    'Cumulative inference request duration in microseconds (includes cached requests)',
  ],
  [
    'nv_inference_queue_duration_us',
    'counter',
    'Cumulative inference queuing duration in microseconds (includes cached requests)',
  ],
  [
    'nv_inference_compute_input_duration_us',
    'counter',
    'Cumulative compute input duration in microseconds (does not include cached requests)',
  ],
  [
    'nv_inference_compute_infer_duration_us',
    'counter',
    'Cumulative compute inference duration in microseconds (does not include cached requests)',
  ],
  [
    'nv_inference_compute_output_duration_us',
    'counter',
    'Cumulative inference compute output duration in microseconds (does not include cached requests)',
  ],
  [
    'nv_inference_pending_request_count',
    'gauge',
    'Instantaneous number of pending requests awaiting execution per-model.',
  ],
];

const REASONS = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'] as const;

interface Duration {
  count: number;
  ns: number;
}
interface ModelStats {
  inference_count: number;
  execution_count: number;
  inference_stats: Record<
    'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output',
    Duration
  >;
}

/** A gate infer functions wait on; `open()` lets every waiting and later execution through. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { wait: () => promise, open: () => resolve() };
}

const X = [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })];
const Y = [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })];

/** Binds an INT32 identity model whose executions wait on `wait()` and are recorded in `batches`. */
function bindGated(
  triton: Triton,
  modelName: string,
  wait: () => Promise<void>,
  batches: number[],
  config: ModelConfig,
): void {
  const inferFunc: InferFunc = async (requests) => {
    batches.push(requests.length);
    await wait();
    return requests.map((r) => ({ y: r.data.x! }));
  };
  triton.bind({ modelName, inferFunc, inputs: X, outputs: Y, config });
}

const body = (rows: number): string =>
  JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [rows, 1], data: Array(rows).fill(1) }] });

describe('metrics endpoint', () => {
  const logs: string[] = [];
  let previousSink: LogSink;
  const triton = new Triton({ config: LOCAL });
  const sumGate = gate();
  const sumBatches: number[] = [];
  const limitedGate = gate();
  const limitedBatches: number[] = [];
  let api = '';
  let metricsUrl = '';

  const infer = (model: string, rows = 1, signal?: AbortSignal): Promise<Response> =>
    fetch(`${api}/models/${model}/infer`, { method: 'POST', body: body(rows), signal });
  const scrape = async (url = metricsUrl): Promise<Exposition> => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    return parseExposition(await response.text());
  };
  const stats = async (model: string): Promise<ModelStats> =>
    ((await (await fetch(`${api}/models/${model}/stats`)).json()) as { model_stats: ModelStats[] }).model_stats[0]!;
  const metric = async (name: string, labels: Record<string, string>): Promise<number> =>
    valueOf(await scrape(), name, labels);

  before(async () => {
    previousSink = setLogSink((_level, message) => logs.push(message));
    bindGated(triton, 'sum', sumGate.wait, sumBatches, ModelConfig({ maxBatchSize: 8 }));
    bindGated(
      triton,
      'limited',
      limitedGate.wait,
      limitedBatches,
      ModelConfig({ maxBatchSize: 1, batcher: { defaultQueuePolicy: { maxQueueSize: 1 } } }),
    );
    triton.bind({
      modelName: 'broken',
      inferFunc: () => {
        throw new Error('broken on purpose');
      },
      inputs: X,
      outputs: Y,
      modelVersion: 3,
    });
    await triton.run();
    api = `http://127.0.0.1:${triton.httpPort}/v2`;
    metricsUrl = `http://127.0.0.1:${triton.metricsPort}/metrics`;
  });
  after(async () => {
    sumGate.open();
    limitedGate.open();
    await triton.stop();
    setLogSink(previousSink);
  });

  it('listens on its own port and logs it', () => {
    assert.equal(typeof triton.metricsPort, 'number');
    assert.notEqual(triton.metricsPort, triton.httpPort);
    assert.ok(logs.includes(`Started Metrics Service at 127.0.0.1:${triton.metricsPort}`), logs.join('\n'));
  });

  it('answers GET /metrics in the Prometheus text format with HELP and TYPE of every family', async () => {
    const response = await fetch(metricsUrl);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const lines = text.split('\n');
    const exposition = parseExposition(text);
    for (const [name, type, help] of FAMILIES) {
      const at = lines.indexOf(`# HELP ${name} ${help}`);
      assert.ok(at >= 0, `HELP of ${name}`);
      assert.equal(lines[at + 1], `# TYPE ${name} ${type}`);
      assert.equal(exposition.help.get(name), help);
      assert.equal(exposition.type.get(name), type);
    }
  });

  it('has every family at 0 for every model before any request, with all four failure reasons', async () => {
    const exposition = await scrape();
    for (const [model, version] of [
      ['sum', '1'],
      ['limited', '1'],
      ['broken', '3'],
    ] as const) {
      for (const [name] of FAMILIES) {
        if (name === 'nv_inference_request_failure') continue;
        assert.equal(valueOf(exposition, name, { model, version }), 0, `${name} of ${model}`);
      }
      const failures = samplesOf(exposition, 'nv_inference_request_failure', { model, version });
      assert.deepEqual(failures.map((s) => s.labels.reason).sort(), [...REASONS].sort(), model);
      for (const reason of REASONS) {
        assert.equal(valueOf(exposition, 'nv_inference_request_failure', { model, version, reason }), 0);
      }
    }
  });

  it('gauges pending requests: queued ones count, executing ones do not', async () => {
    const first = infer('sum', 1);
    await until(() => sumBatches.length === 1);
    assert.equal(await metric('nv_inference_pending_request_count', { model: 'sum', version: '1' }), 0);
    const queued = [infer('sum', 1), infer('sum', 2), infer('sum', 3)];
    await until(async () => (await metric('nv_inference_pending_request_count', { model: 'sum', version: '1' })) === 3);
    assert.equal(await metric('nv_inference_pending_request_count', { model: 'sum', version: '1' }), 3);
    sumGate.open();
    for (const response of await Promise.all([first, ...queued])) assert.equal(response.status, 200);
    assert.deepEqual(sumBatches, [1, 3], 'the three queued requests ran as one batch');
    assert.equal(await metric('nv_inference_pending_request_count', { model: 'sum', version: '1' }), 0);
  });

  it('counts failures by reason: BACKEND, OTHER (bad input), CANCELED and REJECTED', async () => {
    assert.equal((await infer('broken')).status, 500);
    const badInput = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] });
    assert.equal((await fetch(`${api}/models/sum/infer`, { method: 'POST', body: badInput })).status, 400);

    const executing = infer('limited');
    await until(() => limitedBatches.length === 1);
    const abort = new AbortController();
    const cancelled = infer('limited', 1, abort.signal).catch((error: unknown) => error);
    await until(
      async () => (await metric('nv_inference_pending_request_count', { model: 'limited', version: '1' })) === 1,
    );
    abort.abort();
    await cancelled;
    const canceled = { model: 'limited', version: '1', reason: 'CANCELED' };
    await until(async () => (await metric('nv_inference_request_failure', canceled)) === 1);
    const queued = infer('limited');
    await until(
      async () => (await metric('nv_inference_pending_request_count', { model: 'limited', version: '1' })) === 1,
    );
    assert.equal((await infer('limited')).status, 503, 'the queue holds one request');
    limitedGate.open();
    for (const response of await Promise.all([executing, queued])) assert.equal(response.status, 200);

    const exposition = await scrape();
    const failures = (model: string, version: string) =>
      Object.fromEntries(
        REASONS.map((reason) => [
          reason,
          valueOf(exposition, 'nv_inference_request_failure', { model, version, reason }),
        ]),
      );
    assert.deepEqual(failures('broken', '3'), { REJECTED: 0, CANCELED: 0, BACKEND: 1, OTHER: 0 });
    assert.deepEqual(failures('sum', '1'), { REJECTED: 0, CANCELED: 0, BACKEND: 0, OTHER: 1 });
    assert.deepEqual(failures('limited', '1'), { REJECTED: 1, CANCELED: 1, BACKEND: 0, OTHER: 0 });
  });

  it('reports exactly the numbers of the statistics extension (durations: ns / 1000, truncated)', async () => {
    const expected = {
      sum: { success: 4, inferences: 1 + 1 + 2 + 3, executions: 2 },
      limited: { success: 2, inferences: 2, executions: 2 },
      broken: { success: 0, inferences: 1, executions: 1 },
    };
    const exposition = await scrape();
    for (const [model, version] of [
      ['sum', '1'],
      ['limited', '1'],
      ['broken', '3'],
    ] as const) {
      const s = await stats(model);
      const labels = { model, version };
      const value = (name: string): number => valueOf(exposition, name, labels);
      const us = (d: Duration): number => Math.floor(d.ns / 1000);
      assert.equal(value('nv_inference_request_success'), s.inference_stats.success.count, model);
      assert.equal(value('nv_inference_request_success'), expected[model].success, model);
      assert.equal(value('nv_inference_count'), s.inference_count, model);
      assert.equal(value('nv_inference_count'), expected[model].inferences, model);
      assert.equal(value('nv_inference_exec_count'), s.execution_count, model);
      assert.equal(value('nv_inference_exec_count'), expected[model].executions, model);
      const failed = REASONS.reduce(
        (n, reason) => n + valueOf(exposition, 'nv_inference_request_failure', { ...labels, reason }),
        0,
      );
      assert.equal(failed, s.inference_stats.fail.count, model);
      assert.equal(value('nv_inference_request_duration_us'), us(s.inference_stats.success), model);
      assert.equal(value('nv_inference_queue_duration_us'), us(s.inference_stats.queue), model);
      assert.equal(value('nv_inference_compute_input_duration_us'), us(s.inference_stats.compute_input), model);
      assert.equal(value('nv_inference_compute_infer_duration_us'), us(s.inference_stats.compute_infer), model);
      assert.equal(value('nv_inference_compute_output_duration_us'), us(s.inference_stats.compute_output), model);
    }
    const sum = (name: string): number => valueOf(exposition, name, { model: 'sum', version: '1' });
    assert.ok(sum('nv_inference_compute_infer_duration_us') > 0, 'the gated executions took time');
    assert.ok(sum('nv_inference_queue_duration_us') > 0, 'the queued requests waited');
    assert.ok(sum('nv_inference_request_duration_us') >= sum('nv_inference_compute_infer_duration_us'));
  });

  it('includes a model bound after the server started', async () => {
    triton.bind({
      modelName: 'late',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: X,
      outputs: Y,
    });
    assert.equal((await infer('late', 2)).status, 200);
    const exposition = await scrape();
    assert.equal(valueOf(exposition, 'nv_inference_request_success', { model: 'late', version: '1' }), 1);
    assert.equal(valueOf(exposition, 'nv_inference_count', { model: 'late', version: '1' }), 2);
    assert.equal(samplesOf(exposition, 'nv_inference_request_failure', { model: 'late', version: '1' }).length, 4);
  });

  it('exports process and event-loop metrics under the ts_triton_ prefix only', async () => {
    const exposition = await scrape();
    for (const name of [
      'ts_triton_process_cpu_user_seconds_total',
      'ts_triton_process_start_time_seconds',
      'ts_triton_process_resident_memory_bytes',
      'ts_triton_nodejs_eventloop_lag_seconds',
      'ts_triton_nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(exposition.type.has(name), `${name} is exported`);
    }
    assert.ok(samplesOf(exposition, 'ts_triton_process_start_time_seconds')[0]!.value > 1e9);
    const families = [...exposition.type.keys()];
    assert.deepEqual(
      families.filter((n) => !n.startsWith('ts_triton_') && !n.startsWith('nv_')),
      [],
    );
  });

  it('answers 404 to other paths and 405 to other methods', async () => {
    for (const path of ['/', '/v2', '/metric', '/metrics/x']) {
      const response = await fetch(`http://127.0.0.1:${triton.metricsPort}${path}`);
      assert.equal(response.status, 404, path);
      await response.arrayBuffer();
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const response = await fetch(metricsUrl, { method, body: method === 'DELETE' ? undefined : 'x' });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET');
      await response.arrayBuffer();
    }
    assert.equal((await fetch(`${metricsUrl}?name[]=x`)).status, 200, 'a query string is ignored');
  });

  it('serves a second server in the same process from its own registry', async () => {
    await using second = new Triton({ config: LOCAL });
    second.bind({
      modelName: 'other',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: X,
      outputs: Y,
    });
    await second.run();
    assert.notEqual(second.metricsPort, triton.metricsPort);
    const response = await fetch(`http://127.0.0.1:${second.httpPort}/v2/models/other/infer`, {
      method: 'POST',
      body: body(1),
    });
    assert.equal(response.status, 200);
    const [mine, theirs] = await Promise.all([scrape(), scrape(`http://127.0.0.1:${second.metricsPort}/metrics`)]);
    const models = (e: Exposition): string[] =>
      [...new Set(samplesOf(e, 'nv_inference_request_success').map((s) => s.labels.model!))].sort();
    assert.deepEqual(models(theirs), ['other']);
    assert.deepEqual(models(mine), ['broken', 'late', 'limited', 'sum']);
    assert.equal(valueOf(theirs, 'nv_inference_request_success', { model: 'other', version: '1' }), 1);
    assert.ok(theirs.type.has('ts_triton_process_cpu_user_seconds_total'));
    assert.equal(globalRegistry.getMetricsAsArray().length, 0, "prom-client's global registry stays empty");
  });

  it('stops serving metrics when the server stops', async () => {
    const third = new Triton({ config: LOCAL });
    await third.run();
    const url = `http://127.0.0.1:${third.metricsPort}/metrics`;
    assert.equal((await fetch(url)).status, 200);
    await third.stop();
    await assert.rejects(fetch(url));
  });

  it('does not listen when allowMetrics is false', async () => {
    await using off = new Triton({ config: { ...LOCAL, allowMetrics: false } });
    await off.run();
    assert.equal(off.metricsPort, undefined);
  });
});
