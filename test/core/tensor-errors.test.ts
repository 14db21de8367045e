import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceRequest } from '../../src/core/inference-request.ts';
import { ModelConfig } from '../../src/core/model-config.ts';
import { type BindOptions, Model } from '../../src/core/model.ts';
import type { Request } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import { errorFromWire, errorToWire } from '../../src/core/worker/transfer.ts';
import { ErrorCode, TritonError } from '../../src/errors.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import { TensorError } from '../../src/tensor/tensor-error.ts';

const io = {
  inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
  outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
};

function model(inferFunc: BindOptions['inferFunc'], decoupled = false): Model {
  return new Model({ modelName: 'm', inferFunc, ...io, config: ModelConfig({ maxBatchSize: 8, decoupled }) });
}

const request: InferenceRequest = {
  modelName: 'm',
  modelVersion: -1,
  id: '1',
  inputs: { x: NDArray.from([[1]], 'INT32') },
  parameters: {},
  requestedOutputs: undefined,
};

/** The error a request fails with. */
async function failure(m: Model): Promise<TritonError> {
  try {
    await m.infer(request);
  } catch (error) {
    assert.ok(error instanceof TritonError);
    return error;
  }
  assert.fail('the request succeeded');
}

const BAD_ELEMENT = 'element 0 ("not a number") cannot be converted to FP32';

describe("NDArray's TensorError in model code is answered INVALID_ARG, as before it had its own class", () => {
  it('thrown by the infer function', async () => {
    const error = await failure(model(() => [{ y: NDArray.from(['not a number'], 'FP32') }]));
    assert.equal(error.code, ErrorCode.INVALID_ARG);
    assert.equal(error.message, BAD_ELEMENT);
  });

  it("returned in a request's place", async () => {
    const error = await failure(
      model((requests: Request[]) =>
        requests.map(() => {
          try {
            return { y: NDArray.from(['not a number'], 'FP32') };
          } catch (thrown) {
            return thrown as Error;
          }
        }),
      ),
    );
    assert.equal(error.code, ErrorCode.INVALID_ARG);
    assert.equal(error.message, BAD_ELEMENT);
  });

  it('posted back from a worker thread', () => {
    const posted = errorFromWire(errorToWire(new TensorError(BAD_ELEMENT)));
    assert.ok(posted instanceof TritonError);
    assert.equal(posted.code, ErrorCode.INVALID_ARG);
    assert.equal(posted.message, BAD_ELEMENT);
  });
});
