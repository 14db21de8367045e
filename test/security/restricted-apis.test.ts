/**
 * Triton's restricted APIs (`httpRestrictedApi`, `grpcRestrictedProtocol`): every endpoint and RPC belongs to an
 * API group; a restricted group answers only requests carrying its header (HTTP 403 `This API is restricted,
 * expecting header '<key>'`; gRPC UNAVAILABLE `This protocol is restricted, expecting header
 * 'triton-grpc-protocol-<key>'`, as Triton's src/http_server.cc and src/grpc/grpc_handler.h).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_GROUPS, type ApiGroup, parseRestrictedApis } from '../../src/config/restricted-apis.ts';
import { resolveConfig } from '../../src/config/triton-config.ts';
import { RPC_ACCESS } from '../../src/frontends/grpc/access-guard.ts';
import { serviceDefinitions } from '../../src/frontends/grpc/proto.ts';
import { ModelClient } from '../../src/client/index.ts';
import { Triton } from '../../src/index.ts';
import { metadataOf } from '../grpc/client.ts';
import { type GrpcServer, identityModel, numericRaw, rejectsWith, startServer, Status } from '../grpc/helpers.ts';

/** Every group restricted by its own header `<group>-key: v-<group>`. */
const EVERY_GROUP = API_GROUPS.map((g) => `${g}:${g}-key=v-${g}`);
const headerOf = (group: ApiGroup): Record<string, string> => ({ [`${group}-key`]: `v-${group}` });

describe('parseRestrictedApis', () => {
  it("reads Triton's '<group>[,<group>...]:<key>=<value>' entries", () => {
    const parsed = parseRestrictedApis(
      ['model-repository,logging:admin-key=a=b', 'inference:k=v'],
      'httpRestrictedApi',
    );
    assert.deepEqual(
      [...parsed],
      [
        ['model-repository', { key: 'admin-key', value: 'a=b' }],
        ['logging', { key: 'admin-key', value: 'a=b' }],
        ['inference', { key: 'k', value: 'v' }],
      ],
    );
    assert.equal(parseRestrictedApis([], 'httpRestrictedApi').size, 0);
  });

  it('names the field and hides the value of a bad entry', () => {
    const bad = (entry: string | string[], message: RegExp): void => {
      assert.throws(
        () => parseRestrictedApis(Array.isArray(entry) ? entry : [entry], 'grpcRestrictedProtocol'),
        (e: Error) => {
          assert.match(e.message, message);
          assert.doesNotMatch(e.message, /secret/);
          return true;
        },
      );
    };
    bad(
      'inference',
      /^TritonConfig\.grpcRestrictedProtocol entries must be '<group>\[,<group>\.\.\.\]:<key>=<value>'; got 'inference'$/,
    );
    bad('inference:key', /entries must be .* got 'inference:key'/);
    bad(':key=secret', /entries must be .* got ':key=<6 characters>'/);
    bad('inference:=secret', /entries must be/);
    bad('inference:key=', /entries must be/);
    bad(
      'inferenc:key=secret',
      /unknown API group 'inferenc' in 'inferenc:key=<6 characters>'; groups are health, metadata, inference,/,
    );
    bad('inference:a key=secret', /header key 'a key' .* is not a header name/);
    bad(
      ['inference,trace:a=secret', 'trace:b=secret'],
      /API group 'trace' is named in 'inference,trace:a=<6 characters>' and in 'trace:b=<6 characters>'/,
    );
  });

  it('comes from TS_TRITON_HTTP_RESTRICTED_API / TS_TRITON_GRPC_RESTRICTED_PROTOCOL as JSON arrays', () => {
    const config = resolveConfig(
      {},
      {
        TS_TRITON_HTTP_RESTRICTED_API: '["inference:k=v"]',
        TS_TRITON_GRPC_RESTRICTED_PROTOCOL: '["trace:k=v"]',
        TS_TRITON_ALLOW_REMOTE_ADMIN: 'true',
      },
    );
    assert.deepEqual(config.httpRestrictedApi, ['inference:k=v']);
    assert.deepEqual(config.grpcRestrictedProtocol, ['trace:k=v']);
    assert.equal(config.allowRemoteAdmin, true);
  });

  it('run() refuses a bad entry, naming the field', async () => {
    const triton = new Triton({
      config: { httpPort: 0, allowGrpc: false, allowMetrics: false, httpRestrictedApi: ['infer:k=v'] },
    });
    await assert.rejects(triton.run(), /TritonConfig\.httpRestrictedApi: unknown API group 'infer'/);
  });
});

