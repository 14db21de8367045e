import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  type BatchContext,
  type BatchedInputs,
  type BatchedOutputs,
  ConstantPadder,
  batch,
  fillOptionals,
  firstValue,
  groupByKeys,
  groupByValues,
  padBatch,
  sample,
} from '../../src/core/decorators/index.ts';
import type { DataType } from '../../src/tensor/dtype.ts';
import { ModelConfig, type ModelConfigOptions } from '../../src/core/model-config.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import { type InferResponse, type ModelInfo, Request } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import { ErrorCode, TritonError } from '../../src/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// helpers

function spec(name: string, dtype: DataType, shape: number[], optional = false): Tensor {
  return Tensor({ name, dtype, shape, optional });
}

function modelInfo(inputs: Tensor[], outputs: Tensor[], config: ModelConfigOptions = {}): ModelInfo {
  return { name: 'm', version: 1, inputs, outputs, config: ModelConfig(config) };
}

function f32(values: unknown[], shape?: number[]): NDArray {
  return NDArray.from(values, 'FP32', shape);
}

function req(data: Record<string, NDArray>, model?: ModelInfo, id = ''): Request {
  return new Request({ data, model, id, parameters: { p: id } });
}

/** A validator for assert.throws/rejects: a TritonError of `code` whose message contains every fragment. */
function tritonError(code: string, fragments: readonly string[]): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TritonError, `expected a TritonError, got ${String(error)}`);
    assert.equal(error.code, code);
    for (const fragment of fragments) {
      assert.ok(error.message.includes(fragment), `'${fragment}' not in: ${error.message}`);
    }
    return true;
  };
}

async function rejectsWith(promise: unknown, code: string, ...fragments: string[]): Promise<void> {
  assert.ok(promise instanceof Promise, 'expected a promise (decorated functions are async)');
  await assert.rejects(promise, tritonError(code, fragments));
}

function throwsWith(fn: () => unknown, code: string, ...fragments: string[]): void {
  assert.throws(fn, tritonError(code, fragments));
}

function values(value: unknown): unknown[] {
  assert.ok(value instanceof NDArray, 'expected an NDArray');
  return value.toArray();
}

function shape(value: unknown): readonly number[] {
  assert.ok(value instanceof NDArray, 'expected an NDArray');
  return value.shape;
}

/** A batched function that records its calls and returns `y = 2 * x`. */
function doubler(): {
  calls: BatchedInputs[];
  contexts: BatchContext[];
  fn: (inputs: BatchedInputs, context: BatchContext) => BatchedOutputs;
} {
  const calls: BatchedInputs[] = [];
  const contexts: BatchContext[] = [];
  const fn = (inputs: BatchedInputs, context: BatchContext): BatchedOutputs => {
    calls.push(inputs);
    contexts.push(context);
    const x = inputs.x!;
    return {
      y: f32(
        x.toArray().map((v) => (v as number) * 2),
        [...x.shape],
      ),
    };
  };
  return { calls, contexts, fn };
}

const batchingModel = modelInfo([spec('x', 'FP32', [-1])], [spec('y', 'FP32', [-1])]);

// ---------------------------------------------------------------------------------------------------------------

