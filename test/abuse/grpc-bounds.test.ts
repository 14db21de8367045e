/**
 * gRPC memory stays bounded under clients that misbehave: a ModelStreamInfer client that does not read its
 * responses stops having its requests read once the server holds a bounded backlog (instead of every
 * response), and a message
 * declaring more than grpcMaxInputSize is refused from its length prefix, before its body arrives.
 */
import assert from 'node:assert/strict';
import { connect as connectHttp2, constants } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadGrpcProtos } from '../../src/protocol/grpc-proto-files.ts';
import { MAX_STREAM_BACKLOG } from '../../src/frontends/grpc/infer-stream.ts';
import { Status } from '../grpc/helpers.ts';
import { until, within } from '../helpers/within.ts';
import { ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { type ServerProcess, startServerProcess } from './fixtures/server-process.ts';

const MIB = 1024 * 1024;

const requestSerialize = (
  loadGrpcProtos(['grpc_service.proto'])['inference.GRPCInferenceService'] as Record<
    string,
    MethodDefinition<object, unknown>
  >
)['ModelInfer']!.requestSerialize;

const BIG_REQUEST = requestSerialize({
  model_name: 'big',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }],
  raw_input_contents: [Buffer.alloc(4)],
});

describe('gRPC bounds', () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServerProcess();
  });
  after(() => server.stop());

  it('a message declaring more than grpcMaxInputSize is refused before its body arrives', async () => {
    const session = connectHttp2(`http://127.0.0.1:${server.grpcPort}`);
    session.on('error', () => {});
    try {
      const call = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: '/inference.GRPCInferenceService/ModelInfer',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      call.on('error', () => {});
      const trailers = new Promise<Record<string, unknown>>((resolve) => {
        call.on('response', (headers) => {
          if (headers['grpc-status'] !== undefined) resolve(headers);
        });
        call.on('trailers', resolve);
      });
      call.resume();
      // The length prefix declares 500 MiB; only 64 KiB of it is ever sent.
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(500 * MIB, 1);
      call.write(Buffer.concat([prefix, Buffer.alloc(64 * 1024)]));
      const status = await within(trailers, 10_000, 'the status of a message declaring 500 MiB');
      assert.equal(Number(status['grpc-status']), Status.RESOURCE_EXHAUSTED);
      assert.match(decodeURIComponent(String(status['grpc-message'])), /larger than max \(524288000 vs 67108864\)/);
      call.close();
    } finally {
      session.close();
    }
  });
});

describe('gRPC stream backlog', () => {
  it('a stream whose client does not read stops being read at a bounded backlog; it goes on once the client reads', async () => {
    // In one process with the client, so that the responses the server sends stay unread.
    const triton = new Triton({
      config: { grpcPort: 0, grpcAddress: '127.0.0.1', allowHttp: false, allowMetrics: false, exitTimeoutSecs: 5 },
    });
    let run = 0;
    const output = new Float32Array(128 * 1024);
    triton.bind({
      modelName: 'big',
      inferFunc: (requests) => {
        run += requests.length;
        return requests.map(() => ({ y: output }));
      },
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    // A bare HTTP/2 client, so that nothing reads the responses unless the test does: the session's flow
    // control window then stops the server from sending.
    const session = connectHttp2(`http://127.0.0.1:${triton.grpcPort}`);
    session.on('error', () => {});
    try {
      const call = session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: '/inference.GRPCInferenceService/ModelStreamInfer',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      call.on('error', () => {});
      call.pause();
      const sent = 200;
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(BIG_REQUEST.length, 1);
      for (let i = 0; i < sent; i++) call.write(Buffer.concat([prefix, BIG_REQUEST]));
      await until(() => run >= MAX_STREAM_BACKLOG, 20_000, 'the backlog filling');
      // Sample for a second: the server must have stopped reading (200 responses would be 100 MiB). Not a wait:
      // that nothing more runs can only be watched over a time.
      let peak = run;
      for (let i = 0; i < 20; i++) {
        await sleep(50);
        peak = Math.max(peak, run);
      }
      assert.ok(peak < 2 * MAX_STREAM_BACKLOG, `${peak} of ${sent} requests were run for a client that reads nothing`);
      call.resume();
      await until(() => run >= sent, 60_000, 'every request once the client reads');
      call.end();
      assert.equal(run, sent);
    } finally {
      session.destroy();
      await triton.stop();
    }
  });
});
