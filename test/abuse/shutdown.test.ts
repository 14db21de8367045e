/**
 * Shutdown under load: while draining, every accepted request is answered (with `Connection: close`), new
 * requests get 503 (gRPC: UNAVAILABLE), nothing accepted is reset, and stop() ends within exitTimeoutSecs.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type InferFunc, ModelConfig, Tensor, Triton, type TritonConfig } from '../../src/index.ts';
import { TestGrpcClient } from '../grpc/client.ts';
import { Status } from '../grpc/helpers.ts';
import { until, within } from '../helpers/within.ts';

const LOCAL: Partial<TritonConfig> = {
  httpPort: 0,
  httpAddress: '127.0.0.1',
  grpcPort: 0,
  grpcAddress: '127.0.0.1',
  allowMetrics: false,
};

const BODY = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}';

/** A model whose requests each take `ms`; `entered` counts requests that reached it. */
function slowModel(triton: Triton, ms: number): { entered: () => number } {
  let entered = 0;
  const slow: InferFunc = async (requests) => {
    entered += requests.length;
    await sleep(ms);
    return requests.map((r) => ({ y: r.data.x! }));
  };
  triton.bind({
    modelName: 'slow',
    inferFunc: Array.from({ length: 24 }, () => slow),
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  });
  return { entered: () => entered };
}

interface Answer {
  readonly status: number | string;
  readonly connection?: string;
  readonly body?: string;
}

/** POSTs an inference request through `agent`: the status and Connection header, or the error's code. */
function post(port: number, agent: Agent, body = BODY): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', path: '/v2/models/slow/infer', method: 'POST', agent }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message }));
    req.end(body);
  });
}

describe('shutdown', () => {
  it('HTTP: accepted requests are answered with Connection: close, new ones get 503, none is reset', async () => {
    const triton = new Triton({ config: { ...LOCAL, allowGrpc: false, exitTimeoutSecs: 10 } });
    const model = slowModel(triton, 300);
    await triton.run();
    const port = triton.httpPort!;
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    try {
      // Warm keep-alive connections, then 20 requests in flight.
      await Promise.all(Array.from({ length: 8 }, () => post(port, agent)));
      const before = model.entered();
      const inFlight = Array.from({ length: 20 }, () => post(port, agent));
      // A request whose body is still arriving when shutdown starts: the server's 100 Continue shows it
      // accepted the request.
      const uploading = connect(port, '127.0.0.1');
      await once(uploading, 'connect');
      let uploadAnswer = '';
      uploading.on('data', (chunk: Buffer) => (uploadAnswer += chunk.toString()));
      const uploadClosed = once(uploading, 'close');
      uploading.write(
        `POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${BODY.length}\r\n\r\n`,
      );
      await until(() => uploadAnswer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 5000, 'the 100 Continue');
      uploading.write(BODY.slice(0, 10));
      await until(() => model.entered() - before >= 20, 5000, 'the 20 requests reaching the model');
      const stopped = triton.stop();
      let stopDone = false;
      void stopped.then(() => (stopDone = true));
      uploading.write(BODY.slice(10));
      const late = await Promise.all(Array.from({ length: 5 }, () => post(port, new Agent())));
      for (const answer of late) {
        assert.equal(answer.status, 503, JSON.stringify(answer));
        assert.equal(answer.connection, 'close');
        assert.deepEqual(JSON.parse(answer.body!), { error: 'Server is shutting down: no new requests are accepted' });
      }
      const answers = await within(Promise.all(inFlight), 10_000, 'the requests in flight');
      for (const answer of answers) {
        assert.equal(answer.status, 200, JSON.stringify(answer));
        assert.equal(answer.connection, 'close');
      }
      await within(uploadClosed, 10_000, 'the uploading request');
      assert.match(uploadAnswer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      assert.match(uploadAnswer, /\r\nconnection: close\r\n/i);
      await within(stopped, 10_000, 'stop()');
      assert.ok(stopDone);
    } finally {
      agent.destroy();
      await triton.stop();
    }
  });

  it('gRPC: calls in progress finish, new calls get UNAVAILABLE', async () => {
    const triton = new Triton({ config: { ...LOCAL, exitTimeoutSecs: 10 } });
    const model = slowModel(triton, 300);
    await triton.run();
    const client = new TestGrpcClient(triton.grpcPort!);
    try {
      const request = {
        modelName: 'slow',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
        rawInputContents: [new Uint8Array(new Float32Array([1]).buffer)],
      };
      const inFlight = Array.from({ length: 6 }, () => client.call('modelInfer', request));
      await until(() => model.entered() >= 4, 5000, 'calls reaching the model');
      // stop() stops accepting before it first yields: the next call is already late.
      const stopped = triton.stop();
      const late = await client.call('modelInfer', request).then(
        () => 'answered',
        (error: { code: number }) => error.code,
      );
      assert.equal(late, Status.UNAVAILABLE);
      const answers = await within(Promise.all(inFlight), 10_000, 'the calls in flight');
      assert.equal(answers.length, 6);
      await within(stopped, 10_000, 'stop()');
    } finally {
      client.close();
      await triton.stop();
    }
  });

  it('stop() ends within exitTimeoutSecs with HTTP and gRPC requests still running', async () => {
    const triton = new Triton({ config: { ...LOCAL, exitTimeoutSecs: 1 } });
    const model = slowModel(triton, 4000);
    await triton.run();
    const client = new TestGrpcClient(triton.grpcPort!);
    const agent = new Agent({ keepAlive: true });
    try {
      const grpcCall = client
        .call('modelInfer', {
          modelName: 'slow',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
          rawInputContents: [new Uint8Array(4)],
        })
        .catch((error: { code: number }) => error.code);
      const httpCall = post(triton.httpPort!, agent);
      await until(() => model.entered() >= 2, 5000, 'both requests reaching the model');
      const started = performance.now();
      await within(triton.stop(), 5000, 'stop()');
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1300, `stop() took ${elapsed.toFixed(0)} ms with exitTimeoutSecs 1`);
      const answer = await httpCall;
      assert.equal(answer.status, 503);
      await within(grpcCall, 10_000, 'the gRPC call settling');
    } finally {
      agent.destroy();
      client.close();
      await triton.stop();
    }
  });
});