describe('batch', () => {
  it('joins the inputs of all requests, calls the function once and splits the outputs by request', async () => {
    const { calls, fn } = doubler();
    const responses = await batch(fn)([
      req({
        x: f32([
          [1, 2],
          [3, 4],
        ]),
      }),
      req({ x: f32([[5, 6]]) }),
    ]);
    assert.equal(calls.length, 1);
    assert.deepEqual(shape(calls[0]!.x), [3, 2]);
    assert.deepEqual(values(calls[0]!.x), [1, 2, 3, 4, 5, 6]);
    assert.equal(responses.length, 2);
    assert.deepEqual(shape(responses[0]!.y), [2, 2]);
    assert.deepEqual(values(responses[0]!.y), [2, 4, 6, 8]);
    assert.deepEqual(shape(responses[1]!.y), [1, 2]);
    assert.deepEqual(values(responses[1]!.y), [10, 12]);
  });

  it('passes the requests and their model as context', async () => {
    const { contexts, fn } = doubler();
    const requests = [req({ x: f32([[1]]) }, batchingModel), req({ x: f32([[2]]) }, batchingModel)];
    await batch(fn)(requests);
    assert.equal(contexts[0]!.model, batchingModel);
    assert.deepEqual(contexts[0]!.requests, requests);
  });

  it('awaits an async function', async () => {
    const responses = await batch(async ({ x }) => ({ y: x! }))([req({ x: f32([[1]]) }), req({ x: f32([[2]]) })]);
    assert.deepEqual(
      responses.map((r) => values(r.y)),
      [[1], [2]],
    );
  });

  it('converts plain outputs to the declared output dtype', async () => {
    const model = modelInfo([spec('x', 'FP32', [1])], [spec('y', 'INT32', [1])]);
    const responses = await batch(() => ({ y: [[1], [2], [3]] }))([
      req({ x: f32([[0], [0]]) }, model),
      req({ x: f32([[0]]) }, model),
    ]);
    assert.equal((responses[0]!.y as NDArray).dtype, 'INT32');
    assert.deepEqual(values(responses[0]!.y), [1, 2]);
    assert.deepEqual(values(responses[1]!.y), [3]);
  });

  it('infers a dtype for outputs the model does not declare', async () => {
    const responses = await batch(() => ({
      a: new Float32Array([1, 2]),
      b: [[1.5], [2.5]],
      c: [1n, 2n],
      d: ['s', 't'],
    }))([req({ x: f32([[0]]) }), req({ x: f32([[0]]) })]);
    const first = responses[0]!;
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((name) => (first[name] as NDArray).dtype),
      ['FP32', 'FP64', 'INT64', 'BYTES'],
    );
    assert.deepEqual(values(responses[1]!.b), [2.5]);
  });

  it('fails with INTERNAL naming the output when its first dimension is not the total batch size', async () => {
    const inferFunc = batch(() => ({ y: f32([[1], [2]]), ok: f32([[1], [2], [3]]) }));
    await rejectsWith(
      inferFunc([req({ x: f32([[1], [2]]) }), req({ x: f32([[3]]) })]),
      ErrorCode.INTERNAL,
      "'y'",
      'first dimension 2',
      '3 rows',
    );
  });

  it('fails with INTERNAL when an output is a scalar', async () => {
    await rejectsWith(
      batch(() => ({ y: new NDArray('FP32', new Float32Array([1]), []) }))([
        req({ x: f32([[1]]) }),
        req({ x: f32([[1]]) }),
      ]),
      ErrorCode.INTERNAL,
      "'y'",
      'scalar',
    );
  });

  it('fails with INTERNAL when the function returns no object', async () => {
    await rejectsWith(
      batch(() => undefined as unknown as BatchedOutputs)([req({ x: f32([[1]]) })]),
      ErrorCode.INTERNAL,
      'undefined',
    );
  });

  it('fails with INVALID_ARG naming the difference when requests have different inputs', async () => {
    const { calls, fn } = doubler();
    await rejectsWith(
      batch(fn)([req({ x: f32([[1]]), a: f32([[1]]) }), req({ x: f32([[1]]), b: f32([[1]]) })]),
      ErrorCode.INVALID_ARG,
      'request 1',
      'missing a',
      'extra b',
      'groupByKeys',
    );
    assert.equal(calls.length, 0);
  });

  it('fails with INVALID_ARG naming an input that cannot be joined', async () => {
    await rejectsWith(
      batch(({ x }) => ({ y: x! }))([req({ x: f32([[1, 2]]) }), req({ x: f32([[1, 2, 3]]) })]),
      ErrorCode.INVALID_ARG,
      "input 'x'",
    );
  });

  it('answers no requests without calling the function', async () => {
    const { calls, fn } = doubler();
    assert.deepEqual(await batch(fn)([]), []);
    assert.equal(calls.length, 0);
  });
});

describe('sample', () => {
  it('calls the function once per request with its inputs and the request, keeping order', async () => {
    const seen: string[] = [];
    const requests = [req({ x: f32([1]) }, undefined, 'r0'), req({ x: f32([2]) }, undefined, 'r1')];
    const responses = await sample(async ({ x }, request) => {
      seen.push(request.id);
      return { y: f32([(x!.at(0) as number) + 10]) };
    })(requests);
    assert.deepEqual(seen, ['r0', 'r1']);
    assert.deepEqual(
      responses.map((r) => values((r as InferResponse).y)),
      [[11], [12]],
    );
  });
});

