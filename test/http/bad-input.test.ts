/**
 * Bad input over HTTP: each gets its own 4xx (or Triton's 5xx) with Triton's message, and the server keeps
 * serving (triton-protocol.md §3.6, §3.11, §3.18).
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type BindOptions, type InferFunc, ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import { type InProcessFetch, type InProcessHttp, inProcessHttp } from '../helpers/in-process-http.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

const NOTE =
  ' NOTE: Setting a non-zero max_batch_size in the model config requires a batch dimension to be prepended to each input shape.' +
  ' If you want to specify the full shape including the batch dim in your input dims config, try setting max_batch_size to zero.' +
  ' See the model configuration docs for more info on max_batch_size.';

const identity: InferFunc = (requests) => requests.map((r) => ({ y: r.data.x! }));

const GOOD_BODY = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] };
const GOOD_TEXT =
  '{"model_name":"m","model_version":"1","outputs":[{"name":"y","datatype":"FP32","shape":[1,2],"data":[1,2]}]}';

function bindModels(triton: { bind(options: BindOptions): unknown }): void {
  triton.bind({
    modelName: 'm',
    inferFunc: identity,
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
    config: ModelConfig({ maxBatchSize: 4 }),
  });
}

/** POSTs `body` (serialized unless a string or Buffer) to `url` with `send` (fetch or the in-process fetch). */
function postWith(
  send: InProcessFetch,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

/** Asserts an error response: status, JSON content type, and the `{"error": ...}` body (exact or matching). */
async function assertError(response: Response, status: number, error: string | RegExp): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.equal(response.headers.get('content-type'), 'application/json');
  const body = JSON.parse(text) as { error: unknown };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(typeof body.error, 'string');
  if (typeof error === 'string') assert.equal(body.error, error);
  else assert.match(body.error as string, error);
  return body.error as string;
}

