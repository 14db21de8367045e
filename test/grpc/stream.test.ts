/**
 * ModelStreamInfer over gRPC (triton-protocol.md §4): several requests on one stream, responses in request
 * order, errors as `error_message` that keep the stream open, `triton_grpc_error: true` ending it with a
 * status, and decoupled models answering several times.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { type DecoupledInferFunc, type InferFunc, ModelConfig, NDArray, Tensor } from '../../src/index.ts';
import { metadataOf } from './client.ts';
import type { ModelInferRequestSchema, ModelStreamInferResponse } from './gen/grpc_service_pb.js';
import { type GrpcServer, numericRaw, readRaw, startServer, Status } from './helpers.ts';

type InferRequestInit = MessageInitShape<typeof ModelInferRequestSchema>;

/** Sleeps x ms, then answers y = x. */
const sleepy: InferFunc = async (requests) => {
  const ms = Math.max(...requests.map((r) => Number(r.data.x!.at(0))));
  await sleep(ms);
  return requests.map((r) => ({ y: r.data.x! }));
};

/** Answers x times (y = 0..x-1), then fails when x is 2. */
const counting: DecoupledInferFunc = async function* (requests) {
  const n = Number(requests[0]!.data.x!.at(0));
  for (let i = 0; i < n; i++) yield requests.map(() => ({ y: NDArray.from([i], 'FP32') }));
  if (n === 2) throw new Error('counting broke');
};

const request = (model: string, id: string, x: number): InferRequestInit => ({
  modelName: model,
  id,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
  rawInputContents: [numericRaw('FP32', [x])],
});

/** `[id, y]` of a response, or `[id, error]`. */
function summary(response: ModelStreamInferResponse): [string, number | string] {
  const infer = response.inferResponse;
  assert.ok(infer, 'every stream response carries infer_response');
  if (response.errorMessage !== '') return [infer.id, response.errorMessage];
  return [infer.id, readRaw('FP32', infer.rawOutputContents[0]!)[0] as number];
}

describe('ModelStreamInfer over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => {
      const io = {
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
      };
      triton.bind({
        modelName: 'sleepy',
        inferFunc: [sleepy, sleepy, sleepy],
        ...io,
        config: ModelConfig({ maxBatchSize: 0 }),
      });
      triton.bind({
        modelName: 'counting',
        inferFunc: counting,
        ...io,
        config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
      });
    });
  });
  after(() => server.stop());

  it('answers several requests on one stream, in request order, then ends with OK', async () => {
    const { responses, error } = await server.client.streamAll([
      request('sleepy', 'a', 120),
      request('sleepy', 'b', 0),
      request('sleepy', 'c', 40),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['a', 120],
      ['b', 0],
      ['c', 40],
    ]);
    for (const r of responses) {
      assert.equal(r.inferResponse?.modelName, 'sleepy');
      assert.equal(r.inferResponse?.modelVersion, '1');
      assert.deepEqual(
        r.inferResponse?.outputs.map((o) => [o.name, o.datatype, o.shape]),
        [['y', 'FP32', [1n]]],
      );
    }
  });

  it('answers many requests on one stream', async () => {
    const requests = Array.from({ length: 25 }, (_, i) => request('sleepy', `r${i}`, i % 3));
    const { responses, error } = await server.client.streamAll(requests);
    assert.equal(error, undefined);
    assert.deepEqual(
      responses.map(summary),
      requests.map((_, i) => [`r${i}`, i % 3]),
    );
  });

  it('answers a failed request with error_message and its id, and keeps the stream open', async () => {
    const { responses, error } = await server.client.streamAll([
      request('sleepy', 'ok1', 0),
      request('nope', 'bad1', 0),
      { ...request('sleepy', 'bad2', 0), rawInputContents: [new Uint8Array(3)] },
      request('sleepy', 'ok2', 0),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['ok1', 0],
      ['bad1', "Request for unknown model: 'nope' is not found"],
      ['bad2', "[request id: bad2] input byte size mismatch for input 'x' for model 'sleepy'. Expected 4, got 3"],
      ['ok2', 0],
    ]);
    assert.equal(responses[1]!.inferResponse!.outputs.length, 0, 'an error response carries only the id');
    assert.equal(responses[1]!.inferResponse!.modelName, '');
  });

  it('with metadata triton_grpc_error: true, the first error ends the stream with its status', async () => {
    const { responses, error } = await server.client.streamAll(
      [request('sleepy', 'ok1', 0), request('nope', 'bad', 0)],
      metadataOf({ triton_grpc_error: 'true' }),
    );
    assert.deepEqual(responses.map(summary), [['ok1', 0]]);
    assert.ok(error, 'the stream failed');
    assert.equal(error.code, Status.NOT_FOUND);
    assert.equal(error.details, "Request for unknown model: 'nope' is not found");
  });

  it('a stream can be used request by request, waiting for each response', async () => {
    const call = server.client.stream();
    const received: ModelStreamInferResponse[] = [];
    let notify = (): void => {};
    call.on('data', (response: ModelStreamInferResponse) => {
      received.push(response);
      notify();
    });
    const next = () => new Promise<void>((resolve) => (notify = resolve));
    const { create } = await import('@bufbuild/protobuf');
    const { ModelInferRequestSchema } = await import('./gen/grpc_service_pb.js');
    for (const [i, x] of [5, 6, 7].entries()) {
      const arrived = next();
      call.write(create(ModelInferRequestSchema, request('sleepy', `s${i}`, x)));
      await arrived;
      assert.deepEqual(summary(received.at(-1)!), [`s${i}`, x]);
    }
    const ended = new Promise((resolve) => call.on('status', resolve));
    call.end();
    assert.equal(((await ended) as { code: number }).code, Status.OK);
  });

  it('a decoupled model answers as many times as it produces', async () => {
    const { responses, error } = await server.client.streamAll([
      request('counting', 'three', 3),
      request('counting', 'none', 0),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['three', 0],
      ['three', 1],
      ['three', 2],
    ]);
  });

  it("a decoupled model's failure after some responses comes as error_message", async () => {
    const { responses, error } = await server.client.streamAll([request('counting', 'two', 2)]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['two', 0],
      ['two', 1],
      ['two', "Failed to process the request(s) for model 'counting', message: Error: counting broke"],
    ]);
  });
});