describe('groupByKeys', () => {
  it('calls the infer function per group of equal input names and restores request order', async () => {
    const groups: string[][] = [];
    const inferFunc = groupByKeys((requests) => {
      groups.push(requests.map((r) => r.id));
      return requests.map((r): InferResponse => ({ id: NDArray.fromStrings([r.id]) }));
    });
    const responses = await inferFunc([
      req({ a: f32([1]) }, undefined, 'r0'),
      req({ a: f32([1]), b: f32([1]) }, undefined, 'r1'),
      req({ b: f32([1]), a: f32([1]) }, undefined, 'r2'),
      req({ a: f32([1]) }, undefined, 'r3'),
    ]);
    assert.deepEqual(groups, [
      ['r0', 'r3'],
      ['r1', 'r2'],
    ]);
    assert.deepEqual(
      responses.map((r) => (r.id as NDArray).toStrings()[0]),
      ['r0', 'r1', 'r2', 'r3'],
    );
  });

  it('lets batch serve requests with different inputs', async () => {
    const addBias = ({ x, bias }: BatchedInputs): BatchedOutputs => {
      if (!bias) return { y: x! };
      return {
        y: f32(
          x!.toArray().map((v, i) => (v as number) + (bias.at(i) as number)),
          [...x!.shape],
        ),
      };
    };
    const inferFunc = groupByKeys(batch(addBias));
    const responses = await inferFunc([
      req({ x: f32([[1]]) }),
      req({ x: f32([[1]]), bias: f32([[5]]) }),
      req({ x: f32([[2]]) }),
    ]);
    assert.deepEqual(
      responses.map((r) => values(r.y)),
      [[1], [6], [2]],
    );
  });

  it('fails with INTERNAL when the wrapped function returns the wrong number of responses', async () => {
    await rejectsWith(groupByKeys(() => [])([req({ a: f32([1]) })]), ErrorCode.INTERNAL, '0 responses for 1 requests');
  });
});

describe('groupByValues', () => {
  it('calls the function per group of equal key rows and restores the original row order', async () => {
    const calls: unknown[][] = [];
    const inferFunc = batch(
      groupByValues('k')(({ x, k }) => {
        calls.push(x!.toArray());
        const factor = k!.at(0) as number;
        return {
          y: f32(
            x!.toArray().map((v) => (v as number) * factor),
            [...x!.shape],
          ),
        };
      }),
    );
    const responses = await inferFunc([
      req({ x: f32([[1], [2]]), k: f32([[10], [100]]) }),
      req({ x: f32([[3], [4]]), k: f32([[10], [100]]) }),
    ]);
    assert.deepEqual(calls, [
      [1, 3],
      [2, 4],
    ]);
    assert.deepEqual(
      responses.map((r) => values(r.y)),
      [
        [10, 200],
        [30, 400],
      ],
    );
  });

  it('groups by several inputs, whole rows and BYTES values', async () => {
    const groups: unknown[][] = [];
    const fn = groupByValues(
      's',
      'v',
    )(({ i }) => {
      groups.push(i!.toArray());
      return { o: i! };
    });
    const outputs = await fn(
      {
        i: NDArray.from([0, 1, 2, 3, 4], 'INT32'),
        s: NDArray.fromStrings(['a', 'a', 'b', 'a', 'a']),
        v: NDArray.from(
          [
            [1, 2],
            [1, 3],
            [1, 2],
            [1, 2],
            [1, 3],
          ],
          'INT32',
        ),
      },
      { requests: [], model: undefined },
    );
    assert.deepEqual(groups, [[0, 3], [1, 4], [2]]);
    assert.deepEqual(values(outputs.o), [0, 1, 2, 3, 4]);
  });

  it('does not split by an input the batch lacks', async () => {
    let calls = 0;
    const fn = groupByValues('absent')(({ x }) => {
      calls++;
      return { y: x! };
    });
    await fn({ x: f32([[1], [2]]) }, { requests: [], model: undefined });
    assert.equal(calls, 1);
  });

  it('fails with INTERNAL suggesting padFn when group outputs have different trailing shapes', async () => {
    const fn = groupByValues('n')(({ n }) => {
      const size = n!.at(0) as number;
      return { y: f32(new Array(n!.rows * size).fill(1), [n!.rows, size]) };
    });
    await rejectsWith(
      fn({ n: f32([[1], [2]]) }, { requests: [], model: undefined }),
      ErrorCode.INTERNAL,
      "'y'",
      'padFn',
    );
  });

  it('pads group outputs with a padFn so they can be joined', async () => {
    const fn = groupByValues('n', { padFn: ConstantPadder(-1) })(({ n }) => {
      const size = n!.at(0) as number;
      return { y: f32(new Array(n!.rows * size).fill(size), [n!.rows, size]) };
    });
    const outputs = await fn({ n: f32([[2], [1], [2]]) }, { requests: [], model: undefined });
    assert.deepEqual(shape(outputs.y), [3, 2]);
    assert.deepEqual(values(outputs.y), [2, 2, 1, -1, 2, 2]);
  });

  it('fails with INTERNAL when groups return different outputs', async () => {
    const fn = groupByValues('k')(({ k }): BatchedOutputs => ((k!.at(0) as number) === 1 ? { a: k! } : { b: k! }));
    await rejectsWith(
      fn({ k: f32([1, 2]) }, { requests: [], model: undefined }),
      ErrorCode.INTERNAL,
      'different outputs',
    );
  });

  it('fails with INVALID_ARG when given no input name', () => {
    throwsWith(() => groupByValues(), ErrorCode.INVALID_ARG, 'at least one');
    throwsWith(() => groupByValues({ padFn: ConstantPadder() }), ErrorCode.INVALID_ARG, 'at least one');
  });
});

