/**
 * The health, metadata, configuration and repository RPCs over gRPC, and grpc.health.v1.Health, answered
 * from the same data as their HTTP counterparts (triton-protocol.md §3.2-3.5, §3.13, §4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamicBatcher, ModelConfig, QueuePolicy, Tensor } from '../../src/index.ts';
import { VERSION } from '../../src/version.ts';
import {
  DataType as ConfigDataType,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  ModelQueuePolicy_TimeoutAction,
} from './gen/model_config_pb.js';
import { HealthCheckResponse_ServingStatus } from './gen/health_pb.js';
import { type GrpcServer, identity, rejectsWith, startServer, Status } from './helpers.ts';

describe('health, metadata and repository RPCs over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer(
      (triton) => {
        triton.bind({
          modelName: 'batched',
          inferFunc: [identity, identity],
          inputs: [
            Tensor({ name: 'x', dtype: 'FP32', shape: [-1, 3] }),
            Tensor({ name: 'mask', dtype: 'BOOL', shape: [3], optional: true }),
          ],
          outputs: [Tensor({ name: 'y', dtype: 'BYTES', shape: [-1, 3] })],
          config: ModelConfig({
            maxBatchSize: 16,
            batcher: DynamicBatcher({
              preferredBatchSize: [4, 8],
              maxQueueDelayMicroseconds: 100,
              priorityLevels: 2,
              defaultPriorityLevel: 1,
              defaultQueuePolicy: QueuePolicy({
                timeoutAction: 'DELAY',
                defaultTimeoutMicroseconds: 5000,
                maxQueueSize: 3,
              }),
              priorityQueuePolicy: { 2: QueuePolicy({ allowTimeoutOverride: true }) },
            }),
          }),
        });
        const io = {
          inputs: [Tensor({ name: 'x', dtype: 'INT64', shape: [2] })],
          outputs: [Tensor({ name: 'y', dtype: 'INT64', shape: [2] })],
        };
        triton.bind({ modelName: 'plain', inferFunc: identity, ...io, config: ModelConfig({ maxBatchSize: 0 }) });
        triton.bind({
          modelName: 'plain',
          modelVersion: 3,
          inferFunc: identity,
          ...io,
          config: ModelConfig({ maxBatchSize: 0 }),
        });
        triton.bind({ modelName: 'gone', inferFunc: identity, ...io, config: ModelConfig({ maxBatchSize: 0 }) });
      },
      { id: 'grpc-test' },
    );
    const unload = await fetch(`${server.http}/v2/repository/models/gone/unload`, { method: 'POST' });
    assert.equal(unload.status, 200);
  });
  after(() => server.stop());

  it('ServerLive and ServerReady are true while running', async () => {
    assert.equal((await server.client.call('serverLive', {})).live, true);
    assert.equal((await server.client.call('serverReady', {})).ready, true);
  });

  it('grpc.health.v1.Health/Check is SERVING while ready, whatever service is named', async () => {
    assert.equal((await server.client.healthCheck()).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal(
      (await server.client.healthCheck('inference.GRPCInferenceService')).status,
      HealthCheckResponse_ServingStatus.SERVING,
    );
  });

  it('grpc.health.v1.Health/Watch: UNIMPLEMENTED', async () => {
    const { responses, code, details } = await server.client.healthWatch();
    assert.deepEqual(responses, []);
    assert.equal(code, Status.UNIMPLEMENTED);
    assert.equal(details, 'grpc.health.v1.Health/Watch is not supported; use Check');
  });

  it('ModelReady: true for a bound model and version; ready: false (as Triton) for unknown or unloaded ones', async () => {
    assert.equal((await server.client.call('modelReady', { name: 'plain' })).ready, true);
    assert.equal((await server.client.call('modelReady', { name: 'plain', version: '3' })).ready, true);
    assert.equal((await server.client.call('modelReady', { name: 'nope' })).ready, false);
    assert.equal((await server.client.call('modelReady', { name: 'plain', version: '2' })).ready, false);
    assert.equal((await server.client.call('modelReady', { name: 'gone' })).ready, false);
  });

  it('ServerMetadata has the content of HTTP GET /v2', async () => {
    const grpc = await server.client.call('serverMetadata', {});
    const http = (await (await fetch(`${server.http}/v2`)).json()) as {
      name: string;
      version: string;
      extensions: string[];
    };
    assert.deepEqual({ name: grpc.name, version: grpc.version, extensions: grpc.extensions }, http);
    assert.equal(grpc.name, 'grpc-test');
    assert.equal(grpc.version, VERSION);
    assert.ok(grpc.extensions.includes('model_configuration'));
  });

  it('ModelMetadata: versions, platform, and shapes with -1 for the batch dimension', async () => {
    const batched = await server.client.call('modelMetadata', { name: 'batched' });
    assert.equal(batched.name, 'batched');
    assert.deepEqual(batched.versions, ['1']);
    assert.equal(batched.platform, 'ts-triton');
    assert.deepEqual(
      batched.inputs.map((t) => [t.name, t.datatype, t.shape]),
      [
        ['x', 'FP32', [-1n, -1n, 3n]],
        ['mask', 'BOOL', [-1n, 3n]],
      ],
    );
    assert.deepEqual(
      batched.outputs.map((t) => [t.name, t.datatype, t.shape]),
      [['y', 'BYTES', [-1n, -1n, 3n]]],
    );
    assert.deepEqual((await server.client.call('modelMetadata', { name: 'plain' })).versions, ['1', '3']);
    const v3 = await server.client.call('modelMetadata', { name: 'plain', version: '3' });
    assert.deepEqual(v3.versions, ['3']);
    assert.deepEqual(v3.inputs[0]!.shape, [2n]);
    await rejectsWith(
      server.client.call('modelMetadata', { name: 'nope' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'nope' is not found",
    );
  });

  it('ModelConfig: the ModelConfig protobuf of the model', async () => {
    const { config } = await server.client.call('modelConfig', { name: 'batched' });
    assert.ok(config);
    assert.equal(config.name, 'batched');
    assert.equal(config.platform, 'ts-triton');
    assert.equal(config.backend, 'ts-triton');
    assert.equal(config.maxBatchSize, 16);
    assert.deepEqual(config.versionPolicy?.policyChoice.case, 'specific');
    assert.deepEqual(config.versionPolicy?.policyChoice.value, {
      $typeName: 'inference.ModelVersionPolicy.Specific',
      versions: [1n],
    });
    assert.deepEqual(
      config.input.map((t) => [t.name, t.dataType, t.format, t.dims, t.optional]),
      [
        ['x', ConfigDataType.TYPE_FP32, ModelInput_Format.NONE, [-1n, 3n], false],
        ['mask', ConfigDataType.TYPE_BOOL, ModelInput_Format.NONE, [3n], true],
      ],
    );
    assert.deepEqual(
      config.output.map((t) => [t.name, t.dataType, t.dims]),
      [['y', ConfigDataType.TYPE_STRING, [-1n, 3n]]],
    );
    assert.deepEqual(
      config.instanceGroup.map((g) => [g.name, g.kind, g.count]),
      [['batched', ModelInstanceGroup_Kind.CPU, 2]],
    );
    assert.equal(config.schedulingChoice.case, 'dynamicBatching');
    const batching = config.schedulingChoice.value!;
    assert.deepEqual(batching.preferredBatchSize, [4, 8]);
    assert.equal(batching.maxQueueDelayMicroseconds, 100n);
    assert.equal(batching.priorityLevels, 2n);
    assert.equal(batching.defaultPriorityLevel, 1n);
    assert.equal(batching.defaultQueuePolicy?.timeoutAction, ModelQueuePolicy_TimeoutAction.DELAY);
    assert.equal(batching.defaultQueuePolicy?.defaultTimeoutMicroseconds, 5000n);
    assert.equal(batching.defaultQueuePolicy?.maxQueueSize, 3);
    assert.deepEqual(Object.keys(batching.priorityQueuePolicy), ['2']);
    assert.equal(batching.priorityQueuePolicy['2']?.allowTimeoutOverride, true);
    assert.equal(config.modelTransactionPolicy?.decoupled, false);
    assert.equal(config.responseCache?.enable, false);
  });

  it('ModelConfig of a model that does not batch has no dynamic batching; unknown model NOT_FOUND', async () => {
    const { config } = await server.client.call('modelConfig', { name: 'plain', version: '3' });
    assert.equal(config?.maxBatchSize, 0);
    assert.equal(config?.schedulingChoice.case, undefined);
    assert.deepEqual(config?.versionPolicy?.policyChoice.value, {
      $typeName: 'inference.ModelVersionPolicy.Specific',
      versions: [3n],
    });
    await rejectsWith(
      server.client.call('modelConfig', { name: 'nope' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'nope' is not found",
    );
  });

  it('ModelConfig has the content of HTTP GET /v2/models/{m}/config', async () => {
    const { config } = await server.client.call('modelConfig', { name: 'batched' });
    const http = (await (await fetch(`${server.http}/v2/models/batched/config`)).json()) as Record<string, any>;
    assert.equal(config?.name, http.name);
    assert.equal(config?.maxBatchSize, http.max_batch_size);
    assert.deepEqual(
      config?.input.map((t) => ConfigDataType[t.dataType]),
      http.input.map((t: { data_type: string }) => t.data_type),
    );
    assert.deepEqual(config?.output[0]?.dims.map(Number), http.output[0].dims);
  });

  it('RepositoryIndex lists every model with its state; ready:true only the ready ones', async () => {
    const index = await server.client.call('repositoryIndex', {});
    const rows = (models: typeof index.models) => models.map((m) => [m.name, m.version, m.state, m.reason]);
    assert.deepEqual(rows(index.models), [
      ['batched', '1', 'READY', ''],
      ['plain', '1', 'READY', ''],
      ['plain', '3', 'READY', ''],
      ['gone', '1', 'UNAVAILABLE', 'unloaded'],
    ]);
    assert.deepEqual(
      rows((await server.client.call('repositoryIndex', { ready: true })).models).map((r) => r[0]),
      ['batched', 'plain', 'plain'],
    );
  });

  it('RepositoryIndex of a named repository: UNIMPLEMENTED', () =>
    rejectsWith(
      server.client.call('repositoryIndex', { repositoryName: 'models' }),
      Status.UNIMPLEMENTED,
      "'repository_name' specification is not supported",
    ));
});