describe('restricted APIs over HTTP', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => triton.bind(identityModel('m')), {
      httpRestrictedApi: EVERY_GROUP,
      allowGrpc: true,
    });
  });
  after(() => server.stop());

  /** Every HTTP endpoint with its group (Triton's RETURN_AND_RESPOND_IF_RESTRICTED calls). */
  const ENDPOINTS: readonly [string, string, ApiGroup, string?][] = [
    ['GET', '/v2', 'metadata'],
    ['GET', '/v2/health/live', 'health'],
    ['GET', '/v2/health/ready', 'health'],
    ['GET', '/v2/models/m', 'metadata'],
    ['GET', '/v2/models/m/versions/1', 'metadata'],
    ['GET', '/v2/models/m/ready', 'health'],
    ['GET', '/v2/models/m/config', 'model-config'],
    ['POST', '/v2/models/m/infer', 'inference', '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}'],
    ['POST', '/v2/models/m/generate', 'inference', '{"x":[1]}'],
    ['POST', '/v2/models/m/generate_stream', 'inference', '{"x":[1]}'],
    ['POST', '/v2/repository/index', 'model-repository'],
    ['POST', '/v2/repository/models/m/unload', 'model-repository'],
    ['POST', '/v2/repository/models/m/load', 'model-repository'],
    ['GET', '/v2/models/stats', 'statistics'],
    ['GET', '/v2/models/m/stats', 'statistics'],
    ['GET', '/v2/logging', 'logging'],
    ['POST', '/v2/logging', 'logging', '{}'],
    ['GET', '/v2/trace/setting', 'trace'],
    ['POST', '/v2/trace/setting', 'trace', '{}'],
    ['GET', '/v2/models/m/trace/setting', 'trace'],
    ['POST', '/v2/models/m/trace/setting', 'trace', '{}'],
  ];

  for (const [method, path, group, body] of ENDPOINTS) {
    it(`${method} ${path} is in group '${group}'`, async () => {
      const request = (headers: Record<string, string>) =>
        fetch(`${server.http}${path}`, { method, headers, ...(body ? { body } : {}) });
      const without = await request({});
      assert.equal(without.status, 403);
      assert.deepEqual(await without.json(), { error: `This API is restricted, expecting header '${group}-key'` });
      const wrong = await request({ [`${group}-key`]: 'v-wrong' });
      assert.equal(wrong.status, 403, 'a wrong value');
      const other = group === 'health' ? 'metadata' : 'health';
      assert.equal((await request(headerOf(other))).status, 403, "another group's header");
      const allowed = await request(headerOf(group));
      assert.notEqual(allowed.status, 403, await allowed.text());
      assert.ok(allowed.status < 500);
    });
  }

  it('matches the header name case-insensitively and the value exactly', async () => {
    assert.equal((await fetch(`${server.http}/v2/health/live`, { headers: { 'HEALTH-KEY': 'v-health' } })).status, 200);
    assert.equal((await fetch(`${server.http}/v2/health/live`, { headers: { 'health-key': 'V-HEALTH' } })).status, 403);
  });

  it('the client sends its headers with every call, readiness included', async () => {
    const headers = Object.assign({}, ...API_GROUPS.map(headerOf)) as Record<string, string>;
    await using client = new ModelClient(server.http, 'm', { initTimeoutS: 5, inferenceTimeoutS: 5, headers });
    assert.deepEqual([...((await client.inferSample({ x: new Float32Array([2]) })).y!.data as Float32Array)], [2]);
    await using refused = new ModelClient(server.http, 'm', { initTimeoutS: 1, inferenceTimeoutS: 1 });
    await assert.rejects(refused.inferSample({ x: new Float32Array([2]) }));
  });

  it('leaves the gRPC frontend unrestricted', async () => {
    assert.equal((await server.client.call('serverLive', {})).live, true);
  });
});

