/**
 * Admin changes closed unless opened: on a frontend bound to a non-loopback address, requests that change the
 * server (model load and unload, log and trace settings updates) are refused unless `allowRemoteAdmin` is set
 * or their group is restricted (the header then being the key). Reads and inference are served as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback } from '../../src/frontends/access.ts';
import type { TritonConfig } from '../../src/index.ts';
import { metadataOf } from '../grpc/client.ts';
import { type GrpcServer, identityModel, rejectsWith, startServer } from '../grpc/helpers.ts';

const PERMISSION_DENIED = 7;
const PUBLIC: Partial<TritonConfig> = { httpAddress: '0.0.0.0', grpcAddress: '0.0.0.0' };

async function withServer(config: Partial<TritonConfig>, fn: (server: GrpcServer) => Promise<void>): Promise<void> {
  const server = await startServer((triton) => triton.bind(identityModel('m')), config);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

const post = (server: GrpcServer, path: string, body = '{}', headers: Record<string, string> = {}) =>
  fetch(`${server.http}${path}`, { method: 'POST', body, headers });

/** The HTTP requests that change the server. */
const CHANGES: readonly [string, string][] = [
  ['/v2/repository/models/m/unload', 'model-repository'],
  ['/v2/repository/models/m/load', 'model-repository'],
  ['/v2/logging', 'logging'],
  ['/v2/trace/setting', 'trace'],
  ['/v2/models/m/trace/setting', 'trace'],
];

describe('admin changes on a non-loopback address', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.equal(isLoopback(a), true, a);
    for (const a of ['0.0.0.0', '::', '192.0.2.2', 'fd00::2', '128.0.0.1', 'example.com'])
      assert.equal(isLoopback(a), false, a);
  });

  it('HTTP refuses them with 403 naming how to open them; reads and inference are served', async () => {
    await withServer(PUBLIC, async (server) => {
      for (const [path, group] of CHANGES) {
        const response = await post(server, path);
        assert.equal(response.status, 403, path);
        const { error } = (await response.json()) as { error: string };
        assert.equal(
          error,
          `this request changes the server ('${group}' API) and is refused on non-loopback address 0.0.0.0; ` +
            `restrict the group with TritonConfig.httpRestrictedApi (e.g. '${group}:<header>=<secret>') or set TritonConfig.allowRemoteAdmin`,
        );
      }
      assert.equal((await fetch(`${server.http}/v2/logging`)).status, 200);
      assert.equal((await fetch(`${server.http}/v2/trace/setting`)).status, 200);
      assert.equal((await post(server, '/v2/repository/index')).status, 200);
      const infer = await post(
        server,
        '/v2/models/m/infer',
        '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}',
      );
      assert.equal(infer.status, 200);
    });
  });

  it('gRPC refuses them with PERMISSION_DENIED; reading the settings is served', async () => {
    await withServer(PUBLIC, async (server) => {
      const denied = (group: string) =>
        new RegExp(`^this request changes the server \\('${group}' API\\) .*grpcRestrictedProtocol`);
      await rejectsWith(
        server.client.call('repositoryModelUnload', { modelName: 'm' }),
        PERMISSION_DENIED,
        denied('model-repository'),
      );
      await rejectsWith(
        server.client.call('repositoryModelLoad', { modelName: 'm' }),
        PERMISSION_DENIED,
        denied('model-repository'),
      );
      const logUpdate = { settings: { log_info: { parameterChoice: { case: 'boolParam', value: false } } } } as const;
      await rejectsWith(server.client.call('logSettings', logUpdate), PERMISSION_DENIED, denied('logging'));
      const traceUpdate = { settings: { trace_rate: { value: ['1'] } } };
      await rejectsWith(server.client.call('traceSetting', traceUpdate), PERMISSION_DENIED, denied('trace'));
      await server.client.call('logSettings', {});
      await server.client.call('traceSetting', {});
      await server.client.call('repositoryIndex', {});
    });
  });

  it('allowRemoteAdmin opens them', async () => {
    await withServer({ ...PUBLIC, allowRemoteAdmin: true }, async (server) => {
      for (const [path] of CHANGES) assert.equal((await post(server, path)).status, 200, path);
      await server.client.call('repositoryModelUnload', { modelName: 'm' });
      await server.client.call('repositoryModelLoad', { modelName: 'm' });
    });
  });

  it("a group's restriction opens them to requests with its header", async () => {
    const restrict = ['model-repository,logging,trace:admin-key=s3cret'];
    await withServer({ ...PUBLIC, httpRestrictedApi: restrict, grpcRestrictedProtocol: restrict }, async (server) => {
      for (const [path] of CHANGES) {
        assert.equal((await post(server, path)).status, 403, path);
        assert.equal((await post(server, path, '{}', { 'admin-key': 's3cret' })).status, 200, path);
      }
      await server.client.call(
        'repositoryModelUnload',
        { modelName: 'm' },
        metadataOf({ 'triton-grpc-protocol-admin-key': 's3cret' }),
      );
    });
  });

  it('a loopback address serves them as Triton does', async () => {
    await withServer({}, async (server) => {
      for (const [path] of CHANGES) assert.equal((await post(server, path)).status, 200, path);
      await server.client.call('repositoryModelUnload', { modelName: 'm' });
    });
  });
});
