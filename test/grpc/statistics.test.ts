/**
 * ModelStatistics over gRPC (triton-protocol.md §3.12, §4): the figures of `GET /v2/models[/{m}[/versions/{v}]]/stats`
 * in Triton's `ModelStatisticsResponse`; an empty name is every model, an empty version every version.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelConfig, Tensor } from '../../src/index.ts';
import type { ModelStatistics, StatisticDuration } from './gen/grpc_service_pb.js';
import { type GrpcServer, identity, numericRaw, rejectsWith, startServer, Status } from './helpers.ts';

const io = {
  inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
  outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
};

type DurationJson = { count: number; ns: number };

const pair = (d: StatisticDuration | undefined): DurationJson => ({ count: Number(d?.count), ns: Number(d?.ns) });

/** A gRPC `ModelStatistics` in the shape of the HTTP JSON (without the fields gRPC leaves empty). */
function asJson(s: ModelStatistics): object {
  const i = s.inferenceStats!;
  return {
    name: s.name,
    version: s.version,
    last_inference: Number(s.lastInference),
    inference_count: Number(s.inferenceCount),
    execution_count: Number(s.executionCount),
    inference_stats: {
      success: pair(i.success),
      fail: pair(i.fail),
      queue: pair(i.queue),
      compute_input: pair(i.computeInput),
      compute_infer: pair(i.computeInfer),
      compute_output: pair(i.computeOutput),
      cache_hit: pair(i.cacheHit),
      cache_miss: pair(i.cacheMiss),
    },
    batch_stats: s.batchStats.map((b) => ({
      batch_size: Number(b.batchSize),
      compute_input: pair(b.computeInput),
      compute_infer: pair(b.computeInfer),
      compute_output: pair(b.computeOutput),
    })),
  };
}

describe('ModelStatistics over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => {
      triton.bind({ modelName: 'a', inferFunc: identity, ...io, config: ModelConfig({ maxBatchSize: 0 }) });
      triton.bind({
        modelName: 'b',
        inferFunc: identity,
        ...io,
        config: ModelConfig({ maxBatchSize: 0 }),
        modelVersion: 1,
      });
      triton.bind({
        modelName: 'b',
        inferFunc: identity,
        ...io,
        config: ModelConfig({ maxBatchSize: 0 }),
        modelVersion: 2,
      });
    });
    for (let i = 0; i < 3; i++) {
      await server.client.call('modelInfer', {
        modelName: 'a',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
        rawInputContents: [numericRaw('FP32', [i])],
      });
    }
    await assert.rejects(
      server.client.call('modelInfer', {
        modelName: 'a',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
        rawInputContents: [new Uint8Array(3)],
      }),
    );
  });
  after(() => server.stop());

  it('has the figures of HTTP GET /v2/models/stats, for every model and version', async () => {
    const { modelStats } = await server.client.call('modelStatistics', {});
    const http = (await (await fetch(`${server.http}/v2/models/stats`)).json()) as {
      model_stats: Record<string, unknown>[];
    };
    const expected = http.model_stats.map(({ response_stats: _r, memory_usage: _m, ...rest }) => rest);
    assert.deepEqual(modelStats.map(asJson), expected);
    assert.deepEqual(
      modelStats.map((s) => [s.name, s.version]),
      [
        ['a', '1'],
        ['b', '1'],
        ['b', '2'],
      ],
    );
  });

  it('counts the requests of a model', async () => {
    const { modelStats } = await server.client.call('modelStatistics', { name: 'a' });
    assert.equal(modelStats.length, 1);
    const [a] = modelStats;
    assert.equal(a!.inferenceCount, 3n);
    assert.equal(a!.executionCount, 3n);
    assert.equal(a!.inferenceStats?.success?.count, 3n);
    assert.ok(a!.lastInference > 0n);
    assert.deepEqual(
      a!.batchStats.map((b) => [b.batchSize, b.computeInfer?.count]),
      [[1n, 3n]],
    );
  });

  it('an empty version is every version; a version only that one', async () => {
    const all = await server.client.call('modelStatistics', { name: 'b' });
    assert.deepEqual(
      all.modelStats.map((s) => s.version),
      ['1', '2'],
    );
    const two = await server.client.call('modelStatistics', { name: 'b', version: '2' });
    assert.deepEqual(
      two.modelStats.map((s) => [s.name, s.version, s.inferenceCount]),
      [['b', '2', 0n]],
    );
  });

  it("unknown models and versions: NOT_FOUND with Triton's messages", async () => {
    await rejectsWith(
      server.client.call('modelStatistics', { name: 'nope' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'nope' is not found",
    );
    await rejectsWith(
      server.client.call('modelStatistics', { name: 'b', version: '7' }),
      Status.NOT_FOUND,
      "Request for unknown model: 'b' version 7 is not found",
    );
    await rejectsWith(
      server.client.call('modelStatistics', { name: 'b', version: 'x' }),
      Status.INVALID_ARGUMENT,
      /version string 'x'/,
    );
  });
});
