/**
 * The gRPC frontend's lifecycle in `Triton`: it listens when `allowGrpc` (the port resolves `run()`),
 * `stop()` stops accepting, drains requests and open streams, then closes; the message size limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { TestGrpcClient, type GrpcError } from './client.ts';
import { ModelInferRequestSchema, type ModelStreamInferResponse } from './gen/grpc_service_pb.js';
import { LOCAL, numericRaw, readRaw, rejectsWith, startServer, Status } from './helpers.ts';
import { until } from '../helpers/within.ts';

/** Number of batches `sleepy` started. */
let started = 0;

/** Resolves once `sleepy` has started `count` batches in total. */
function startedBatches(count: number): Promise<void> {
  return until(() => started >= count, 5000, `${count} batches of sleepy to start`);
}

/** Sleeps x ms, then answers y = x. */
const sleepy: InferFunc = async (requests) => {
  started++;
  await sleep(Math.max(...requests.map((r) => Number(r.data.x!.at(0)))));
  return requests.map((r) => ({ y: r.data.x! }));
};

const bindSleepy = (triton: Triton): void => {
  triton.bind({
    modelName: 'sleepy',
    inferFunc: sleepy,
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  });
};

const request = (x: number, size = 1) => ({
  modelName: 'sleepy',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [BigInt(size)] }],
  rawInputContents: [
    numericRaw(
      'FP32',
      Array.from({ length: size }, () => x),
    ),
  ],
});

describe('gRPC frontend lifecycle', () => {
  it('run() resolves listening, exposes grpcPort and logs the address', async () => {
    const lines: string[] = [];
    const previous: LogSink = setLogSink((_level, message) => lines.push(message));
    const triton = new Triton({ config: { ...LOCAL, allowHttp: false } });
    bindSleepy(triton);
    try {
      assert.equal(triton.grpcPort, undefined);
      await triton.run();
      assert.ok(triton.grpcPort! > 0);
      assert.ok(lines.includes(`Started GRPCInferenceService at 127.0.0.1:${triton.grpcPort}`), lines.join('\n'));
      const client = new TestGrpcClient(triton.grpcPort!);
      assert.equal((await client.call('serverReady', {})).ready, true);
      client.close();
    } finally {
      setLogSink(previous);
      await triton.stop();
    }
  });

  it('allowGrpc: false starts no gRPC frontend', async () => {
    await using triton = new Triton({ config: { ...LOCAL, allowGrpc: false } });
    await triton.run();
    assert.equal(triton.grpcPort, undefined);
  });

  it('run() rejects when the gRPC port is taken', async () => {
    const first = await startServer(bindSleepy);
    const second = new Triton({ config: { ...LOCAL, allowHttp: false, grpcPort: first.triton.grpcPort! } });
    try {
      await assert.rejects(second.run(), /EADDRINUSE|address already in use|No address added/);
    } finally {
      await second.stop();
      await first.stop();
    }
  });

  it('stop() lets an in-flight ModelInfer finish, then refuses new calls', async () => {
    const server = await startServer(bindSleepy);
    const before = started;
    const pending = server.client.call('modelInfer', request(150));
    await startedBatches(before + 1);
    const stopped = server.triton.stop();
    const response = await pending;
    assert.deepEqual(readRaw('FP32', response.rawOutputContents[0]!), [150]);
    await stopped;
    await assert.rejects(server.client.call('serverLive', {}), (error: GrpcError) => error.code === Status.UNAVAILABLE);
    server.client.close();
  });

  it('stop() answers the requests in flight on an open stream, then ends it with OK', async () => {
    const server = await startServer(bindSleepy);
    const call = server.client.stream();
    const responses: ModelStreamInferResponse[] = [];
    call.on('data', (response: ModelStreamInferResponse) => responses.push(response));
    const status = new Promise<{ code: number }>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    const before = started;
    call.write(create(ModelInferRequestSchema, { ...request(120), id: 'in-flight' }));
    await startedBatches(before + 1);
    await server.triton.stop();
    assert.equal((await status).code, Status.OK);
    assert.deepEqual(
      responses.map((r) => [r.inferResponse?.id, r.errorMessage]),
      [['in-flight', '']],
    );
    server.client.close();
  });

  it('a call the client gives up on (deadline) aborts its request.signal', async () => {
    const aborted: boolean[] = [];
    const server = await startServer((triton) =>
      triton.bind({
        modelName: 'waits',
        inferFunc: async (requests) => {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 2000);
            requests[0]!.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
          });
          aborted.push(requests[0]!.signal.aborted);
          return requests.map((r) => ({ y: r.data.x! }));
        },
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      }),
    );
    try {
      const metadata = new Metadata();
      const call = new Promise((resolve, reject) => {
        const client = new Client(`127.0.0.1:${server.triton.grpcPort}`, credentials.createInsecure());
        client.makeUnaryRequest(
          '/inference.GRPCInferenceService/ModelInfer',
          (m: Uint8Array) => Buffer.from(m),
          (b: Buffer) => b,
          toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, { ...request(0), modelName: 'waits' })),
          metadata,
          { deadline: Date.now() + 250 },
          (error, value) => (client.close(), error ? reject(error) : resolve(value)),
        );
      });
      await assert.rejects(call, (error: GrpcError) => error.code === Status.DEADLINE_EXCEEDED);
      await until(() => aborted.length > 0, 2000, 'the model to see its request end');
      assert.deepEqual(aborted, [true]);
    } finally {
      await server.stop();
    }
  });

  it('grpcMaxMessageSize limits the messages received: RESOURCE_EXHAUSTED', async () => {
    const server = await startServer(bindSleepy, { grpcMaxMessageSize: 4096 });
    try {
      const small = await server.client.call('modelInfer', request(0, 100));
      assert.equal(small.rawOutputContents[0]!.length, 400);
      await rejectsWith(
        server.client.call('modelInfer', request(0, 2000)),
        Status.RESOURCE_EXHAUSTED,
        /larger than max/,
      );
    } finally {
      await server.stop();
    }
  });
});
