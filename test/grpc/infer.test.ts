/**
 * ModelInfer over gRPC (triton-protocol.md §4): typed `contents` and `raw_input_contents` for every datatype,
 * replies in `raw_output_contents`, ids, parameters, requested outputs, and Triton's errors and statuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  type InferFunc,
  ModelConfig,
  NDArray,
  type Parameters,
  type Request,
  Tensor,
  withParameters,
} from '../../src/index.ts';
import { DataType } from '../../src/tensor/dtype.ts';
import type { ModelInferRequestSchema, InferTensorContents } from './gen/grpc_service_pb.js';
import {
  assertBytes,
  bytesRaw,
  type GrpcServer,
  numericRaw,
  readRaw,
  rejectsWith,
  splitBytesRaw,
  startServer,
  Status,
} from './helpers.ts';

type InferRequestInit = MessageInitShape<typeof ModelInferRequestSchema>;
type ContentsInit = Partial<Omit<InferTensorContents, '$typeName'>>;

/** Every datatype, in the protocol's order. */
const DTYPES: readonly DataType[] = Object.values(DataType);

/** What the infer functions saw, by model. */
const seen = new Map<
  string,
  { values: unknown[]; shape: readonly number[]; parameters: Parameters; outputs: readonly string[]; id: string }
>();

function record(model: string, request: Request, input: string): void {
  const array = request.data[input]!;
  const values = array.dtype === 'BYTES' ? array.toStrings() : array.toArray();
  seen.set(model, {
    values,
    shape: [...array.shape],
    parameters: { ...request.parameters },
    outputs: [...request.requestedOutputNames],
    id: request.id,
  });
}

const identity =
  (model: string): InferFunc =>
  (requests) =>
    requests.map((r) => {
      record(model, r, 'x');
      return { y: r.data.x! };
    });

/** Triton's `simple`: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
const simple: InferFunc = (requests) =>
  requests.map((r) => {
    record('simple', r, 'INPUT0');
    const a = r.data.INPUT0!.data as Int32Array;
    const b = r.data.INPUT1!.data as Int32Array;
    return {
      OUTPUT0: new NDArray(
        'INT32',
        a.map((v, i) => v + b[i]!),
        r.data.INPUT0!.shape,
      ),
      OUTPUT1: new NDArray(
        'INT32',
        a.map((v, i) => v - b[i]!),
        r.data.INPUT0!.shape,
      ),
    };
  });

/** Answers with response parameters of every type. */
const withParams: InferFunc = (requests) =>
  requests.map((r) => {
    record('params', r, 'x');
    return withParameters({ y: r.data.x! }, { flag: true, count: 42, ratio: 0.5, label: 'text' });
  });

const INT32_16 = { dtype: 'INT32', shape: [16] } as const;

