/**
 * Binary tensor data extension over HTTP (triton-protocol.md §3.8): binary inputs and outputs for every
 * datatype, mixed JSON and binary tensors, raw binary requests, and malformed binary bodies answered with
 * Triton's messages while the server keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type DataType, type InferFunc, ModelConfig, type NDArray, Tensor, Triton } from '../../src/index.ts';
import { binaryBody, postRaw, type RawResponse, splitBinaryResponse, tensorBytes } from '../helpers/binary-http.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

/** What each model saw last: its inputs, by model name. */
const seen = new Map<string, Readonly<Record<string, NDArray>>>();

const identity =
  (model: string, pairs: Readonly<Record<string, string>>): InferFunc =>
  (requests) =>
    requests.map((request) => {
      seen.set(model, request.data);
      return Object.fromEntries(Object.entries(pairs).map(([input, output]) => [output, request.data[input]!]));
    });

/** One value list per datatype, chosen to hit edge cases; FP16/BF16 are bit patterns. */
const VALUES: Readonly<Record<DataType, readonly unknown[]>> = {
  BOOL: [true, false, true],
  UINT8: [0, 255, 7],
  UINT16: [0, 65535, 513],
  UINT32: [0, 4294967295, 66051],
  UINT64: [0n, 18446744073709551615n, 2n ** 40n],
  INT8: [-128, 127, -1],
  INT16: [-32768, 32767, -2],
  INT32: [-2147483648, 2147483647, -3],
  INT64: [-(2n ** 63n), 2n ** 63n - 1n, -1n],
  // 1.0, -2.0, 65504 (largest), smallest subnormal, a quiet NaN
  FP16: [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7e00],
  // 1.0, -3.0, +Infinity, smallest subnormal, a NaN with payload
  BF16: [0x3f80, 0xc040, 0x7f80, 0x0001, 0x7fc1],
  FP32: [1.5, -0, 3.4028234663852886e38, Math.fround(1e-45)],
  FP64: [Math.PI, -1e300, 5e-324, -0],
  BYTES: ['', 'a', 'ß→🎉', '\u0000x', ''],
};

const DTYPES = Object.keys(VALUES) as DataType[];

function bindModels(triton: Triton): void {
  const plain = ModelConfig({ maxBatchSize: 0 });
  for (const dtype of DTYPES) {
    triton.bind({
      modelName: `id_${dtype}`,
      inferFunc: identity(`id_${dtype}`, { x: 'y' }),
      inputs: [Tensor({ name: 'x', dtype, shape: [-1] })],
      outputs: [Tensor({ name: 'y', dtype, shape: [-1] })],
      config: plain,
    });
  }
  triton.bind({
    modelName: 'mixed',
    inferFunc: identity('mixed', { a: 'a_out', b: 'b_out', c: 'c_out' }),
    inputs: [
      Tensor({ name: 'a', dtype: 'FP32', shape: [-1] }),
      Tensor({ name: 'b', dtype: 'BYTES', shape: [-1] }),
      Tensor({ name: 'c', dtype: 'INT64', shape: [-1] }),
    ],
    outputs: [
      Tensor({ name: 'a_out', dtype: 'FP32', shape: [-1] }),
      Tensor({ name: 'b_out', dtype: 'BYTES', shape: [-1] }),
      Tensor({ name: 'c_out', dtype: 'INT64', shape: [-1] }),
    ],
    config: plain,
  });
  const raw = (modelName: string, dtype: DataType, shape: number[], maxBatchSize: number): void => {
    triton.bind({
      modelName,
      inferFunc: identity(modelName, { x: 'y' }),
      inputs: [Tensor({ name: 'x', dtype, shape })],
      outputs: [Tensor({ name: 'y', dtype, shape })],
      config: ModelConfig({ maxBatchSize }),
    });
  };
  raw('raw_fp32', 'FP32', [-1], 4);
  raw('raw_fixed', 'INT16', [2, 3], 0);
  raw('raw_bytes', 'BYTES', [1], 0);
  raw('raw_two_var', 'FP32', [-1, -1], 0);
  raw('raw_bytes_var', 'BYTES', [-1], 0);
}

