import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceRequest } from '../../src/core/inference-request.ts';
import { ModelConfig } from '../../src/core/model-config.ts';
import { Model } from '../../src/core/model.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import type { InferResponse } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import { TritonError } from '../../src/errors.ts';
import { setLogSink } from '../../src/logger.ts';

/** A model whose single response is `response`, with outputs y FP32 [2] and z INT32 [1]. */
function model(strict: boolean, response: InferResponse, maxBatchSize = 4): Model {
  return new Model({
    modelName: 'm',
    inferFunc: (requests) => requests.map(() => response),
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] }), Tensor({ name: 'z', dtype: 'INT32', shape: [1] })],
    config: ModelConfig({ maxBatchSize }),
    strict,
  });
}

const request: InferenceRequest = {
  modelName: 'm',
  modelVersion: -1,
  id: '',
  inputs: { x: NDArray.from([[1, 2]], 'FP32') },
  parameters: {},
  requestedOutputs: undefined,
};

const good = { y: NDArray.from([[1, 2]], 'FP32'), z: NDArray.from([[3]], 'INT32') };

async function failure(m: Model): Promise<string> {
  try {
    await m.infer(request);
  } catch (error) {
    assert.ok(error instanceof TritonError);
    assert.equal(error.httpStatus, 500);
    return error.message;
  }
  throw new Error('expected the request to fail');
}

describe('strict output checking', () => {
  it('accepts outputs that match the declaration', async () => {
    const result = await model(true, good).infer(request);
    assert.deepEqual(
      result.outputs.map((o) => o.name),
      ['y', 'z'],
    );
  });

  it('names an output of the wrong datatype', async () => {
    const message = await failure(model(true, { ...good, y: NDArray.from([[1, 2]], 'FP64') }));
    assert.equal(message, "output 'y' of model 'm' has datatype FP64, but the model declares FP32");
  });

  it('names an output of the wrong shape (batch dimension included)', async () => {
    const message = await failure(model(true, { ...good, y: NDArray.from([[1, 2, 3]], 'FP32') }));
    assert.equal(message, "output 'y' of model 'm' has shape [1,3], but the model declares [-1,2]");
  });

  it('names a missing and an undeclared output', async () => {
    assert.equal(
      await failure(model(true, { y: good.y })),
      "output 'z' was not returned by the infer function of model 'm'",
    );
    assert.equal(
      await failure(model(true, { ...good, extra: NDArray.from([1], 'FP32') })),
      "output 'extra' returned by model 'm' is not a declared output",
    );
  });

  it('checks typed arrays by their own type', async () => {
    const message = await failure(model(true, { ...good, z: new Float32Array([3]) }));
    assert.match(message, /output 'z' of model 'm' has datatype FP32, but the model declares INT32/);
  });

  it('without strict, converts outputs to the declared datatype and drops undeclared ones', async () => {
    const result = await model(false, { y: new Float64Array([1.5, 2.5]), z: [7], extra: [1] }).infer(request);
    assert.deepEqual(
      result.outputs.map((o) => [o.name, o.array.dtype, Array.from(o.array.data as ArrayLike<number>)]),
      [
        ['y', 'FP32', [1.5, 2.5]],
        ['z', 'INT32', [7]],
      ],
    );
  });
});

describe('non-strict models: mistakes are logged, not silent', () => {
  async function warningsOf(fn: () => Promise<unknown>): Promise<string[]> {
    const warnings: string[] = [];
    const previous = setLogSink((level, message) => {
      if (level === 'warn') warnings.push(message);
    });
    try {
      await fn();
    } finally {
      setLogSink(previous);
    }
    return warnings;
  }

  it('warns once per model and output about an undeclared output, which is not sent', async () => {
    const m = model(false, { y: good.y, Y2: NDArray.from([[1]], 'FP32') });
    const warnings = await warningsOf(async () => {
      for (let i = 0; i < 3; i++)
        assert.deepEqual(
          (await m.infer(request)).outputs.map((o) => o.name),
          ['y'],
        );
    });
    assert.deepEqual(warnings, [
      "the infer function of model 'm' returned output 'Y2', which is not declared (outputs: y, z); it is not sent (logged once per model and output; bind with strict: true to fail such responses)",
    ]);
  });

  it('warns once per model and output about an output of the wrong shape, which is sent', async () => {
    const m = model(false, { ...good, y: NDArray.from([[1, 2, 3]], 'FP32') });
    const warnings = await warningsOf(async () => {
      for (let i = 0; i < 3; i++) assert.deepEqual((await m.infer(request)).outputs[0]!.array.shape, [1, 3]);
    });
    assert.deepEqual(warnings, [
      "output 'y' of model 'm' has shape [1,3], but the model declares [-1,2]; it is sent as it is (logged once per model and output; bind with strict: true to fail such responses)",
    ]);
  });

  it('fails a request that named an output the model did not return, naming it', async () => {
    const m = model(false, { y: good.y });
    await assert.rejects(m.infer({ ...request, requestedOutputs: ['z'] }), {
      message: "output 'z' was requested, but the infer function of model 'm' did not return it",
    });
  });
});
