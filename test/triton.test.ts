import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type InferFunc, ModelConfig, NDArray, Tensor, Triton, type TritonError } from '../src/index.ts';
import { setLogSink } from '../src/logger.ts';
import { VERSION } from '../src/version.ts';
import { readFileSync } from 'node:fs';
import { Recorder } from './helpers/within.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

/** Requests the sleepers started, by model name. */
const begun = new Recorder<string>();

const sleepModel =
  (ms: number, name: string): InferFunc =>
  async (requests) => {
    begun.push(...requests.map(() => name));
    await sleep(ms);
    return requests.map((r) => ({ y: r.data.x! }));
  };

function bindSleeper(triton: Triton, ms: number, name = 'sleeper'): void {
  triton.bind({
    modelName: name,
    inferFunc: sleepModel(ms, name),
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  });
}

function infer(port: number, model = 'sleeper'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v2/models/${model}/infer`, {
    method: 'POST',
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1.5] }] }),
  });
}

describe('Triton', () => {
  it('run() resolves once the HTTP frontend listens; stop() closes it', async () => {
    const triton = new Triton({ config: LOCAL });
    bindSleeper(triton, 0);
    await triton.run();
    const port = triton.httpPort!;
    assert.equal((await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status, 200);
    await triton.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/health/live`));
  });

  it('stop() drains in-flight requests before closing', async () => {
    const triton = new Triton({ config: LOCAL });
    bindSleeper(triton, 200, 'drained');
    await triton.run();
    const port = triton.httpPort!;
    const inFlight = infer(port, 'drained');
    await begun.includes('drained');
    const stopped = triton.stop();
    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(((await response.json()) as any).outputs[0].data, [1.5]);
    await stopped;
  });

  it('stop() gives up waiting after exitTimeoutSecs, answering what is left with 503', async () => {
    const triton = new Triton({ config: { ...LOCAL, exitTimeoutSecs: 0 } });
    bindSleeper(triton, 5_000, 'abandoned');
    await triton.run();
    const inFlight = infer(triton.httpPort!, 'abandoned');
    await begun.includes('abandoned');
    const started = performance.now();
    await triton.stop();
    assert.ok(performance.now() - started < 1_000);
    const response = await inFlight;
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('connection'), 'close');
    assert.deepEqual(await response.json(), {
      error: 'Server is shutting down: the exit timeout expired before the request was answered',
    });
  });

  it('supports await using', async () => {
    let port = 0;
    {
      await using triton = new Triton({ config: LOCAL });
      bindSleeper(triton, 0);
      await triton.run();
      port = triton.httpPort!;
      assert.equal((await infer(port)).status, 200);
    }
    await assert.rejects(fetch(`http://127.0.0.1:${port}/v2/health/live`));
  });

  it('binds models after run() and serves them at once', async () => {
    await using triton = new Triton({ config: LOCAL });
    bindSleeper(triton, 0, 'first');
    await triton.run();
    bindSleeper(triton, 0, 'late');
    assert.equal((await infer(triton.httpPort!, 'late')).status, 200);
  });

  it('rejects a model bound twice with the same name and version', () => {
    const triton = new Triton({ config: LOCAL });
    bindSleeper(triton, 0);
    assert.throws(
      () => bindSleeper(triton, 0),
      (e: TritonError) => e.code === 'ALREADY_EXISTS',
    );
  });

  it('serves two versions, the highest by default', async () => {
    await using triton = new Triton({ config: LOCAL });
    for (const version of [1, 2]) {
      triton.bind({
        modelName: 'v',
        modelVersion: version,
        inferFunc: (requests) => requests.map(() => ({ y: NDArray.from([version], 'INT32') })),
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
        outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      });
    }
    await triton.run();
    const base = `http://127.0.0.1:${triton.httpPort}/v2/models/v`;
    const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [0] }] });
    const latest = (await (await fetch(`${base}/infer`, { method: 'POST', body })).json()) as any;
    const first = (await (await fetch(`${base}/versions/1/infer`, { method: 'POST', body })).json()) as any;
    assert.equal(latest.model_version, '2');
    assert.deepEqual(latest.outputs[0].data, [2]);
    assert.equal(first.model_version, '1');
    assert.deepEqual(((await (await fetch(base)).json()) as any).versions, ['1', '2']);
  });

  it('fails run() with a message naming a bad config field', async () => {
    const triton = new Triton({ config: { ...LOCAL, httpPort: 70000 } });
    await assert.rejects(triton.run(), /TritonConfig\.httpPort must be an integer port from 0 to 65535; got 70000/);
  });

  it("fails run() on a bad trace configuration, with Triton's message", async () => {
    const triton = new Triton({ config: { ...LOCAL, traceConfig: ['rate=abc'] } });
    await assert.rejects(triton.run(), /Invalid option value\. Got abc/);
  });

  it('fails run() when the port is taken', async () => {
    await using first = new Triton({ config: LOCAL });
    await first.run();
    const second = new Triton({ config: { ...LOCAL, httpPort: first.httpPort! } });
    await assert.rejects(second.run(), /EADDRINUSE/);
  });

  it('reports the package version in server metadata', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.equal(VERSION, pkg.version);
    await using triton = new Triton({ config: { ...LOCAL, id: 'my-server' } });
    await triton.run();
    const meta = (await (await fetch(`http://127.0.0.1:${triton.httpPort}/v2`)).json()) as any;
    assert.equal(meta.name, 'my-server');
    assert.equal(meta.version, VERSION);
  });
});

describe('the start-up log', () => {
  async function startupLines(config: object): Promise<string[]> {
    const lines: string[] = [];
    const previous = setLogSink((_level, message) => lines.push(message));
    try {
      const triton = new Triton({ config: { ...LOCAL, ...config } });
      bindSleeper(triton, 0, 'first');
      bindSleeper(triton, 0, 'second');
      await triton.run();
      await triton.stop();
    } finally {
      setLogSink(previous);
    }
    return lines;
  }

  it('names the models served, the trace mode and the collector URL', async () => {
    const lines = await startupLines({
      traceConfig: [
        'mode=opentelemetry',
        'level=TIMESTAMPS',
        'rate=10',
        'opentelemetry,url=http://127.0.0.1:1/v1/traces',
      ],
    });
    assert.ok(
      lines.includes(
        "Serving models 'first' version 1, 'second' version 1; tracing in opentelemetry mode (level TIMESTAMPS, rate 10), exporting to the collector at http://127.0.0.1:1/v1/traces",
      ),
      lines.join('\n'),
    );
  });

  it('says when tracing is off', async () => {
    const lines = await startupLines({});
    assert.ok(
      lines.includes(
        "Serving models 'first' version 1, 'second' version 1; tracing off (trace mode triton, level OFF)",
      ),
      lines.join('\n'),
    );
  });
});
