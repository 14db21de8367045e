/**
 * RepositoryModelLoad and RepositoryModelUnload over gRPC (triton-protocol.md §3.13, §4): unloading makes a bound
 * model unavailable (RepositoryIndex shows it UNAVAILABLE, "unloaded"), loading makes it available again; a
 * repository name, and load parameters `config` or `file:*`, are UNIMPLEMENTED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GrpcServer, identityModel, numericRaw, rejectsWith, startServer, Status } from './helpers.ts';

describe('RepositoryModelLoad / RepositoryModelUnload over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => triton.bind(identityModel('m')));
  });
  after(() => server.stop());

  const infer = () =>
    server.client.call('modelInfer', {
      modelName: 'm',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
      rawInputContents: [numericRaw('FP32', [1])],
    });
  const index = async () =>
    (await server.client.call('repositoryIndex', {})).models.map((m) => [m.name, m.version, m.state, m.reason]);

  it('unload makes the model unavailable; load makes it available again', async () => {
    await server.client.call('repositoryModelUnload', { modelName: 'm' });
    await server.client.call('repositoryModelUnload', { modelName: 'm' });
    assert.deepEqual(await index(), [['m', '1', 'UNAVAILABLE', 'unloaded']]);
    await rejectsWith(infer(), Status.NOT_FOUND, "Request for unknown model: 'm' has no available versions");
    const http = await fetch(`${server.http}/v2/models/m/ready`);
    assert.equal(http.status, 404, 'HTTP sees the same state');

    await server.client.call('repositoryModelLoad', { modelName: 'm' });
    assert.deepEqual(await index(), [['m', '1', 'READY', '']]);
    await infer();
    await server.client.call('repositoryModelLoad', { modelName: 'm' });
    assert.deepEqual(await index(), [['m', '1', 'READY', '']], 'loading a loaded model changes nothing');
  });

  it('a model unloaded over HTTP is loaded over gRPC', async () => {
    assert.equal((await fetch(`${server.http}/v2/repository/models/m/unload`, { method: 'POST' })).status, 200);
    assert.deepEqual(await index(), [['m', '1', 'UNAVAILABLE', 'unloaded']]);
    await server.client.call('repositoryModelLoad', { modelName: 'm' });
    await infer();
  });

  it('unknown model: NOT_FOUND', async () => {
    await rejectsWith(
      server.client.call('repositoryModelLoad', { modelName: 'nope' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'nope' is not found",
    );
    await rejectsWith(
      server.client.call('repositoryModelUnload', { modelName: 'nope' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'nope' is not found",
    );
  });

  it('a repository name: UNIMPLEMENTED', async () => {
    const message = "'repository_name' specification is not supported";
    await rejectsWith(
      server.client.call('repositoryModelLoad', { repositoryName: 'models', modelName: 'm' }),
      Status.UNIMPLEMENTED,
      message,
    );
    await rejectsWith(
      server.client.call('repositoryModelUnload', { repositoryName: 'models', modelName: 'm' }),
      Status.UNIMPLEMENTED,
      message,
    );
    assert.deepEqual(await index(), [['m', '1', 'READY', '']]);
  });

  it('load parameters config and file:*: UNIMPLEMENTED as over HTTP; others are ignored', async () => {
    const load = (key: string) =>
      server.client.call('repositoryModelLoad', {
        modelName: 'm',
        parameters: { [key]: { parameterChoice: { case: 'stringParam', value: '{}' } } },
      });
    for (const key of ['config', 'file:1/model.onnx']) {
      const http = await fetch(`${server.http}/v2/repository/models/m/load`, {
        method: 'POST',
        body: JSON.stringify({ parameters: { [key]: '{}' } }),
      });
      const { error } = (await http.json()) as { error: string };
      await rejectsWith(load(key), Status.UNIMPLEMENTED, error);
      assert.match(error, new RegExp(`^load parameter '${key}' is not supported`));
    }
    await load('other');
  });

  it('unload parameters (unload_dependents) are accepted', async () => {
    await server.client.call('repositoryModelUnload', {
      modelName: 'm',
      parameters: { unload_dependents: { parameterChoice: { case: 'boolParam', value: true } } },
    });
    await server.client.call('repositoryModelLoad', { modelName: 'm' });
  });
});
