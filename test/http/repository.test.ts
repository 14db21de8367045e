import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelConfig, Tensor } from '../../src/index.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';

describe('model repository extension over HTTP', () => {
  let server: TestServer;
  let base: string;
  before(async () => {
    server = await startTriton({
      config: { allowGrpc: false },
      bind: (triton) => {
        for (const name of ['a', 'b']) {
          triton.bind({
            modelName: name,
            inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
            inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
            outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
            config: ModelConfig({ maxBatchSize: 0 }),
          });
        }
      },
    });
    base = `${server.http}/v2`;
  });
  after(() => server.stop());

  const post = (path: string, body?: object) =>
    fetch(`${base}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  const infer = () => post('/models/a/infer', { inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [3] }] });

  it("unloads a model: not ready, requests fail with Triton's error, the index says why", async () => {
    const unloaded = await post('/repository/models/a/unload');
    assert.equal(unloaded.status, 200);
    assert.equal(await unloaded.text(), '');
    const failed = await infer();
    assert.equal(failed.status, 404);
    assert.deepEqual(await failed.json(), { error: "Request for unknown model: 'a' has no available versions" });
    assert.equal((await fetch(`${base}/models/a/ready`)).status, 404);
    assert.deepEqual(await (await post('/repository/index')).json(), [
      { name: 'a', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'b', version: '1', state: 'READY' },
    ]);
    assert.deepEqual(await (await post('/repository/index', { ready: true })).json(), [
      { name: 'b', version: '1', state: 'READY' },
    ]);
  });

  it('loads it again', async () => {
    assert.equal((await post('/repository/models/a/load')).status, 200);
    assert.equal((await infer()).status, 200);
    assert.equal((await fetch(`${base}/models/a/ready`)).status, 200);
    assert.equal(((await (await post('/repository/index')).json()) as unknown[]).length, 2);
  });

  it('rejects unknown models, repository names, model files and a non-boolean ready', async () => {
    const unknown = await post('/repository/models/nope/unload');
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: "Request for unknown model: 'nope' is not found" });
    const named = await post('/repository/myrepo/models/a/load');
    assert.equal(named.status, 501);
    assert.deepEqual(await named.json(), { error: "'repository_name' specification is not supported" });
    const files = await post('/repository/models/a/load', { parameters: { 'file:1/model.onnx': 'AAAA' } });
    assert.equal(files.status, 501);
    assert.match(
      ((await files.json()) as { error: string }).error,
      /load parameter 'file:1\/model.onnx' is not supported/,
    );
    const ready = await post('/repository/index', { ready: 'yes' });
    assert.equal(ready.status, 400);
    assert.deepEqual(await ready.json(), { error: "Invalid value for 'ready': expected a boolean" });
  });

  it('lists the model_repository extension', async () => {
    const { extensions } = (await (await fetch(base)).json()) as { extensions: string[] };
    assert.ok(extensions.includes('model_repository'));
  });
});