describe('HTTP bad input', () => {
  // The frontend's handler in process (test/helpers/in-process-http.ts): these cases only check request → response.
  let http: InProcessHttp;
  let base = '';
  let calls = 0;
  const post = (url: string, body: unknown, headers?: Record<string, string>): Promise<Response> =>
    postWith(http.fetch, url, body, headers);
  const models: BindOptions[] = [];
  const triton = { bind: (options: BindOptions) => void models.push(options) };

  const infer = (model: string, body: unknown): Promise<Response> => post(`${base}/v2/models/${model}/infer`, body);

  /** A good request right after a bad one still succeeds. */
  async function assertStillServing(): Promise<void> {
    const response = await infer('m', GOOD_BODY);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), GOOD_TEXT);
  }

  /** Sends `body` to model `model`, expects the error, then checks the server still serves. */
  async function expectInferError(
    model: string,
    body: unknown,
    status: number,
    error: string | RegExp,
  ): Promise<string> {
    const message = await assertError(await infer(model, body), status, error);
    await assertStillServing();
    return message;
  }

  before(async () => {
    bindModels(triton);
    triton.bind({
      modelName: 'nobatch',
      inferFunc: identity,
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2, -1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2, -1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'two',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.a! })),
      inputs: [Tensor({ name: 'a', dtype: 'INT32', shape: [1] }), Tensor({ name: 'b', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    });
    triton.bind({
      modelName: 'opt',
      inferFunc: (requests) => requests.map(() => ({ y: NDArray.from([[0]], 'INT32') })),
      inputs: [
        Tensor({ name: 'a', dtype: 'INT32', shape: [1] }),
        Tensor({ name: 'b', dtype: 'INT32', shape: [1], optional: true }),
      ],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    });
    for (const dtype of ['INT32', 'UINT8', 'BOOL', 'BYTES', 'FP16', 'BF16'] as const) {
      triton.bind({
        modelName: `t_${dtype}`,
        inferFunc: identity,
        inputs: [Tensor({ name: 'x', dtype, shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype, shape: [-1] })],
        config: ModelConfig({ maxBatchSize: 0 }),
      });
    }
    triton.bind({
      modelName: 'to_half',
      inferFunc: (requests) => requests.map((r) => ({ y: NDArray.from(r.data.x!.toArray(), 'FP16') })),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP16', shape: [-1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'boom',
      inferFunc: (requests) => {
        calls++;
        if (requests.some((r) => r.data.fail!.toArray()[0] === true)) throw new TypeError('boom happened');
        return requests.map((r) => ({ ok: r.data.fail! }));
      },
      inputs: [Tensor({ name: 'fail', dtype: 'BOOL', shape: [1] })],
      outputs: [Tensor({ name: 'ok', dtype: 'BOOL', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    triton.bind({
      modelName: 'decoupled',
      inferFunc: identity,
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
      config: ModelConfig({ decoupled: true }),
    });
    http = await inProcessHttp(models);
    base = http.base;
  });

  after(() => http.close());

  it('the good request works to begin with', async () => {
    await assertStillServing();
  });

  describe('unknown model or version (404)', () => {
    it('unknown model on infer, generate, generate_stream, metadata, ready and config', async () => {
      const error = "Request for unknown model: 'x' is not found";
      await expectInferError('x', GOOD_BODY, 404, error);
      await assertError(await post(`${base}/v2/models/x/generate`, { x: 1 }), 404, error);
      await assertError(await post(`${base}/v2/models/x/generate_stream`, { x: 1 }), 404, error);
      for (const suffix of ['', '/ready', '/config'])
        await assertError(await http.fetch(`${base}/v2/models/x${suffix}`), 404, error);
      await assertStillServing();
    });

    it('unknown version', async () => {
      const error = "Request for unknown model: 'm' version 9 is not found";
      await expectInferError('m/versions/9', GOOD_BODY, 404, error);
      await assertError(await post(`${base}/v2/models/m/versions/9/generate`, { x: [1, 2] }), 404, error);
      await assertError(await http.fetch(`${base}/v2/models/m/versions/9`), 404, error);
      await assertStillServing();
    });
  });

  describe('malformed requests (400)', () => {
    it('malformed JSON', async () => {
      await expectInferError('m', '{"inputs": [', 400, /^failed to parse the request JSON buffer: /);
      await expectInferError('m', '', 400, /^failed to parse the request JSON buffer: /);
      await assertError(
        await post(`${base}/v2/models/m/generate`, '{nope'),
        400,
        /^failed to parse the request JSON buffer: /,
      );
      await assertStillServing();
    });

    it('a body that is not a JSON object', async () => {
      await expectInferError('m', [GOOD_BODY], 400, 'Unable to parse the request: expected a JSON object');
      await expectInferError('m', 'null', 400, 'Unable to parse the request: expected a JSON object');
    });

    it('missing or malformed inputs', async () => {
      await expectInferError('m', {}, 400, "Unable to parse 'inputs': expected an array of input tensors");
      await expectInferError('m', { inputs: [42] }, 400, "Unable to parse 'inputs[0]': expected an object");
      await expectInferError(
        'm',
        { inputs: [{ datatype: 'FP32', shape: [1], data: [1] }] },
        400,
        "Unable to parse 'name' of inputs[0]: expected a string",
      );
    });

    it('an unknown datatype', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FLOAT32', shape: [1, 2], data: [1, 2] }] },
        400,
        `Unable to parse 'datatype' of input 'x': unknown datatype "FLOAT32"`,
      );
    });

    it('an input given twice', async () => {
      await expectInferError(
        'm',
        { inputs: [GOOD_BODY.inputs[0], GOOD_BODY.inputs[0]] },
        400,
        "input 'x' is given more than once",
      );
    });

    it('an input without data', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }] },
        400,
        "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But no field is set",
      );
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2], parameters: { binary_data_size: 8 } }] },
        400,
        "Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', 'shared_memory_region' in 'parameters'. But set 'data' 'binary_data_size'",
      );
    });

    it('a triton_ request parameter', async () => {
      await expectInferError(
        'm',
        { ...GOOD_BODY, parameters: { triton_enable_empty_final_response: true } },
        400,
        "parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified.",
      );
    });

    it('a parameter value that is not a string, number or boolean', async () => {
      await expectInferError(
        'm',
        { ...GOOD_BODY, parameters: { nested: { a: 1 } } },
        400,
        `Unable to parse 'parameters': parameter 'nested' must be a string, number or boolean, got {"a":1}`,
      );
      await expectInferError(
        'm',
        { ...GOOD_BODY, parameters: [1] },
        400,
        "Unable to parse 'parameters': expected a JSON object",
      );
    });

    it('a priority that is not an unsigned integer', async () => {
      await expectInferError(
        'm',
        { ...GOOD_BODY, parameters: { priority: -1 } },
        400,
        "parameter 'priority' must be an unsigned integer; got -1",
      );
    });

    it('a non-string id', async () => {
      await expectInferError('m', { ...GOOD_BODY, id: 42 }, 400, "Unable to parse 'id': expected a string, got 42");
      await expectInferError('m', { ...GOOD_BODY, id: null }, 400, "Unable to parse 'id': expected a string, got null");
      await assertError(
        await post(`${base}/v2/models/m/generate`, { id: 7, x: [1, 2] }),
        400,
        "Unable to parse 'id': expected a string, got 7",
      );
    });

    it('malformed requested outputs', async () => {
      await expectInferError(
        'm',
        { ...GOOD_BODY, outputs: { name: 'y' } },
        400,
        "Unable to parse 'outputs': expected an array",
      );
      await expectInferError(
        'm',
        { ...GOOD_BODY, outputs: [{}] },
        400,
        "Unable to parse 'outputs[0]': expected an object with a string 'name'",
      );
    });
  });

  describe("request validation with Triton's messages (400)", () => {
    it('wrong datatype, with the request id prefix', async () => {
      const body = { inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2], data: [1, 2] }] };
      await expectInferError(
        'm',
        body,
        400,
        "[request id: <id_unknown>] inference input 'x' data-type is 'INT32', but model 'm' expects 'FP32'",
      );
      await expectInferError(
        'm',
        { ...body, id: 'abc' },
        400,
        "[request id: abc] inference input 'x' data-type is 'INT32', but model 'm' expects 'FP32'",
      );
    });

    it('wrong shape, batching model (with the max_batch_size NOTE)', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] },
        400,
        `[request id: <id_unknown>] unexpected shape for input 'x' for model 'm'. Expected [-1,2], got [1,3].${NOTE}`,
      );
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [2], data: [1, 2] }] },
        400,
        `[request id: <id_unknown>] unexpected shape for input 'x' for model 'm'. Expected [-1,2], got [2].${NOTE}`,
      );
    });

    it('wrong shape, non-batching model', async () => {
      await expectInferError(
        'nobatch',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [3, 1], data: [1, 2, 3] }] },
        400,
        "[request id: <id_unknown>] unexpected shape for input 'x' for model 'nobatch'. Expected [2,-1], got [3,1].",
      );
    });

    it('a scalar shape on a batching model', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [], data: [1] }] },
        400,
        "[request id: <id_unknown>] input 'x' has no shape but model requires batch dimension for 'm'",
      );
    });

    it('element count not matching the shape', async () => {
      const message = await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2, 3] }] },
        400,
        /Shape does not match true shape of 'data' field/,
      );
      assert.match(message, /'x'/);
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3]] }] },
        400,
        /Shape does not match true shape of 'data' field/,
      );
    });

    it('missing required input', async () => {
      await expectInferError(
        'two',
        { inputs: [{ name: 'a', datatype: 'INT32', shape: [1, 1], data: [1] }] },
        400,
        "[request id: <id_unknown>] expected 2 inputs but got 1 inputs for model 'two'. Got input(s) ['a'], but missing required input(s) ['b']. Please provide all required input(s).",
      );
      await expectInferError(
        'opt',
        { inputs: [{ name: 'b', datatype: 'INT32', shape: [1, 1], data: [1] }] },
        400,
        "[request id: <id_unknown>] expected number of inputs between 1 and 2 but got 1 inputs for model 'opt'. Got input(s) ['b'], but missing required input(s) ['a']. Please provide all required input(s).",
      );
    });

    it('inputs whose batch sizes differ', async () => {
      await expectInferError(
        'two',
        {
          inputs: [
            { name: 'a', datatype: 'INT32', shape: [1, 1], data: [1] },
            { name: 'b', datatype: 'INT32', shape: [2, 1], data: [1, 2] },
          ],
        },
        400,
        "[request id: <id_unknown>] input 'b' batch size does not match other inputs for 'two'",
      );
    });

    it('unknown input', async () => {
      await expectInferError(
        'm',
        { inputs: [...GOOD_BODY.inputs, { name: 'z', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] },
        400,
        "[request id: <id_unknown>] unexpected inference input 'z' for model 'm'",
      );
    });

    it('an input named __proto__ is an unknown input, not a prototype', async () => {
      await expectInferError(
        'm',
        { inputs: [...GOOD_BODY.inputs, { name: '__proto__', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] },
        400,
        "[request id: <id_unknown>] unexpected inference input '__proto__' for model 'm'",
      );
    });

    it('an input named like an Object.prototype member (constructor) is an unknown input, given once', async () => {
      await expectInferError(
        'm',
        { inputs: [...GOOD_BODY.inputs, { name: 'constructor', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] },
        400,
        "[request id: <id_unknown>] unexpected inference input 'constructor' for model 'm'",
      );
    });

    it('unknown requested output', async () => {
      await expectInferError(
        'm',
        { ...GOOD_BODY, id: 'r1', outputs: [{ name: 'y' }, { name: 'nope' }] },
        400,
        "[request id: r1] unexpected inference output 'nope' for model 'm'",
      );
    });

    it('batch larger than maxBatchSize', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [5, 2], data: new Array(10).fill(0) }] },
        400,
        "[request id: <id_unknown>] inference request batch-size must be <= 4 for 'm'",
      );
    });

    it('a batch of exactly maxBatchSize is accepted', async () => {
      const response = await infer('m', {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [4, 2], data: new Array(8).fill(1) }],
      });
      assert.equal(response.status, 200, await response.clone().text());
      assert.deepEqual(((await response.json()) as any).outputs[0].shape, [4, 2]);
    });
  });

  describe('JSON element types (400)', () => {
    it('FP16 and BF16 data cannot be sent as JSON', async () => {
      for (const dtype of ['FP16', 'BF16']) {
        await expectInferError(
          `t_${dtype}`,
          { inputs: [{ name: 'x', datatype: dtype, shape: [1], data: [1] }] },
          400,
          `receiving ${dtype} data via JSON is not supported. Please use the binary data format for input x`,
        );
      }
    });

    it('FP16 outputs cannot be sent as JSON', async () => {
      await expectInferError(
        'to_half',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] },
        400,
        'sending FP16 data via JSON is not supported. Please use the binary data format for output y',
      );
    });

    const CASES: ReadonlyArray<[string, string, unknown, string]> = [
      ['a string in INT32', 'INT32', '1', 'element 0 is "1", but datatype INT32 needs a number'],
      [
        '1.5 in INT32',
        'INT32',
        1.5,
        'element 0 is 1.5, but datatype INT32 needs an integer in [-2147483648, 2147483647]',
      ],
      [
        '2^31 in INT32',
        'INT32',
        2147483648,
        'element 0 is 2147483648, but datatype INT32 needs an integer in [-2147483648, 2147483647]',
      ],
      ['300 in UINT8', 'UINT8', 300, 'element 0 is 300, but datatype UINT8 needs an integer in [0, 255]'],
      ['-1 in UINT8', 'UINT8', -1, 'element 0 is -1, but datatype UINT8 needs an integer in [0, 255]'],
      ['1 in BOOL', 'BOOL', 1, 'element 0 is 1, but datatype BOOL needs true or false'],
      ['a number in BYTES', 'BYTES', 5, 'element 0 is 5, but datatype BYTES needs a string'],
      ['null in INT32', 'INT32', null, 'element 0 is null, but datatype INT32 needs a number'],
      ['true in INT32', 'INT32', true, 'element 0 is true, but datatype INT32 needs a number'],
      ['an object in INT32', 'INT32', { a: 1 }, 'element 0 is an object, but datatype INT32 needs a number'],
      ['a string in BOOL', 'BOOL', 'true', 'element 0 is "true", but datatype BOOL needs true or false'],
    ];
    for (const [title, dtype, value, detail] of CASES) {
      it(title, async () => {
        await expectInferError(
          `t_${dtype}`,
          { inputs: [{ name: 'x', datatype: dtype, shape: [1], data: [value] }] },
          400,
          `Unable to parse 'data' of input 'x': ${detail}`,
        );
      });
    }

    it('a number too large for a double (parsed as Infinity)', async () => {
      await expectInferError(
        'm',
        '{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,1e400]}]}',
        400,
        "Unable to parse 'data' of input 'x': element 1 is Infinity, but datatype FP32 needs a finite number",
      );
      await expectInferError(
        't_INT32',
        '{"inputs":[{"name":"x","datatype":"INT32","shape":[1],"data":[-1e400]}]}',
        400,
        "Unable to parse 'data' of input 'x': element 0 is -Infinity, but datatype INT32 needs a finite number",
      );
    });

    it('data nested thousands deep is a 400, not a stack overflow', async () => {
      const depth = 50_000;
      const deep = '['.repeat(depth) + '1' + ']'.repeat(depth);
      await expectInferError(
        'm',
        `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":${deep}}]}`,
        400,
        /^Unable to parse 'data' of input 'x': Shape does not match true shape of 'data' field/,
      );
      const ok = await infer('m', `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[${deep},2]}]}`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), GOOD_TEXT);
    });

    it('the element index is the flat index in nested data', async () => {
      await expectInferError(
        't_INT32',
        { inputs: [{ name: 'x', datatype: 'INT32', shape: [3], data: [[1, 2], ['x']] }] },
        400,
        `Unable to parse 'data' of input 'x': element 2 is "x", but datatype INT32 needs a number`,
      );
    });

    it('a negative shape', async () => {
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2], data: [1, 2] }] },
        400,
        "Unable to parse 'shape' of input 'x': expected an array of non-negative integers, got [-1,2]",
      );
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1.5, 2], data: [1, 2] }] },
        400,
        "Unable to parse 'shape' of input 'x': expected an array of non-negative integers, got [1.5,2]",
      );
      await expectInferError(
        'm',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: '1,2', data: [1, 2] }] },
        400,
        `Unable to parse 'shape' of input 'x': expected an array of non-negative integers, got "1,2"`,
      );
    });
  });

  describe('generate input mapping (400)', () => {
    it('an input value that is not a scalar or 1-D array', async () => {
      await assertError(
        await post(`${base}/v2/models/m/generate`, { x: [[1, 2]] }),
        400,
        "The schema can not convert input 'x' to tensor with proper shape",
      );
      await assertError(
        await post(`${base}/v2/models/m/generate`, { x: [1, 2, 3] }),
        400,
        "The schema can not convert input 'x' to tensor with proper shape",
      );
      await assertStillServing();
    });

    it('a parameter that is not a string, number or boolean', async () => {
      const response = await post(`${base}/v2/models/m/generate`, { x: [1, 2], extra: [1] });
      await assertError(response, 400, /^parameter 'extra' must be a string, number or boolean/);
      await assertError(
        await post(`${base}/v2/models/m/generate`, { x: [1, 2], parameters: 3 }),
        400,
        "Unable to parse 'parameters': expected a JSON object",
      );
      await assertStillServing();
    });

    it('a wrong element type', async () => {
      await assertError(
        await post(`${base}/v2/models/m/generate_stream`, { x: ['a', 'b'] }),
        400,
        `Unable to parse 'data' of input 'x': element 0 is "a", but datatype FP32 needs a number`,
      );
      await assertStillServing();
    });
  });

  describe('infer function failures', () => {
    it('a throwing infer function is 500 with its message; the next request succeeds', async () => {
      const before = calls;
      const error = "Failed to process the request(s) for model 'boom', message: TypeError: boom happened";
      const body = (fail: boolean) => ({ inputs: [{ name: 'fail', datatype: 'BOOL', shape: [1], data: [fail] }] });
      await assertError(await infer('boom', body(true)), 500, error);
      await assertError(await post(`${base}/v2/models/boom/generate`, { fail: true }), 500, error);
      const good = await infer('boom', body(false));
      assert.equal(good.status, 200);
      assert.equal(
        await good.text(),
        '{"model_name":"boom","model_version":"1","outputs":[{"name":"ok","datatype":"BOOL","shape":[1],"data":[false]}]}',
      );
      assert.equal(calls - before, 3);
      await assertStillServing();
    });

    it('a decoupled model on /infer is 501', async () => {
      await expectInferError(
        'decoupled',
        { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] },
        501,
        "HTTP end point doesn't support models with decoupled transaction policy",
      );
    });
  });

  describe('body size limit', () => {
    // Over a real socket: httpMaxInputSize is a server setting.
    const small = new Triton({ config: { ...LOCAL, httpMaxInputSize: 1024 } });
    let smallBase = '';
    const post = (url: string, body: unknown): Promise<Response> => postWith(fetch, url, body);
    before(async () => {
      bindModels(small);
      await small.run();
      smallBase = `http://127.0.0.1:${small.httpPort}`;
    });
    after(() => small.stop());

    const bigBody = (): string => {
      const text = JSON.stringify({ ...GOOD_BODY, parameters: { pad: 'x'.repeat(2048) } });
      return text;
    };

    async function assertSmallServing(): Promise<void> {
      const response = await post(`${smallBase}/v2/models/m/infer`, GOOD_BODY);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), GOOD_TEXT);
    }

    it('a body over httpMaxInputSize (Content-Length) is 400', async () => {
      const body = bigBody();
      await assertError(
        await post(`${smallBase}/v2/models/m/infer`, body),
        400,
        new RegExp(
          `^request JSON size of ${Buffer.byteLength(body)} bytes exceeds the maximum allowed input size of 1024 bytes\\. `,
        ),
      );
      await assertSmallServing();
      await assertError(
        await post(`${smallBase}/v2/models/m/generate`, bigBody()),
        400,
        /exceeds the maximum allowed input size of 1024 bytes/,
      );
      await assertSmallServing();
    });

    it('a chunked body over httpMaxInputSize is 400', async () => {
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          `${smallBase}/v2/models/m/infer`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          },
        );
        req.on('error', reject);
        const body = bigBody();
        req.write(body.slice(0, 600));
        req.write(body.slice(600, 1200));
        req.end(body.slice(1200));
      });
      assert.equal(status, 400);
      assert.match(
        JSON.parse(text).error,
        /^request JSON size of \d+ bytes exceeds the maximum allowed input size of 1024 bytes\. /,
      );
      await assertSmallServing();
    });

    it('a body just under the limit is accepted', async () => {
      const body = JSON.stringify({ ...GOOD_BODY, parameters: { pad: '' } });
      const padded = JSON.stringify({ ...GOOD_BODY, parameters: { pad: 'x'.repeat(1024 - Buffer.byteLength(body)) } });
      assert.equal(Buffer.byteLength(padded), 1024);
      const response = await post(`${smallBase}/v2/models/m/infer`, padded);
      assert.equal(response.status, 200, await response.clone().text());
    });
  });
});