describe('ConstantPadder', () => {
  it('pads every trailing dimension to the largest size with the pad value', () => {
    const largest = NDArray.from(
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      'INT32',
    );
    const [a, b] = ConstantPadder(7)([{ y: NDArray.from([[[1]]], 'INT32') }, { y: largest }]);
    assert.deepEqual(shape(a!.y), [1, 2, 2]);
    assert.deepEqual(values(a!.y), [1, 7, 7, 7]);
    assert.equal(b!.y, largest);
    assert.deepEqual(values(b!.y), [1, 2, 3, 4]);
  });

  it('pads BYTES with empty byte strings and converts the pad value to the dtype', () => {
    const [strings] = ConstantPadder(5)([
      { s: NDArray.fromStrings(['a'], [1, 1]) },
      { s: NDArray.fromStrings(['b', 'c'], [1, 2]) },
    ]);
    assert.deepEqual(strings!.s!.toStrings(), ['a', '']);
    const [halves] = ConstantPadder(0.5)([{ h: NDArray.from([[1]], 'FP16') }, { h: NDArray.from([[1, 2]], 'FP16') }]);
    assert.deepEqual(values(halves!.h), [1, 0.5]);
  });

  it('fails with INTERNAL when an output has different dtypes across groups', () => {
    throwsWith(
      () => ConstantPadder()([{ y: NDArray.from([[1]], 'INT32') }, { y: NDArray.from([[1]], 'FP32') }]),
      ErrorCode.INTERNAL,
      "'y'",
    );
  });
});