// The behaviour every transport shares (round trips of every datatype in raw_input_contents, ids, requested
// outputs, unknown models, inputs and outputs, failing and decoupled models) is in test/inference/cases.ts.
describe('ModelInfer over gRPC', () => {
  let server: GrpcServer;
  before(async () => {
    server = await startServer((triton) => {
      for (const dtype of DTYPES) {
        triton.bind({
          modelName: `id_${dtype}`,
          inferFunc: identity(`id_${dtype}`),
          inputs: [Tensor({ name: 'x', dtype, shape: [-1] })],
          outputs: [Tensor({ name: 'y', dtype, shape: [-1] })],
          config: ModelConfig({ maxBatchSize: 0 }),
        });
      }
      triton.bind({
        modelName: 'simple',
        inferFunc: simple,
        inputs: [Tensor({ name: 'INPUT0', ...INT32_16 }), Tensor({ name: 'INPUT1', ...INT32_16 })],
        outputs: [Tensor({ name: 'OUTPUT0', ...INT32_16 }), Tensor({ name: 'OUTPUT1', ...INT32_16 })],
        config: ModelConfig({ maxBatchSize: 8 }),
      });
      const fp32 = {
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
      };
      triton.bind({ modelName: 'params', inferFunc: withParams, ...fp32, config: ModelConfig({ maxBatchSize: 0 }) });
    });
  });
  after(() => server.stop());

  const infer = (request: InferRequestInit) => server.client.call('modelInfer', request);

  describe('typed contents, every datatype except FP16/BF16', () => {
    const cases: [DataType, ContentsInit, unknown[], unknown[]][] = [
      ['BOOL', { boolContents: [true, false, true] }, [true, false, true], [1, 0, 1]],
      ['UINT8', { uintContents: [0, 7, 255] }, [0, 7, 255], [0, 7, 255]],
      ['UINT16', { uintContents: [0, 1000, 65535] }, [0, 1000, 65535], [0, 1000, 65535]],
      ['UINT32', { uintContents: [0, 1, 4294967295] }, [0, 1, 4294967295], [0, 1, 4294967295]],
      ['UINT64', { uint64Contents: [0n, 1n, 2n ** 64n - 1n] }, [0n, 1n, 2n ** 64n - 1n], [0n, 1n, 2n ** 64n - 1n]],
      ['INT8', { intContents: [-128, 0, 127] }, [-128, 0, 127], [-128, 0, 127]],
      ['INT16', { intContents: [-32768, 5, 32767] }, [-32768, 5, 32767], [-32768, 5, 32767]],
      [
        'INT32',
        { intContents: [-2147483648, 5, 2147483647] },
        [-2147483648, 5, 2147483647],
        [-2147483648, 5, 2147483647],
      ],
      [
        'INT64',
        { int64Contents: [-(2n ** 63n), 5n, 2n ** 63n - 1n] },
        [-(2n ** 63n), 5n, 2n ** 63n - 1n],
        [-(2n ** 63n), 5n, 2n ** 63n - 1n],
      ],
      ['FP32', { fp32Contents: [1.5, -2.25, 3e38] }, [1.5, -2.25, Math.fround(3e38)], [1.5, -2.25, Math.fround(3e38)]],
      ['FP64', { fp64Contents: [Math.PI, -1e300, 0] }, [Math.PI, -1e300, 0], [Math.PI, -1e300, 0]],
    ];
    for (const [dtype, contents, values, raw] of cases) {
      it(`${dtype}: the infer function sees the values, the reply is raw`, async () => {
        const model = `id_${dtype}`;
        const response = await infer({
          modelName: model,
          inputs: [{ name: 'x', datatype: dtype, shape: [3n], contents }],
        });
        assert.deepEqual(seen.get(model)?.values, values);
        assert.equal(response.outputs.length, 1);
        assert.equal(response.outputs[0]!.datatype, dtype);
        assert.deepEqual(response.outputs[0]!.shape, [3n]);
        assert.equal(response.outputs[0]!.contents, undefined, 'no typed contents in replies');
        assert.equal(response.rawOutputContents.length, 1);
        assert.deepEqual(readRaw(dtype, response.rawOutputContents[0]!), raw);
      });
    }

    it('BYTES: bytes_contents in, length-prefixed raw out', async () => {
      const elements = [new TextEncoder().encode('héllo'), new Uint8Array(0), new Uint8Array([0, 255, 10])];
      const response = await infer({
        modelName: 'id_BYTES',
        inputs: [{ name: 'x', datatype: 'BYTES', shape: [3n], contents: { bytesContents: elements } }],
      });
      assert.deepEqual(seen.get('id_BYTES')?.values.slice(0, 2), ['héllo', '']);
      assert.deepEqual(splitBytesRaw(response.rawOutputContents[0]!), elements);
      assertBytes(response.rawOutputContents[0], bytesRaw(elements));
    });

    it('narrows int_contents to INT8 by the low byte, as Triton does', async () => {
      const response = await infer({
        modelName: 'id_INT8',
        inputs: [{ name: 'x', datatype: 'INT8', shape: [2n], contents: { intContents: [200, -1] } }],
      });
      assert.deepEqual(readRaw('INT8', response.rawOutputContents[0]!), [-56, -1]);
    });
  });

  describe('raw_input_contents, every datatype', () => {
    it('FP16 and BF16 raw bits reach the infer function as their values', async () => {
      await infer({
        modelName: 'id_FP16',
        inputs: [{ name: 'x', datatype: 'FP16', shape: [2n] }],
        rawInputContents: [numericRaw('FP16', [0x3c00, 0xc000])],
      });
      assert.deepEqual(seen.get('id_FP16')?.values, [1, -2]);
      await infer({
        modelName: 'id_BF16',
        inputs: [{ name: 'x', datatype: 'BF16', shape: [2n] }],
        rawInputContents: [numericRaw('BF16', [0x3f80, 0x4049])],
      });
      assert.deepEqual(seen.get('id_BF16')?.values, [1, 3.140625]);
    });

    it('BYTES: length-prefixed elements round trip', async () => {
      const raw = bytesRaw(['a', '', 'ünïcode', new Uint8Array([0, 1, 2])]);
      const response = await infer({
        modelName: 'id_BYTES',
        inputs: [{ name: 'x', datatype: 'BYTES', shape: [4n] }],
        rawInputContents: [raw],
      });
      assert.deepEqual(seen.get('id_BYTES')?.values.slice(0, 3), ['a', '', 'ünïcode']);
      assertBytes(response.rawOutputContents[0], raw);
    });

    it('a tensor above 4 MiB (grpc-js default limit) round trips', async () => {
      const n = 2_000_000;
      const values = Float32Array.from({ length: n }, (_, i) => i);
      const raw = new Uint8Array(values.buffer);
      const response = await infer({
        modelName: 'id_FP32',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [BigInt(n)] }],
        rawInputContents: [raw],
      });
      assert.equal(response.rawOutputContents[0]!.length, n * 4);
      assertBytes(response.rawOutputContents[0], raw);
    });
  });

  describe('ids, parameters, outputs', () => {
    it('passes custom request parameters of each type; reserved ones are not passed on', async () => {
      await infer({
        modelName: 'params',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n], contents: { fp32Contents: [1] } }],
        parameters: {
          s: { parameterChoice: { case: 'stringParam', value: 'text' } },
          i: { parameterChoice: { case: 'int64Param', value: -5n } },
          b: { parameterChoice: { case: 'boolParam', value: true } },
          d: { parameterChoice: { case: 'doubleParam', value: 0.25 } },
          priority: { parameterChoice: { case: 'int64Param', value: 0n } },
          timeout: { parameterChoice: { case: 'int64Param', value: 0n } },
          triton_enable_empty_final_response: { parameterChoice: { case: 'boolParam', value: true } },
        },
      });
      assert.deepEqual(seen.get('params')?.parameters, { s: 'text', i: -5, b: true, d: 0.25 });
    });

    it('returns response parameters with their protobuf types', async () => {
      const response = await infer({
        modelName: 'params',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1n], contents: { fp32Contents: [1] } }],
      });
      const choices = Object.fromEntries(Object.entries(response.parameters).map(([k, v]) => [k, v.parameterChoice]));
      assert.deepEqual(choices, {
        flag: { case: 'boolParam', value: true },
        count: { case: 'int64Param', value: 42n },
        ratio: { case: 'doubleParam', value: 0.5 },
        label: { case: 'stringParam', value: 'text' },
      });
    });
  });

  describe("errors with Triton's messages and statuses", () => {
    const fp32x = (contents?: ContentsInit) => ({
      name: 'x',
      datatype: 'FP32',
      shape: [2n],
      ...(contents && { contents }),
    });

    it('a version that is not a number: INVALID_ARGUMENT', () =>
      rejectsWith(
        infer({ modelName: 'simple', modelVersion: 'one' }),
        Status.INVALID_ARGUMENT,
        /version string 'one'/,
      ));

    it('contents together with raw_input_contents', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [fp32x({ fp32Contents: [1, 2] })],
          rawInputContents: [numericRaw('FP32', [1, 2])],
        }),
        Status.INVALID_ARGUMENT,
        "contents field must not be specified when using raw_input_contents for 'x' for model 'id_FP32'",
      ));

    it('an input with neither contents nor raw data', () =>
      rejectsWith(
        infer({ modelName: 'id_FP32', inputs: [fp32x()] }),
        Status.INVALID_ARGUMENT,
        "unable to find data for input tensor 'x' for model 'id_FP32' in request.",
      ));

    it('FP16 in typed contents', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP16',
          inputs: [{ name: 'x', datatype: 'FP16', shape: [1n], contents: { fp32Contents: [1] } }],
        }),
        Status.INVALID_ARGUMENT,
        "unexpected explicit tensor data for input tensor 'x' for model 'id_FP16' of type 'FP32', expected datatype 'FP16'",
      ));

    it('a contents field of another datatype', () =>
      rejectsWith(
        infer({ modelName: 'id_FP32', inputs: [fp32x({ intContents: [1, 2] })] }),
        Status.INVALID_ARGUMENT,
        "unexpected explicit tensor data for input tensor 'x' for model 'id_FP32' of type 'INT32', expected datatype 'FP32'",
      ));

    it('two contents fields with data', () =>
      rejectsWith(
        infer({ modelName: 'id_FP32', inputs: [fp32x({ fp32Contents: [1, 2], fp64Contents: [1, 2] })] }),
        Status.INVALID_ARGUMENT,
        "unexpected explicit tensor data for input tensor 'x' for model 'id_FP32', binary data was already supplied.",
      ));

    it('raw data of the wrong size', () =>
      rejectsWith(
        infer({ modelName: 'id_FP32', id: '3', inputs: [fp32x()], rawInputContents: [new Uint8Array(7)] }),
        Status.INVALID_ARGUMENT,
        "[request id: 3] input byte size mismatch for input 'x' for model 'id_FP32'. Expected 8, got 7",
      ));

    it('typed contents with the wrong element count', () =>
      rejectsWith(
        infer({ modelName: 'id_FP32', inputs: [fp32x({ fp32Contents: [1, 2, 3] })] }),
        Status.INVALID_ARGUMENT,
        "[request id: <id_unknown>] input byte size mismatch for input 'x' for model 'id_FP32'. Expected 8, got 12",
      ));

    it('an unknown datatype', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [{ name: 'x', datatype: 'FP8', shape: [1n] }],
          rawInputContents: [new Uint8Array(1)],
        }),
        Status.INVALID_ARGUMENT,
        /unknown datatype 'FP8'/,
      ));

    it('a triton_ parameter outside the allow-list', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [fp32x({ fp32Contents: [1, 2] })],
          parameters: { triton_x: { parameterChoice: { case: 'boolParam', value: true } } },
        }),
        Status.INVALID_ARGUMENT,
        "parameter keys starting with 'triton_' are reserved for Triton usage. Only the following keys starting with 'triton_' are allowed: triton_enable_empty_final_response",
      ));

    it('a reserved parameter of the wrong type', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [fp32x({ fp32Contents: [1, 2] })],
          parameters: { priority: { parameterChoice: { case: 'stringParam', value: 'high' } } },
        }),
        Status.INVALID_ARGUMENT,
        "invalid value type for 'priority' parameter, expected int64_param or uint64_param.",
      ));

    it('a negative priority', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [fp32x({ fp32Contents: [1, 2] })],
          parameters: { priority: { parameterChoice: { case: 'int64Param', value: -1n } } },
        }),
        Status.INVALID_ARGUMENT,
        "invalid value for 'priority', expected value >= 0.",
      ));

    it('shared memory inputs: UNIMPLEMENTED', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [
            {
              ...fp32x(),
              parameters: { shared_memory_region: { parameterChoice: { case: 'stringParam', value: 'r' } } },
            },
          ],
        }),
        Status.UNIMPLEMENTED,
        /'shared_memory_region'.*does not support shared memory/,
      ));

    it('classification outputs: UNIMPLEMENTED', () =>
      rejectsWith(
        infer({
          modelName: 'id_FP32',
          inputs: [fp32x({ fp32Contents: [1, 2] })],
          outputs: [
            { name: 'y', parameters: { classification: { parameterChoice: { case: 'int64Param', value: 2n } } } },
          ],
        }),
        Status.UNIMPLEMENTED,
        /'classification'/,
      ));
  });
});
