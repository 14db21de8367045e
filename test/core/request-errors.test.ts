import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupByKeys, sample } from '../../src/core/decorators/index.ts';
import type { InferenceRequest, InferenceResult } from '../../src/core/inference-request.ts';
import { ModelConfig } from '../../src/core/model-config.ts';
import { type BindOptions, Model } from '../../src/core/model.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import type { InferOutcome, Request } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import { ErrorCode, invalidArg, TritonError } from '../../src/errors.ts';

const io = {
  inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
  outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
};

/** A batch of requests sent together (one per value of x), each settled to 'ok <y>' or '<code>: <message>'. */
async function sendTogether(model: Model, xs: number[]): Promise<string[]> {
  const request = (x: number): InferenceRequest => ({
    modelName: model.name,
    modelVersion: -1,
    id: `r${x}`,
    inputs: { x: NDArray.from([[x]], 'INT32') },
    parameters: {},
    requestedOutputs: undefined,
  });
  return Promise.all(
    xs.map((x) =>
      model.infer(request(x)).then(
        (r: InferenceResult) => `ok ${String(r.outputs[0]!.array.toArray()[0])}`,
        (e: TritonError) => `${e.code}: ${e.message}`,
      ),
    ),
  );
}

function model(inferFunc: BindOptions['inferFunc'], decoupled = false): Model {
  return new Model({ modelName: 'm', inferFunc, ...io, config: ModelConfig({ maxBatchSize: 8, decoupled }) });
}

/** Fails the requests whose x is negative, with a plain Error or (x = -2) a TritonError. */
function failNegative(requests: Request[]): InferOutcome[] {
  return requests.map((r) => {
    const x = r.data.x!.toArray()[0] as number;
    if (x === -2) return invalidArg('x must not be -2');
    return x < 0 ? new Error('Requested Error') : { y: r.data.x! };
  });
}

describe("an Error returned in a request's place fails that request alone", () => {
  it('answers the other requests of the batch and counts one BACKEND failure', async () => {
    let batches = 0;
    const m = model((requests: Request[]) => {
      batches++;
      return failNegative(requests);
    });
    const outcomes = await sendTogether(m, [1, -1, 2, -2, 3]);
    assert.equal(batches, 1, 'the five requests shared one batch');
    assert.deepEqual(outcomes, [
      'ok 1',
      "INTERNAL: Failed to process the request(s) for model 'm', message: Error: Requested Error",
      'ok 2',
      'INVALID_ARG: x must not be -2',
      'ok 3',
    ]);
    assert.equal(m.statistics.success.count, 3);
    assert.equal(m.statistics.failures.BACKEND, 2);
  });

  it('works through groupByKeys', async () => {
    const m = model(groupByKeys(failNegative));
    assert.deepEqual(await sendTogether(m, [-1, 4]), [
      "INTERNAL: Failed to process the request(s) for model 'm', message: Error: Requested Error",
      'ok 4',
    ]);
  });

  it('sample: a throw or a returned Error for one request fails only that request', async () => {
    const m = model(
      sample(({ x }) => {
        const value = x!.toArray()[0] as number;
        if (value === -1) throw new Error('thrown for -1');
        if (value === -2) return new TritonError(ErrorCode.INVALID_ARG, 'returned for -2');
        return { y: x! };
      }),
    );
    assert.deepEqual(await sendTogether(m, [5, -1, -2, 6]), [
      'ok 5',
      "INTERNAL: Failed to process the request(s) for model 'm', message: Error: thrown for -1",
      'INVALID_ARG: returned for -2',
      'ok 6',
    ]);
  });

  it("a decoupled model ends only that request's stream with a yielded Error", async () => {
    const m = model(async function* (requests: Request[]) {
      yield failNegative(requests);
    }, true);
    const outcomes = await sendTogether(m, [7, -1]);
    assert.deepEqual(outcomes, [
      'ok 7',
      "INTERNAL: Failed to process the request(s) for model 'm', message: Error: Requested Error",
    ]);
  });
});
