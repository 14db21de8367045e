/**
 * ModelClient against a real server over both protocols: every method, and each error class.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Triton } from '../../src/index.ts';
import {
  BadRequestError,
  ClientClosedError,
  ClientConnectionError,
  ClientTimeoutError,
  ClientValueError,
  InferenceServerError,
  ModelClient,
  ModelUnavailableError,
  NDArray,
} from '../../src/client/index.ts';
import { startTestServer, urlsOf } from './server.ts';

let triton: Triton;
let urls: { http: string; grpc: string };
before(async () => {
  triton = await startTestServer();
  urls = urlsOf(triton);
});
after(() => triton.stop());

for (const protocol of ['http', 'grpc'] as const) {
  describe(`ModelClient over ${protocol}`, () => {
    const url = (): string => urls[protocol];

    it('waits for the server and the model, and fetches the configuration once', async () => {
      await using client = new ModelClient(url(), 'add');
      await client.waitForServer(5);
      await client.waitForModel(5);
      const config = await client.modelConfig();
      assert.equal(config.name, 'add');
      assert.equal(config.maxBatchSize, 8);
      assert.equal(config.decoupled, false);
      assert.deepEqual(
        config.inputs.map((t) => [t.name, t.datatype, t.shape]),
        [
          ['a', 'FP32', [-1]],
          ['b', 'FP32', [-1]],
        ],
      );
      assert.deepEqual(
        config.outputs.map((t) => [t.name, t.datatype]),
        [['sum', 'FP32']],
      );
      assert.equal(await client.modelConfig(), config, 'cached');
    });

    it('inferSample adds and strips the batch dimension', async () => {
      await using client = new ModelClient(url(), 'add');
      const { sum } = await client.inferSample({ a: new Float32Array([1, 2, 3]), b: new Float32Array([10, 20, 30]) });
      assert.deepEqual(sum!.shape, [3]);
      assert.deepEqual([...(sum!.data as Float32Array)], [11, 22, 33]);
    });

    it('inferBatch sends and returns the batch dimension', async () => {
      await using client = new ModelClient(url(), 'add');
      const a = NDArray.from(
        [
          [1, 2],
          [3, 4],
        ],
        'FP32',
      );
      const b = NDArray.from(
        [
          [1, 1],
          [1, 1],
        ],
        'FP32',
      );
      const { sum } = await client.inferBatch(
        { a, b },
        { parameters: { note: 'x', n: 3 }, headers: { 'x-test': '1' } },
      );
      assert.deepEqual(sum!.shape, [2, 2]);
      assert.deepEqual([...(sum!.data as Float32Array)], [2, 3, 4, 5]);
    });

    it('inferSample on a non-batching model sends the inputs as they are', async () => {
      await using client = new ModelClient(url(), 'single');
      const { sum } = await client.inferSample({ a: new Float32Array([1]), b: new Float32Array([2]) });
      assert.deepEqual([...(sum!.data as Float32Array)], [3]);
    });

    it('inferBatch on a non-batching model is a ClientValueError', async () => {
      await using client = new ModelClient(url(), 'single');
      await assert.rejects(client.inferBatch({ a: new Float32Array([1]), b: new Float32Array([2]) }), ClientValueError);
    });

    it('a decoupled model is refused', async () => {
      await using client = new ModelClient(url(), 'counting');
      await assert.rejects(client.inferSample({ x: new Int32Array([1]) }), /DecoupledModelClient/);
    });

    it('a request the server rejects is a BadRequestError with its message and status', async () => {
      await using client = new ModelClient(url(), 'add');
      const error = await client
        .inferSample({ a: new Float32Array([1, 2]), b: new Int32Array([1, 2]) })
        .catch((e: unknown) => e);
      assert.ok(error instanceof BadRequestError, String(error));
      assert.ok(error instanceof InferenceServerError);
      assert.equal(error.httpStatus, 400);
      if (protocol === 'grpc') assert.equal(error.grpcCode, 3);
      assert.match(error.serverMessage, /datatype|INT32|FP32/);
    });

    it('a model that throws is an InferenceServerError (5xx)', async () => {
      await using client = new ModelClient(url(), 'fails');
      const error = await client.inferSample({ x: new Int32Array([1]) }).catch((e: unknown) => e);
      assert.ok(error instanceof InferenceServerError, String(error));
      assert.ok(!(error instanceof BadRequestError));
      assert.ok(error.httpStatus >= 500, `status ${error.httpStatus}`);
      assert.match(error.serverMessage, /model broke/);
    });

    it('an unknown model is a ModelUnavailableError once initTimeoutS passes', async () => {
      await using client = new ModelClient(url(), 'nope', { initTimeoutS: 0.3 });
      await assert.rejects(client.inferSample({ x: new Int32Array([1]) }), ModelUnavailableError);
    });

    it('unloadModel makes the model unavailable, loadModel brings it back', async () => {
      await using client = new ModelClient(url(), 'single', { initTimeoutS: 0.3 });
      const inputs = { a: new Float32Array([1]), b: new Float32Array([2]) };
      await client.inferSample(inputs);
      await client.unloadModel();
      await assert.rejects(client.inferSample(inputs), ModelUnavailableError);
      await client.loadModel();
      const { sum } = await client.inferSample(inputs);
      assert.deepEqual([...(sum!.data as Float32Array)], [3]);
    });

    it('an inference slower than inferenceTimeoutS is a ClientTimeoutError', async () => {
      await using client = new ModelClient(url(), 'slow', { inferenceTimeoutS: 0.2 });
      await client.modelConfig();
      const started = Date.now();
      await assert.rejects(client.inferSample({ ms: new Int32Array([1000]) }), ClientTimeoutError);
      assert.ok(Date.now() - started < 900, 'the timeout fired before the model answered');
      await using patient = new ModelClient(url(), 'slow', { inferenceTimeoutS: 5 });
      const { out } = await patient.inferSample({ ms: new Int32Array([1]) });
      assert.deepEqual([...(out!.data as Int32Array)], [1]);
    });

    it('waitForServer on a closed port is a ClientTimeoutError; infer there a connection or timeout error', async () => {
      const dead = protocol === 'http' ? 'http://127.0.0.1:9' : 'grpc://127.0.0.1:9';
      await using client = new ModelClient(dead, 'add', { initTimeoutS: 0.3 });
      await assert.rejects(client.waitForServer(0.3), ClientTimeoutError);
      await assert.rejects(
        client.inferSample({ a: new Float32Array([1]) }),
        (e) => e instanceof ClientTimeoutError || e instanceof ClientConnectionError,
      );
    });

    it('a closed client throws ClientClosedError', async () => {
      const client = new ModelClient(url(), 'add');
      await client.close();
      await client.close();
      await assert.rejects(client.inferSample({ a: new Float32Array([1]) }), ClientClosedError);
    });
  });
}
