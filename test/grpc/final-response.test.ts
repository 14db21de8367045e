/**
 * The final-response marker on ModelStreamInfer (triton-protocol.md §4): every response carries the parameter
 * `triton_final_response`; true on the single response of a model that is not decoupled, false on a decoupled
 * model's, followed by an empty response flagged final only when the request set
 * `triton_enable_empty_final_response: true` (which is not passed on to the infer function).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { type DecoupledInferFunc, ModelConfig, NDArray, type Parameters, Tensor } from '../../src/index.ts';
import type { ModelInferRequestSchema, ModelStreamInferResponse } from './gen/grpc_service_pb.js';
import { type GrpcServer, identity, numericRaw, readRaw, startServer } from './helpers.ts';

type InferRequestInit = MessageInitShape<typeof ModelInferRequestSchema>;

/** The parameters each decoupled request reached the infer function with. */
const seen: Parameters[] = [];

/** Answers x times (y = 0..x-1). */
const counting: DecoupledInferFunc = async function* (requests) {
  for (const r of requests) seen.push({ ...r.parameters });
  const n = Number(requests[0]!.data.x!.at(0));
  for (let i = 0; i < n; i++) yield requests.map(() => ({ y: NDArray.from([i], 'FP32') }));
};

const enableEmptyFinal = (value: boolean) => ({
  triton_enable_empty_final_response: { parameterChoice: { case: 'boolParam' as const, value } },
});

const request = (model: string, id: string, x: number, parameters = {}): InferRequestInit => ({
  modelName: model,
  id,
  parameters,
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1n] }],
  rawInputContents: [numericRaw('FP32', [x])],
});

/** `[id, y or null when empty, triton_final_response]` of a response. */
function summary(response: ModelStreamInferResponse): [string, number | null, unknown] {
  assert.equal(response.errorMessage, '');
  const infer = response.inferResponse!;
  const final = infer.parameters.triton_final_response?.parameterChoice;
  assert.equal(final?.case, 'boolParam', 'triton_final_response is a bool_param');
  const raw = infer.rawOutputContents[0];
  return [infer.id, raw ? (readRaw('FP32', raw)[0] as number) : null, final.value];
}

describe('triton_final_response on ModelStreamInfer', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => {
      const io = {
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
      };
      triton.bind({ modelName: 'plain', inferFunc: identity, ...io, config: ModelConfig({ maxBatchSize: 0 }) });
      triton.bind({
        modelName: 'counting',
        inferFunc: counting,
        ...io,
        config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
      });
    });
  });
  after(() => server.stop());

  it('the single response of a model that is not decoupled is flagged final', async () => {
    const { responses, error } = await server.client.streamAll([
      request('plain', 'a', 1),
      request('plain', 'b', 2, enableEmptyFinal(true)),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['a', 1, true],
      ['b', 2, true],
    ]);
  });

  it("a decoupled model's responses are flagged not final, with no extra response by default", async () => {
    const { responses, error } = await server.client.streamAll([
      request('counting', 'c', 2),
      request('counting', 'd', 1, enableEmptyFinal(false)),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['c', 0, false],
      ['c', 1, false],
      ['d', 0, false],
    ]);
  });

  it('with triton_enable_empty_final_response, an empty response flagged final ends each request', async () => {
    seen.length = 0;
    const { responses, error } = await server.client.streamAll([
      request('counting', 'e', 3, {
        ...enableEmptyFinal(true),
        custom: { parameterChoice: { case: 'int64Param', value: 7n } },
      }),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [
      ['e', 0, false],
      ['e', 1, false],
      ['e', 2, false],
      ['e', null, true],
    ]);
    const final = responses.at(-1)!.inferResponse!;
    assert.equal(final.modelName, 'counting');
    assert.equal(final.modelVersion, '1');
    assert.deepEqual([final.outputs.length, final.rawOutputContents.length], [0, 0]);
    assert.deepEqual(Object.keys(final.parameters), ['triton_final_response']);
    assert.deepEqual(seen, [{ custom: 7 }], 'triton_enable_empty_final_response is not passed to the infer function');
  });

  it('a decoupled request with no response gets only the empty final response when it asks for it', async () => {
    const { responses, error } = await server.client.streamAll([
      request('counting', 'none', 0),
      request('counting', 'asked', 0, enableEmptyFinal(true)),
    ]);
    assert.equal(error, undefined);
    assert.deepEqual(responses.map(summary), [['asked', null, true]]);
  });
});
