import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelConfig, Tensor } from '../../src/index.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';

interface Duration {
  count: number;
  ns: number;
}
interface ModelStats {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<
    'success' | 'fail' | 'queue' | 'compute_input' | 'compute_infer' | 'compute_output',
    Duration
  >;
  batch_stats: { batch_size: number; compute_input: Duration; compute_infer: Duration; compute_output: Duration }[];
}

describe('statistics and logging extensions over HTTP', () => {
  let server: TestServer;
  let base: string;
  before(async () => {
    server = await startTriton({
      config: { allowGrpc: false },
      bind: (triton) => {
        triton.bind({
          modelName: 'slow',
          inferFunc: async (requests) => {
            await sleep(20);
            if (requests.some((r) => r.id === 'fail')) throw new Error('failed on purpose');
            return requests.map((r) => ({ y: r.data.x! }));
          },
          inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
          outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
          config: ModelConfig({ maxBatchSize: 8 }),
        });
      },
    });
    base = `${server.http}/v2`;
  });
  after(() => server.stop());

  const infer = (rows: number, id = 'ok') =>
    fetch(`${base}/models/slow/infer`, {
      method: 'POST',
      body: JSON.stringify({
        id,
        inputs: [{ name: 'x', datatype: 'INT32', shape: [rows, 1], data: Array(rows).fill(1) }],
      }),
    });
  const stats = async (path = '/models/slow/stats'): Promise<ModelStats[]> =>
    ((await (await fetch(`${base}${path}`)).json()) as { model_stats: ModelStats[] }).model_stats;

  it('starts at zero', async () => {
    const [s] = await stats();
    assert.equal(s!.name, 'slow');
    assert.equal(s!.version, '1');
    assert.equal(s!.inference_count, 0);
    assert.equal(s!.execution_count, 0);
    assert.equal(s!.last_inference, 0);
    assert.deepEqual(s!.inference_stats.success, { count: 0, ns: 0 });
  });

  it('counts requests, batch elements, executions and compute phases consistently', async () => {
    await infer(1);
    const burst = [infer(1), infer(2), infer(1), infer(3)];
    for (const response of await Promise.all(burst)) assert.equal(response.status, 200);
    const [s] = await stats();
    const { success, queue, compute_input, compute_infer, compute_output, fail } = s!.inference_stats;
    assert.equal(success.count, 5);
    assert.equal(fail.count, 0);
    assert.equal(s!.inference_count, 8, 'batch elements: 1 + 1 + 2 + 1 + 3');
    assert.ok(
      s!.execution_count >= 2 && s!.execution_count < 5,
      `${s!.execution_count} executions: the burst was batched`,
    );
    for (const phase of [queue, compute_input, compute_infer, compute_output]) assert.equal(phase.count, 5);
    assert.ok(compute_infer.ns >= 5 * 20e6 * 0.9, 'each request is charged its batch execution (20 ms)');
    assert.ok(success.ns >= compute_infer.ns);
    const executions = s!.batch_stats.reduce((n, b) => n + b.compute_infer.count, 0);
    assert.equal(executions, s!.execution_count);
    assert.equal(
      s!.batch_stats.reduce((n, b) => n + b.batch_size * b.compute_infer.count, 0),
      8,
    );
    assert.ok(s!.last_inference > Date.now() - 60_000);
  });

  it('counts failures', async () => {
    assert.equal((await infer(1, 'fail')).status, 500);
    const bad = await fetch(`${base}/models/slow/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,1],"data":[1]}]}',
    });
    assert.equal(bad.status, 400);
    const [s] = await stats();
    assert.equal(s!.inference_stats.fail.count, 2);
    assert.equal(s!.inference_stats.success.count, 5);
  });

  it('serves all models, one version, and 404 for unknown ones', async () => {
    assert.deepEqual(
      (await stats('/models/stats')).map((s) => s.name),
      ['slow'],
    );
    assert.equal((await stats('/models/slow/versions/1/stats')).length, 1);
    const unknown = await fetch(`${base}/models/nope/stats`);
    assert.equal(unknown.status, 404);
  });

  it('reads and updates the logging settings', async () => {
    const initial = await (await fetch(`${base}/logging`)).json();
    assert.deepEqual(initial, {
      log_file: '',
      log_info: true,
      log_warning: true,
      log_error: true,
      log_verbose_level: 0,
      log_format: 'default',
    });
    const post = (body: object) => fetch(`${base}/logging`, { method: 'POST', body: JSON.stringify(body) });
    const updated = await (await post({ log_verbose_level: 1, log_format: 'ISO8601', log_info: null })).json();
    assert.deepEqual(updated, { ...initial, log_verbose_level: 1, log_format: 'ISO8601' });
    const file = await post({ log_file: '/tmp/x.log' });
    assert.equal(file.status, 501);
    assert.deepEqual(await file.json(), { error: 'log file location can not be updated through network protocol' });
    const format = await post({ log_format: 'fancy' });
    assert.equal(format.status, 503);
    assert.deepEqual(await format.json(), { error: 'invalid argument for --log_format, got: fancy' });
    assert.equal((await post({ log_info: 'yes' })).status, 400);
    await post({ log_verbose_level: 0, log_format: 'default' });
  });

  it('lists the statistics and logging extensions', async () => {
    const { extensions } = (await (await fetch(base)).json()) as { extensions: string[] };
    assert.ok(extensions.includes('statistics'));
    assert.ok(extensions.includes('logging'));
  });
});