describe('fillOptionals', () => {
  const model = modelInfo(
    [spec('x', 'FP32', [1]), spec('t', 'FP32', [1], true), spec('w', 'INT32', [-1], true)],
    [spec('y', 'FP32', [1])],
  );

  function capture(): { seen: Request[][]; inferFunc: (r: Request[]) => InferResponse[] } {
    const seen: Request[][] = [];
    return { seen, inferFunc: (requests) => (seen.push(requests), requests.map(() => ({}))) };
  }

  it('fills a missing input with the default repeated to the request batch size', async () => {
    const { seen, inferFunc } = capture();
    const present = f32([[9], [9]]);
    await fillOptionals({ t: f32([0.5]) })(inferFunc)([
      req({ x: f32([[1], [2], [3]]) }, model, 'a'),
      req({ x: f32([[1], [2]]), t: present }, model, 'b'),
    ]);
    const [first, second] = seen[0]!;
    assert.deepEqual(shape(first!.data.t), [3, 1]);
    assert.deepEqual(values(first!.data.t), [0.5, 0.5, 0.5]);
    assert.equal(second!.data.t, present);
    assert.equal(first!.id, 'a');
    assert.deepEqual(first!.parameters, { p: 'a' });
    assert.equal(first!.model, model);
  });

  it('accepts a default with a batch dimension of 1 and converts plain values to the declared dtype', async () => {
    const { seen, inferFunc } = capture();
    await fillOptionals({ t: f32([[0.25]]), w: [1, 2, 3] })(inferFunc)([req({ x: f32([[1], [2]]) }, model)]);
    const data = seen[0]![0]!.data;
    assert.deepEqual(shape(data.t), [2, 1]);
    assert.equal(data.w!.dtype, 'INT32');
    assert.deepEqual(shape(data.w), [2, 3]);
    assert.deepEqual(values(data.w), [1, 2, 3, 1, 2, 3]);
  });

  it('uses the default as it is for a model without batching', async () => {
    const unbatched = modelInfo([spec('x', 'FP32', [1]), spec('t', 'FP32', [1], true)], [], { batching: false });
    const { seen, inferFunc } = capture();
    await fillOptionals({ t: f32([0.5]) })(inferFunc)([req({ x: f32([1]) }, unbatched)]);
    assert.deepEqual(shape(seen[0]![0]!.data.t), [1]);
  });

  it('repeats the default without validation when the requests carry no model', async () => {
    const { seen, inferFunc } = capture();
    await fillOptionals({ t: new Float32Array([1, 2]) })(inferFunc)([req({ x: f32([[1], [2]]) })]);
    assert.deepEqual(shape(seen[0]![0]!.data.t), [2, 2]);
    assert.equal(seen[0]![0]!.data.t!.dtype, 'FP32');
  });

  it('fails with INVALID_ARG for a default of an undeclared input', async () => {
    await rejectsWith(
      fillOptionals({ nope: f32([1]) })(capture().inferFunc)([req({ x: f32([[1]]) }, model)]),
      ErrorCode.INVALID_ARG,
      "'nope' is not an input",
    );
  });

  it('fails with INVALID_ARG for a default of another dtype', async () => {
    await rejectsWith(
      fillOptionals({ t: NDArray.from([1], 'INT32') })(capture().inferFunc)([req({ x: f32([[1]]) }, model)]),
      ErrorCode.INVALID_ARG,
      "'t' is INT32",
      'FP32',
    );
  });

  it('fails with INVALID_ARG for a default whose shape does not fit', async () => {
    await rejectsWith(
      fillOptionals({ t: f32([1, 2]) })(capture().inferFunc)([req({ x: f32([[1]]) }, model)]),
      ErrorCode.INVALID_ARG,
      "'t' has shape [2]",
      '[1]',
    );
  });
});

describe('padBatch', () => {
  const model = modelInfo([spec('x', 'FP32', [1])], [spec('y', 'FP32', [1])], {
    maxBatchSize: 8,
    batcher: { preferredBatchSize: [4, 2] },
  });

  function recorder(): { seen: NDArray[]; fn: (i: BatchedInputs) => BatchedOutputs } {
    const seen: NDArray[] = [];
    return { seen, fn: ({ x }) => (seen.push(x!), { y: x! }) };
  }

  it('repeats the last row up to the next preferred batch size and cuts the outputs back', async () => {
    const { seen, fn } = recorder();
    const responses = await batch(padBatch(fn))([req({ x: f32([[1], [2]]) }, model), req({ x: f32([[3]]) }, model)]);
    assert.deepEqual(values(seen[0]), [1, 2, 3, 3]);
    assert.deepEqual(
      responses.map((r) => values(r.y)),
      [[1, 2], [3]],
    );
  });

  it('pads to the maximum batch size beyond the preferred sizes', async () => {
    const { seen, fn } = recorder();
    const outputs = await padBatch(fn)({ x: f32([[1], [2], [3], [4], [5]]) }, { requests: [], model });
    assert.deepEqual(shape(seen[0]), [8, 1]);
    assert.deepEqual(values(seen[0]), [1, 2, 3, 4, 5, 5, 5, 5]);
    assert.deepEqual(values(outputs.y), [1, 2, 3, 4, 5]);
  });

  it('does not pad a batch of a preferred size', async () => {
    const { seen, fn } = recorder();
    await padBatch(fn)({ x: f32([[1], [2]]) }, { requests: [], model });
    assert.deepEqual(shape(seen[0]), [2, 1]);
  });

  it('fails with INTERNAL when the model is unknown', async () => {
    await rejectsWith(
      padBatch(recorder().fn)({ x: f32([[1]]) }, { requests: [], model: undefined }),
      ErrorCode.INTERNAL,
      'padBatch',
    );
  });

  it('fails with INTERNAL when an output does not have the padded batch size', async () => {
    await rejectsWith(
      padBatch(({ x }) => ({ y: x!.sliceRows(0, 3) }))({ x: f32([[1], [2], [3]]) }, { requests: [], model }),
      ErrorCode.INTERNAL,
      "'y'",
      'first dimension 3',
      '4 rows',
    );
  });
});