describe('restricted APIs over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => triton.bind(identityModel('m')), { grpcRestrictedProtocol: EVERY_GROUP });
  });
  after(() => server.stop());

  const keyed = (group: ApiGroup, value = `v-${group}`) => metadataOf({ [`triton-grpc-protocol-${group}-key`]: value });
  const restricted = (group: ApiGroup) =>
    `This protocol is restricted, expecting header 'triton-grpc-protocol-${group}-key'`;

  it('names a group for every RPC of both services', () => {
    const { inference, health } = serviceDefinitions();
    for (const name of [...Object.keys(inference), ...Object.keys(health)]) assert.ok(RPC_ACCESS[name], name);
  });

  const UNARY: readonly [Parameters<GrpcServer['client']['call']>[0], object, ApiGroup][] = [
    ['serverLive', {}, 'health'],
    ['serverReady', {}, 'health'],
    ['modelReady', { name: 'm' }, 'health'],
    ['serverMetadata', {}, 'metadata'],
    ['modelMetadata', { name: 'm' }, 'metadata'],
    ['modelConfig', { name: 'm' }, 'model-config'],
    [
      'modelInfer',
      {
        modelName: 'm',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
        rawInputContents: [numericRaw('FP32', [1])],
      },
      'inference',
    ],
    ['modelStatistics', {}, 'statistics'],
    ['repositoryIndex', {}, 'model-repository'],
    ['repositoryModelUnload', { modelName: 'm' }, 'model-repository'],
    ['repositoryModelLoad', { modelName: 'm' }, 'model-repository'],
    ['systemSharedMemoryStatus', {}, 'shared-memory'],
    ['cudaSharedMemoryStatus', {}, 'shared-memory'],
    ['traceSetting', {}, 'trace'],
    ['logSettings', {}, 'logging'],
  ];

  for (const [name, request, group] of UNARY) {
    it(`${name} is in group '${group}'`, async () => {
      await rejectsWith(server.client.call(name, request as never), Status.UNAVAILABLE, restricted(group));
      await rejectsWith(
        server.client.call(name, request as never, keyed(group, 'v-wrong')),
        Status.UNAVAILABLE,
        restricted(group),
      );
      try {
        await server.client.call(name, request as never, keyed(group));
      } catch (error) {
        assert.notEqual((error as { code: number }).code, Status.UNAVAILABLE, (error as Error).message);
      }
    });
  }

  it("Health/Check is in group 'health'", async () => {
    await rejectsWith(server.client.healthCheck(), Status.UNAVAILABLE, restricted('health'));
    assert.equal((await server.client.healthCheck('', keyed('health'))).status, 1);
  });

  it("ModelStreamInfer is in group 'inference': the stream ends with the restriction's status", async () => {
    const request = {
      modelName: 'm',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
      rawInputContents: [numericRaw('FP32', [1])],
    };
    const refused = await server.client.streamAll([request]);
    assert.equal(refused.error?.code, Status.UNAVAILABLE);
    assert.equal(refused.error?.details, restricted('inference'));
    assert.equal(refused.responses.length, 0);
    const served = await server.client.streamAll([request], keyed('inference'));
    assert.equal(served.error, undefined);
    assert.equal(served.responses.length, 1);
  });

  it('the client sends its metadata with every call, readiness included', async () => {
    const headers = Object.fromEntries(API_GROUPS.map((g) => [`triton-grpc-protocol-${g}-key`, `v-${g}`]));
    const url = `grpc://127.0.0.1:${server.triton.grpcPort}`;
    await using client = new ModelClient(url, 'm', { initTimeoutS: 5, inferenceTimeoutS: 5, headers });
    assert.deepEqual([...((await client.inferSample({ x: new Float32Array([2]) })).y!.data as Float32Array)], [2]);
    await using refused = new ModelClient(url, 'm', { initTimeoutS: 1, inferenceTimeoutS: 1 });
    await assert.rejects(refused.inferSample({ x: new Float32Array([2]) }));
  });

  it('leaves the HTTP frontend unrestricted', async () => {
    assert.equal((await fetch(`${server.http}/v2/health/live`)).status, 200);
  });
});