/** Asserts Triton's error response: status, JSON content type and exactly `{"error": message}`. */
function assertError(response: RawResponse, status: number, message: string): void {
  assert.equal(response.status, status, response.body.toString());
  assert.equal(response.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(response.body.toString('utf8')), { error: message });
}

describe('HTTP binary tensor data', () => {
  const triton = new Triton({ config: LOCAL });
  let port = 0;

  const infer = (
    model: string,
    body: Uint8Array | string,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> => postRaw(port, `/v2/models/${model}/infer`, body, headers);

  /** Sends a JSON header with blobs after it. */
  const inferBinary = (model: string, json: unknown, blobs: readonly Uint8Array[]): Promise<RawResponse> => {
    const { body, headers } = binaryBody(json, blobs);
    return infer(model, body, headers);
  };

  /** A good binary request right after a bad one still succeeds. */
  async function assertStillServing(): Promise<void> {
    const response = await inferBinary(
      'id_FP32',
      {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } }],
        parameters: { binary_data_output: true },
      },
      [tensorBytes('FP32', [1, 2])],
    );
    assert.equal(response.status, 200, response.body.toString());
    assert.deepEqual(splitBinaryResponse(response).blobs.get('y'), tensorBytes('FP32', [1, 2]));
  }

  before(async () => {
    bindModels(triton);
    await triton.run();
    port = triton.httpPort!;
  });

  after(() => triton.stop());

  it('server metadata lists binary_tensor_data', async () => {
    const body = (await (await fetch(`http://127.0.0.1:${port}/v2`)).json()) as { extensions: string[] };
    assert.ok(body.extensions.includes('binary_tensor_data'), JSON.stringify(body.extensions));
  });

  describe('round trip of every datatype', () => {
    // Each datatype in binary and back in binary, bytes unchanged: test/inference/cases.ts over http-binary.

    /** Sends VALUES[dtype] in binary to `id_<dtype>`. */
    async function sendBinary(dtype: DataType): Promise<void> {
      const bytes = tensorBytes(dtype, VALUES[dtype]);
      const response = await inferBinary(
        `id_${dtype}`,
        {
          inputs: [
            {
              name: 'x',
              datatype: dtype,
              shape: [VALUES[dtype].length],
              parameters: { binary_data_size: bytes.length },
            },
          ],
          parameters: { binary_data_output: true },
        },
        [bytes],
      );
      assert.equal(response.status, 200, response.body.toString());
    }

    it('FP16 and BF16 decode to the values their bit patterns stand for', async () => {
      await sendBinary('FP16');
      await sendBinary('BF16');
      assert.deepEqual(seen.get('id_FP16')!.x!.toArray().slice(0, 4), [1, -2, 65504, 2 ** -24]);
      assert.ok(Number.isNaN(seen.get('id_FP16')!.x!.at(4)));
      assert.deepEqual(seen.get('id_BF16')!.x!.toArray().slice(0, 3), [1, -3, Infinity]);
    });

    it('BYTES elements are views on the request body, not copies', async () => {
      await sendBinary('BYTES');
      const elements = seen.get('id_BYTES')!.x!.data as Uint8Array[];
      assert.equal(new Set(elements.map((e) => e.buffer)).size, 1);
      assert.ok(elements[2]!.buffer.byteLength > elements[2]!.byteLength);
    });

    it('a binary input can come back as JSON (no binary output asked for)', async () => {
      const response = await inferBinary(
        'id_INT32',
        { inputs: [{ name: 'x', datatype: 'INT32', shape: [3], parameters: { binary_data_size: 12 } }] },
        [tensorBytes('INT32', [5, -6, 7])],
      );
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-type'], 'application/json');
      assert.equal(response.headers['inference-header-content-length'], undefined);
      assert.equal(
        response.body.toString(),
        '{"model_name":"id_INT32","model_version":"1","outputs":[{"name":"y","datatype":"INT32","shape":[3],"data":[5,-6,7]}]}',
      );
    });

    it('a JSON input can come back binary through the output’s binary_data', async () => {
      const response = await infer(
        'id_UINT16',
        JSON.stringify({
          inputs: [{ name: 'x', datatype: 'UINT16', shape: [2], data: [1, 65535] }],
          outputs: [{ name: 'y', parameters: { binary_data: true } }],
        }),
      );
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      assert.deepEqual(splitBinaryResponse(response).blobs.get('y'), tensorBytes('UINT16', [1, 65535]));
    });

    it('FP16 outputs left in JSON are refused with Triton’s message', async () => {
      const response = await inferBinary(
        'id_FP16',
        { inputs: [{ name: 'x', datatype: 'FP16', shape: [1], parameters: { binary_data_size: 2 } }] },
        [tensorBytes('FP16', [0x3c00])],
      );
      assertError(
        response,
        400,
        'sending FP16 data via JSON is not supported. Please use the binary data format for output y',
      );
    });

    it('binary_data_size 0 gives an empty tensor, with or without the header', async () => {
      const json = {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [0], parameters: { binary_data_size: 0 } }],
        parameters: { binary_data_output: true },
      };
      for (const response of [await inferBinary('id_FP32', json, []), await infer('id_FP32', JSON.stringify(json))]) {
        assert.equal(response.status, 200, response.body.toString());
        assert.equal(response.headers['content-type'], 'application/octet-stream');
        const { json: out, blobs } = splitBinaryResponse(response);
        assert.deepEqual(out.outputs[0], {
          name: 'y',
          datatype: 'FP32',
          shape: [0],
          parameters: { binary_data_size: 0 },
        });
        assert.equal(blobs.get('y')!.length, 0);
        assert.deepEqual(seen.get('id_FP32')!.x!.shape, [0]);
      }
    });
  });

  describe('memory sharing', () => {
    const COUNT = 32 * 1024; // 256 KiB of FP64: read from the socket in several chunks
    const values = Array.from({ length: COUNT }, (_, i) => i * 0.5 - 7);
    const bytes = tensorBytes('FP64', values);
    const json = {
      inputs: [{ name: 'x', datatype: 'FP64', shape: [COUNT], parameters: { binary_data_size: bytes.length } }],
    };

    /** Asserts the model saw `values` in a view on the request body, not in a copy. */
    function assertViewOnBody(bodyLength: number, jsonLength: number): void {
      const x = seen.get('id_FP64')!.x!.data as Float64Array;
      assert.equal(x.byteOffset % 8, 0);
      assert.ok(x.byteOffset >= jsonLength, `byteOffset ${x.byteOffset}: a copy, not a view on the body`);
      assert.equal(x.buffer.byteLength - (x.byteOffset - jsonLength), bodyLength);
      assert.deepEqual([...x.subarray(0, 3)], values.slice(0, 3));
      assert.equal(x[COUNT - 1], values[COUNT - 1]);
    }

    for (const jsonLength of [256, 257, 259]) {
      it(`the first blob is a view on the body whatever the JSON length (${jsonLength})`, async () => {
        const { body, headers } = binaryBody(json, [bytes], jsonLength);
        const response = await infer('id_FP64', body, headers);
        assert.equal(response.status, 200);
        assertViewOnBody(body.length, jsonLength);
      });
    }

    it('a small body in one chunk is a view too', async () => {
      const small = tensorBytes('FP64', [1.25, -2]);
      const { body, headers } = binaryBody(
        { inputs: [{ name: 'x', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } }] },
        [small],
        101,
      );
      assert.equal((await infer('id_FP64', body, headers)).status, 200);
      const x = seen.get('id_FP64')!.x!.data as Float64Array;
      assert.equal(x.byteOffset % 8, 0);
      assert.ok(x.buffer.byteLength >= body.length);
      assert.deepEqual([...x], [1.25, -2]);
    });

    it('a gzip body is aligned the same way after decompression', async () => {
      const { body, headers } = binaryBody(json, [bytes], 333);
      const response = await infer('id_FP64', gzipSync(body), { ...headers, 'content-encoding': 'gzip' });
      assert.equal(response.status, 200);
      assertViewOnBody(body.length, 333);
    });

    it('a blob that starts unaligned after another blob is copied, with the same values', async () => {
      const a = tensorBytes('FP32', [1.5]);
      const c = tensorBytes('INT64', [9007199254740993n, -1n, 7n]);
      const response = await inferBinary(
        'mixed',
        {
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
            { name: 'b', datatype: 'BYTES', shape: [1], data: ['s'] },
            { name: 'c', datatype: 'INT64', shape: [3], parameters: { binary_data_size: 24 } },
          ],
        },
        [a, c],
      );
      assert.equal(response.status, 200, response.body.toString());
      const { a: seenA, c: seenC } = seen.get('mixed')!;
      assert.ok((seenA!.data as Float32Array).buffer.byteLength > 4, 'the aligned FP32 blob is a view');
      const data = seenC!.data as BigInt64Array;
      assert.equal(data.byteOffset, 0);
      assert.equal(data.buffer.byteLength, 24);
      assert.deepEqual([...data], [9007199254740993n, -1n, 7n]);
    });
  });

  describe('mixed JSON and binary tensors', () => {
    it('inputs: JSON, binary, binary; outputs: JSON, binary, binary in output order', async () => {
      const b = tensorBytes('BYTES', ['x', '', 'ünïcödé']);
      const c = tensorBytes('INT64', [9007199254740993n, -5n, 0n]);
      const response = await inferBinary(
        'mixed',
        {
          id: 'm1',
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [2], data: [0.5, -1] },
            { name: 'b', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: b.length } },
            { name: 'c', datatype: 'INT64', shape: [3], parameters: { binary_data_size: c.length } },
          ],
          parameters: { binary_data_output: true },
          outputs: [{ name: 'a_out', parameters: { binary_data: false } }, { name: 'b_out' }, { name: 'c_out' }],
        },
        [b, c],
      );
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const { json, blobs } = splitBinaryResponse(response);
      assert.equal(json.id, 'm1');
      assert.deepEqual(json.outputs, [
        { name: 'a_out', datatype: 'FP32', shape: [2], data: [0.5, -1] },
        { name: 'b_out', datatype: 'BYTES', shape: [3], parameters: { binary_data_size: b.length } },
        { name: 'c_out', datatype: 'INT64', shape: [3], parameters: { binary_data_size: c.length } },
      ]);
      assert.deepEqual(blobs.get('b_out'), b);
      assert.deepEqual(blobs.get('c_out'), c);
      // The blobs follow the JSON in output order, b_out first.
      const jsonLength = Number(response.headers['inference-header-content-length']);
      assert.deepEqual(response.body.subarray(jsonLength), Buffer.concat([b, c]));
    });

    it('per-output binary_data picks binary outputs when binary_data_output is not set', async () => {
      const response = await infer(
        'mixed',
        JSON.stringify({
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1], data: [2] },
            { name: 'b', datatype: 'BYTES', shape: [1], data: ['q'] },
            { name: 'c', datatype: 'INT64', shape: [1], data: [3] },
          ],
          outputs: [{ name: 'c_out', parameters: { binary_data: true } }, { name: 'a_out' }],
        }),
      );
      assert.equal(response.status, 200, response.body.toString());
      const { json, blobs } = splitBinaryResponse(response);
      assert.deepEqual(json.outputs, [
        { name: 'a_out', datatype: 'FP32', shape: [1], data: [2] },
        { name: 'c_out', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } },
      ]);
      assert.deepEqual(blobs.get('c_out'), tensorBytes('INT64', [3n]));
    });
  });

  describe('raw binary requests (Inference-Header-Content-Length: 0)', () => {
    const RAW = { 'inference-header-content-length': '0' };

    it('the body is the one input; the variable dimension is deduced; outputs are binary', async () => {
      const bytes = tensorBytes('FP32', [1, 2, 3, 4, 5]);
      const response = await infer('raw_fp32', bytes, RAW);
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const { json, blobs } = splitBinaryResponse(response);
      assert.deepEqual(json.outputs, [
        { name: 'y', datatype: 'FP32', shape: [1, 5], parameters: { binary_data_size: 20 } },
      ]);
      assert.deepEqual(blobs.get('y'), bytes);
      assert.deepEqual(seen.get('raw_fp32')!.x!.shape, [1, 5]);
    });

    it('a fixed shape is taken from the model', async () => {
      const bytes = tensorBytes('INT16', [1, -2, 3, -4, 5, -6]);
      const response = await infer('raw_fixed', bytes, RAW);
      assert.equal(response.status, 200, response.body.toString());
      assert.deepEqual(splitBinaryResponse(response).json.outputs[0]!.shape, [2, 3]);
      assert.deepEqual([...(seen.get('raw_fixed')!.x!.data as Int16Array)], [1, -2, 3, -4, 5, -6]);
    });

    it('a BYTES input of shape [1] takes the whole body as its one element', async () => {
      const response = await infer('raw_bytes', Buffer.from('héllo wörld', 'utf8'), RAW);
      assert.equal(response.status, 200, response.body.toString());
      assert.deepEqual(seen.get('raw_bytes')!.x!.toStrings(), ['héllo wörld']);
      assert.deepEqual(splitBinaryResponse(response).blobs.get('y'), tensorBytes('BYTES', ['héllo wörld']));
    });

    it('refuses what cannot be deduced, with Triton’s messages', async () => {
      const floats = tensorBytes('FP32', [1, 2]);
      assertError(
        await infer('mixed', floats, RAW),
        400,
        "[request id: <id_unknown>] Raw request must only have 1 input (found 1) to be deduced but got 3 inputs in 'mixed' model configuration",
      );
      assertError(
        await infer('raw_two_var', floats, RAW),
        400,
        "[request id: <id_unknown>] The shape of the raw input 'x' can not be deduced because there are more than one variable-sized dimension",
      );
      assertError(
        await infer('raw_bytes_var', floats, RAW),
        400,
        "[request id: <id_unknown>] For BYTE datatype raw input 'x', the model must have input shape [1]",
      );
      assertError(
        await infer('raw_fp32', Buffer.alloc(7), RAW),
        400,
        "[request id: <id_unknown>] input byte size mismatch for input 'x' for model 'raw_fp32'. Expected 4, got 7",
      );
      assertError(
        await infer('raw_fixed', Buffer.alloc(10), RAW),
        400,
        "[request id: <id_unknown>] input byte size mismatch for input 'x' for model 'raw_fixed'. Expected 12, got 10",
      );
      await assertStillServing();
    });
  });

  describe('malformed binary bodies', () => {
    const fp32Input = (size: unknown, shape = [2]): unknown => ({
      inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: size } }],
    });

    /** Expects the error, then checks the server still serves. */
    async function expectError(response: Promise<RawResponse>, message: string, status = 400): Promise<void> {
      assertError(await response, status, message);
      await assertStillServing();
    }

    it('a blob that runs past the end of the body', () =>
      expectError(
        inferBinary('id_FP32', fp32Input(16, [4]), [tensorBytes('FP32', [1, 2])]),
        "unexpected size for input 'x', expecting 8 additional bytes for model 'id_FP32'",
      ));

    it('bytes left over after the last blob', () =>
      expectError(
        inferBinary('id_FP32', fp32Input(8), [tensorBytes('FP32', [1, 2, 3])]),
        "unexpected additional input data for model 'id_FP32'",
      ));

    it('the second of two blobs runs short', () =>
      expectError(
        inferBinary(
          'mixed',
          {
            inputs: [
              { name: 'a', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
              { name: 'b', datatype: 'BYTES', shape: [1], data: ['z'] },
              { name: 'c', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } },
            ],
          },
          [tensorBytes('FP32', [1]), Buffer.alloc(5)],
        ),
        "unexpected size for input 'c', expecting 3 additional bytes for model 'mixed'",
      ));

    for (const size of [-4, 2.5, '8', true]) {
      it(`binary_data_size ${JSON.stringify(size)}`, () =>
        expectError(
          inferBinary('id_FP32', fp32Input(size), [tensorBytes('FP32', [1, 2])]),
          `Unable to parse 'binary_data_size' of input 'x': expected a non-negative integer, got ${JSON.stringify(size)}`,
        ));
    }

    it('binary data without Inference-Header-Content-Length', () =>
      expectError(
        infer('id_FP32', JSON.stringify(fp32Input(8))),
        "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when passing inputs in binary data format",
      ));

    it('a header length beyond the body', async () => {
      const { body } = binaryBody(fp32Input(8), [tensorBytes('FP32', [1, 2])]);
      await expectError(
        infer('id_FP32', body, { 'inference-header-content-length': String(body.length + 1) }),
        `inference header size should be in range (0, ${body.length}), got: ${body.length + 1}`,
      );
    });

    it('a negative header length', async () => {
      const { body } = binaryBody(fp32Input(8), [tensorBytes('FP32', [1, 2])]);
      await expectError(
        infer('id_FP32', body, { 'inference-header-content-length': '-3' }),
        `inference header size should be in range (0, ${body.length}), got: -3`,
      );
    });

    for (const value of ['abc', '12x', '1.5', '']) {
      it(`a header length of ${JSON.stringify(value)}`, async () => {
        const { body } = binaryBody(fp32Input(8), [tensorBytes('FP32', [1, 2])]);
        await expectError(
          infer('id_FP32', body, { 'inference-header-content-length': value }),
          `Unable to parse Inference-Header-Content-Length, got: ${value}`,
        );
      });
    }

    it('a header length that cuts the JSON', async () => {
      const { body } = binaryBody(fp32Input(8), [tensorBytes('FP32', [1, 2])]);
      const response = await infer('id_FP32', body, { 'inference-header-content-length': '10' });
      assert.equal(response.status, 400);
      assert.match(JSON.parse(response.body.toString()).error, /^failed to parse the request JSON buffer: /);
      await assertStillServing();
    });

    it('an element count that does not match the byte size', async () => {
      await expectError(
        inferBinary('id_FP32', fp32Input(8, [3]), [tensorBytes('FP32', [1, 2])]),
        "[request id: <id_unknown>] input byte size mismatch for input 'x' for model 'id_FP32'. Expected 12, got 8",
      );
      await expectError(
        inferBinary(
          'id_INT64',
          {
            id: 'r7',
            ...(fp32Input(8, [2]) as object),
            inputs: [{ name: 'x', datatype: 'INT64', shape: [2], parameters: { binary_data_size: 8 } }],
          },
          [Buffer.alloc(8)],
        ),
        "[request id: r7] input byte size mismatch for input 'x' for model 'id_INT64'. Expected 16, got 8",
      );
    });

    describe('BYTES', () => {
      const bytesInput = (count: number, blob: Uint8Array): Promise<RawResponse> =>
        inferBinary(
          'id_BYTES',
          { inputs: [{ name: 'x', datatype: 'BYTES', shape: [count], parameters: { binary_data_size: blob.length } }] },
          [blob],
        );

      it('an element longer than the bytes left', () => {
        const blob = Buffer.concat([tensorBytes('BYTES', ['ok']), Buffer.from([9, 0, 0, 0, 1, 2])]);
        return expectError(
          bytesInput(2, blob),
          "[request id: <id_unknown>] incomplete string data for inference input 'x' for model 'id_BYTES', expecting string of length 9 but only 2 bytes available",
        );
      });

      it('more elements than the shape holds', () =>
        expectError(
          bytesInput(1, tensorBytes('BYTES', ['a', 'b'])),
          "[request id: <id_unknown>] unexpected number of string elements 2 for inference input 'x' for model 'id_BYTES', expecting 1",
        ));

      it('fewer elements than the shape holds', () =>
        expectError(
          bytesInput(3, tensorBytes('BYTES', ['a', 'b'])),
          "[request id: <id_unknown>] expected 3 string elements for inference input 'x' for model 'id_BYTES', got 2",
        ));

      it('a length prefix cut short', () =>
        expectError(
          bytesInput(2, Buffer.concat([tensorBytes('BYTES', ['a']), Buffer.from([1, 0])])),
          '[request id: <id_unknown>] element byte size indicator exceeds the end of the buffer',
        ));
    });

    it('binary_data_output that is not a boolean', () =>
      expectError(
        inferBinary('id_FP32', { ...(fp32Input(8) as object), parameters: { binary_data_output: 1 } }, [
          tensorBytes('FP32', [1, 2]),
        ]),
        "Unable to parse 'binary_data_output': expected a boolean, got 1",
      ));

    it('binary_data that is not a boolean', () =>
      expectError(
        inferBinary(
          'id_FP32',
          { ...(fp32Input(8) as object), outputs: [{ name: 'y', parameters: { binary_data: 'yes' } }] },
          [tensorBytes('FP32', [1, 2])],
        ),
        `Unable to parse 'binary_data' of output 'y': expected a boolean, got "yes"`,
      ));

    it('shared memory inputs are still refused', () =>
      expectError(
        infer(
          'id_FP32',
          JSON.stringify({
            inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters: { shared_memory_region: 'r' } }],
          }),
        ),
        "input 'x' uses 'shared_memory_region', which this server does not accept; send the tensor in 'data' or as binary data",
      ));
  });
});
