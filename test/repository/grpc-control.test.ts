import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ModelConfig, Tensor } from '../../src/index.ts';
import { type GrpcServer, rejectsWith, startServer, Status } from '../grpc/helpers.ts';
import { repositoryFolder, tagModel } from './repository-fixture.ts';

describe('model repository over gRPC', () => {
  const repo = repositoryFolder();
  const servers: GrpcServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    repo.dispose();
  });
  repo.write('a', undefined, 'model.mjs', tagModel(1));
  repo.write('broken', undefined, 'model.mjs', "throw new Error('cannot open the session');\n");
  const index = async (server: GrpcServer) =>
    (await server.client.call('repositoryIndex', {})).models.map((m) => [m.name, m.version, m.state, m.reason]);

  it('explicit: RepositoryModelLoad and RepositoryModelUnload load from disk; a failed load is INVALID_ARGUMENT with its reason', async () => {
    const server = await startServer(() => undefined, { modelRepository: repo.root, modelControlMode: 'explicit' });
    servers.push(server);
    assert.deepEqual(await index(server), [
      ['a', '', '', ''],
      ['broken', '', '', ''],
    ]);
    await server.client.call('repositoryModelLoad', { modelName: 'a' });
    const { config } = await server.client.call('modelConfig', { name: 'a' });
    assert.equal(config!.versionPolicy!.policyChoice.case, 'latest');
    assert.equal((config!.versionPolicy!.policyChoice.value as { numVersions: number }).numVersions, 1);
    await rejectsWith(
      server.client.call('repositoryModelLoad', { modelName: 'broken' }),
      Status.INVALID_ARGUMENT,
      "load failed for model 'broken': version 1: cannot open the session",
    );
    assert.deepEqual(await index(server), [
      ['a', '1', 'READY', ''],
      ['broken', '1', 'UNAVAILABLE', 'cannot open the session'],
    ]);
    await server.client.call('repositoryModelUnload', { modelName: 'a' });
    assert.deepEqual((await index(server))[0], ['a', '1', 'UNAVAILABLE', 'unloaded']);
  });

  it('none: load and unload are UNAVAILABLE; a model bound in code keeps its name and the repository one fails to load', async () => {
    const server = await startServer(
      (triton) =>
        triton.bind({
          modelName: 'a',
          inferFunc: (requests) => requests.map(() => ({ y: new Int32Array([99]) })),
          inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
          outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
          config: ModelConfig({ maxBatchSize: 0 }),
        }),
      { modelRepository: repo.root },
    );
    servers.push(server);
    for (const rpc of ['repositoryModelLoad', 'repositoryModelUnload'] as const) {
      await rejectsWith(
        server.client.call(rpc, { modelName: 'broken' }),
        Status.UNAVAILABLE,
        'explicit model load / unload is not allowed if polling is enabled',
      );
    }
    const models = (await index(server)).map((m) => m.join(' '));
    assert.ok(models.includes('a 1 READY '), 'the bound model');
    assert.ok(
      models.includes('a  UNAVAILABLE a model of that name is bound in code'),
      'the repository model of the same name',
    );
    const response = await server.client.call('modelInfer', {
      modelName: 'a',
      inputs: [{ name: 'x', datatype: 'INT32', shape: [1n], contents: { intContents: [0] } }],
    });
    assert.deepEqual([...new Int32Array(new Uint8Array(response.rawOutputContents[0]!).buffer)], [99]);
  });
});