describe('firstValue', () => {
  const context: BatchContext = { requests: [], model: batchingModel };

  function recorder(): { seen: BatchedInputs[]; fn: (i: BatchedInputs) => BatchedOutputs } {
    const seen: BatchedInputs[] = [];
    return { seen, fn: (inputs) => (seen.push(inputs), {}) };
  }

  it('replaces the named inputs with their first row, squeezed to a scalar by default', async () => {
    const { seen, fn } = recorder();
    const x = f32([[1], [2]]);
    await firstValue('t', 'absent')(fn)({ x, t: f32([[0.5], [0.5]]) }, context);
    assert.deepEqual(shape(seen[0]!.t), []);
    assert.deepEqual(values(seen[0]!.t), [0.5]);
    assert.equal(seen[0]!.x, x);
    assert.ok(!('absent' in seen[0]!));
  });

  it('keeps the row shape without squeezing, and for rows of several elements', async () => {
    const { seen, fn } = recorder();
    await firstValue('t', { squeezeSingleValues: false })(fn)({ t: f32([[0.5], [0.5]]) }, context);
    assert.deepEqual(shape(seen[0]!.t), [1]);
    await firstValue('v')(fn)(
      {
        v: f32([
          [1, 2],
          [1, 2],
        ]),
      },
      context,
    );
    assert.deepEqual(shape(seen[1]!.v), [2]);
    assert.deepEqual(values(seen[1]!.v), [1, 2]);
  });

  it('fails with INVALID_ARG naming the input when rows differ, unless strict is off', async () => {
    const { seen, fn } = recorder();
    await rejectsWith(firstValue('t')(fn)({ t: f32([[0.5], [0.7]]) }, context), ErrorCode.INVALID_ARG, "'t'", 'row 1');
    await firstValue('t', { strict: false })(fn)({ t: f32([[0.5], [0.7]]) }, context);
    assert.deepEqual(values(seen[0]!.t), [0.5]);
  });

  it('compares BYTES rows by content', async () => {
    const { fn } = recorder();
    await firstValue('s')(fn)({ s: NDArray.fromStrings(['a', 'a']) }, context);
    await rejectsWith(
      firstValue('s')(fn)({ s: NDArray.fromStrings(['a', 'b']) }, context),
      ErrorCode.INVALID_ARG,
      "'s'",
    );
  });

  it('fails with INTERNAL for a model without batching', async () => {
    const unbatched = modelInfo([spec('t', 'FP32', [1])], [], { batching: false });
    await rejectsWith(
      firstValue('t')(recorder().fn)({ t: f32([0.5]) }, { requests: [], model: unbatched }),
      ErrorCode.INTERNAL,
      'batching',
    );
  });

  it('works inside batch after groupByValues', async () => {
    const temperatures: unknown[] = [];
    const inferFunc = batch(
      groupByValues('t')(
        firstValue('t')(({ x, t }) => {
          temperatures.push(t!.at(0));
          return { y: x! };
        }),
      ),
    );
    const responses = await inferFunc([
      req({ x: f32([[1]]), t: f32([[0.5]]) }, batchingModel),
      req({ x: f32([[2]]), t: f32([[0.25]]) }, batchingModel),
    ]);
    assert.deepEqual(temperatures, [0.5, 0.25]);
    assert.deepEqual(
      responses.map((r) => values(r.y)),
      [[1], [2]],
    );
  });
});
