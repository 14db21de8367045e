/**
 * The hand-written codecs of the gRPC hot path against @grpc/proto-loader, which they replace: decoding
 * `ModelInferRequest` gives the very objects proto-loader gives, encoding `ModelInferResponse` the very bytes
 * it writes; what they leave to proto-loader gives proto-loader's results and errors, and a message that is not
 * well-formed protobuf gives a MalformedMessage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MethodDefinition } from '@grpc/grpc-js';
import { serviceDefinitions } from '../../src/frontends/grpc/proto.ts';
import { readModelInferRequest } from '../../src/protocol/grpc-infer-request-wire.ts';
import { writeModelInferResponse } from '../../src/protocol/grpc-infer-response-wire.ts';
import type { ModelInferResponseOut } from '../../src/protocol/grpc-messages.ts';
import { loadGrpcProtos } from '../../src/protocol/grpc-proto-files.ts';
import { MalformedMessage, NotFastPath, wireFormatProblem } from '../../src/wire/proto-reader.ts';

type Method = MethodDefinition<unknown, unknown>;
const general = loadGrpcProtos(['grpc_service.proto'])['inference.GRPCInferenceService'] as Record<string, Method>;
const generalInfer = general['ModelInfer']!;
const served = serviceDefinitions().inference as Record<string, Method>;

/** Bytes of a request written by proto-loader (protobufjs). */
const encodeRequest = (request: object): Buffer => generalInfer.requestSerialize(request);

/** Wire bytes by hand: a tag, then a varint or length-delimited payload. */
const varintField = (field: number, value: number): Buffer => Buffer.from([(field << 3) | 0, value]);
const delimited = (field: number, payload: Buffer): Buffer =>
  Buffer.concat([Buffer.from([(field << 3) | 2, payload.length]), payload]);

const FAST_REQUESTS: Record<string, Buffer> = {
  'the benchmark request': encodeRequest({
    model_name: 'passthrough',
    id: '42',
    inputs: [
      { name: 'sleep', datatype: 'FP32', shape: [1, 1] },
      { name: 'error', datatype: 'BOOL', shape: [1, 1] },
    ],
    raw_input_contents: [Buffer.alloc(4), Buffer.from([0])],
  }),
  'an empty request': Buffer.alloc(0),
  'parameters of every kind, names and shapes at the edges': encodeRequest({
    model_name: 'modèle-ü-with-a-name-longer-than-thirty-two-bytes',
    model_version: '3',
    id: 'réquest',
    parameters: {
      flag: { bool_param: true },
      off: { bool_param: false },
      negative: { int64_param: '-5' },
      big: { int64_param: '9223372036854775807' },
      smallest: { int64_param: '-9223372036854775808' },
      text: { string_param: 'héllo ✓' },
      ratio: { double_param: 1.5 },
      unsigned: { uint64_param: '18446744073709551615' },
      empty: {},
    },
    inputs: [
      {
        name: 'x',
        datatype: 'INT64',
        shape: ['-1', '0', '562949953421312', '9007199254740993'],
        parameters: { p: { string_param: '' } },
      },
      { name: '', datatype: '', shape: [] },
    ],
    outputs: [{ name: 'y', parameters: { binary_data: { bool_param: true } } }, { name: 'z' }],
    raw_input_contents: [Buffer.alloc(0), Buffer.from('abc')],
  }),
  'an unpacked shape, repeated fields (the last wins) and a repeated map key': Buffer.concat([
    delimited(1, Buffer.from('first')),
    delimited(1, Buffer.from('m')),
    delimited(5, Buffer.concat([delimited(1, Buffer.from('x')), varintField(3, 2), varintField(3, 3)])),
    delimited(4, Buffer.concat([delimited(1, Buffer.from('k')), delimited(2, varintField(1, 1))])),
    delimited(4, Buffer.concat([delimited(2, varintField(1, 0)), delimited(1, Buffer.from('k'))])),
  ]),
};

const GENERAL_REQUESTS: Record<string, Buffer> = {
  'typed contents': encodeRequest({
    model_name: 'm',
    inputs: [{ name: 'x', datatype: 'INT32', shape: [2], contents: { int_contents: [1, 2] } }],
  }),
  'an unknown field': Buffer.concat([delimited(1, Buffer.from('m')), varintField(15, 1)]),
  'a parameter with two members': Buffer.concat([
    delimited(
      4,
      Buffer.concat([
        delimited(1, Buffer.from('k')),
        delimited(2, Buffer.concat([varintField(1, 1), varintField(2, 7)])),
      ]),
    ),
  ]),
  'a parameter without a value': delimited(4, delimited(1, Buffer.from('k'))),
  'a string with a wrong wire type': varintField(1, 1),
};

/** The outcome of a call: its value, or its error's class and message. */
function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

describe('ModelInferRequest decoding', () => {
  for (const [name, bytes] of Object.entries(FAST_REQUESTS)) {
    it(`reads ${name} as proto-loader does`, () => {
      assert.deepStrictEqual(readModelInferRequest(bytes), generalInfer.requestDeserialize(bytes));
    });
  }

  for (const [name, bytes] of Object.entries(GENERAL_REQUESTS)) {
    it(`leaves ${name} to proto-loader`, () => {
      assert.throws(() => readModelInferRequest(bytes), NotFastPath);
      for (const rpc of ['ModelInfer', 'ModelStreamInfer']) {
        const decode = (codecs: Record<string, Method>) => () => codecs[rpc]!.requestDeserialize(bytes);
        const expected = outcome(decode(general)) as { value?: unknown; message?: string };
        // What proto-loader throws on comes as a MalformedMessage, answered INVALID_ARGUMENT (not INTERNAL).
        if ('value' in expected) assert.deepStrictEqual(outcome(decode(served)), expected);
        else assert.deepStrictEqual(decode(served)(), new MalformedMessage(expected.message!));
      }
    });
  }

  it('shares raw_input_contents with the message', () => {
    const bytes = FAST_REQUESTS['the benchmark request']!;
    const raw = readModelInferRequest(bytes).raw_input_contents[0]!;
    assert.equal(raw.buffer, bytes.buffer);
  });

  it('gives a MalformedMessage for every truncated message, where proto-loader may read one leniently', () => {
    const bytes = FAST_REQUESTS['parameters of every kind, names and shapes at the edges']!;
    for (let end = 0; end < bytes.length; end++) {
      const cut = bytes.subarray(0, end);
      const decode = (codecs: Record<string, Method>) => () => codecs['ModelInfer']!.requestDeserialize(cut);
      const problem = wireFormatProblem(cut);
      if (problem === undefined)
        assert.deepStrictEqual(outcome(decode(served)), outcome(decode(general)), `cut at ${end}`);
      else assert.deepStrictEqual(decode(served)(), new MalformedMessage(problem), `cut at ${end}`);
    }
  });
});

const response = (changes: Partial<ModelInferResponseOut>): ModelInferResponseOut => ({
  model_name: 'passthrough',
  model_version: '1',
  id: '42',
  parameters: {},
  outputs: [
    { name: 'sleep', datatype: 'FP32', shape: [1, 1] },
    { name: 'error', datatype: 'BOOL', shape: [1, 1] },
  ],
  raw_output_contents: [new Uint8Array(4), new Uint8Array([0])],
  ...changes,
});

const FAST_RESPONSES: Record<string, ModelInferResponseOut> = {
  'the benchmark response': response({}),
  'empty strings and no outputs': response({
    model_name: '',
    model_version: '',
    id: '',
    outputs: [],
    raw_output_contents: [],
  }),
  'parameters of every kind': response({
    parameters: {
      triton_final_response: { bool_param: true },
      off: { bool_param: false },
      count: { int64_param: 300 },
      negative: { int64_param: -7 },
      largest: { int64_param: Number.MAX_SAFE_INTEGER },
      smallest: { int64_param: Number.MIN_SAFE_INTEGER },
      text: { string_param: 'héllo ✓ 🎉' },
      empty: { string_param: '' },
      ratio: { double_param: 0.25 },
      nan: { double_param: Number.NaN },
      infinite: { double_param: -Infinity },
    },
  }),
  'scalars, long and non-ASCII names, big dimensions': response({
    id: 'ü'.repeat(70),
    outputs: [
      { name: 'a'.repeat(200), datatype: 'BYTES', shape: [] },
      { name: 'é', datatype: 'INT8', shape: [0, 127, 128, 16384, 2 ** 35, Number.MAX_SAFE_INTEGER] },
    ],
    raw_output_contents: [new Uint8Array(0), Buffer.alloc(300, 7)],
  }),
};

const GENERAL_RESPONSES: Record<string, ModelInferResponseOut> = {
  'a lone surrogate': response({ id: 'bad \ud800 id' }),
  'a non-integer int64': response({ parameters: { x: { int64_param: 1.5 } } }),
  'an empty parameter': response({ parameters: { x: {} as never } }),
  'a dimension beyond the safe integers': response({ outputs: [{ name: 'x', datatype: 'FP32', shape: [2 ** 60] }] }),
};

describe('ModelInferResponse encoding', () => {
  for (const [name, value] of Object.entries(FAST_RESPONSES)) {
    it(`writes ${name} as proto-loader does`, () => {
      assert.deepStrictEqual(writeModelInferResponse(value), generalInfer.responseSerialize(value));
    });
  }

  for (const [name, value] of Object.entries(GENERAL_RESPONSES)) {
    it(`leaves ${name} to proto-loader`, () => {
      assert.throws(() => writeModelInferResponse(value), NotFastPath);
      assert.deepStrictEqual(served['ModelInfer']!.responseSerialize(value), generalInfer.responseSerialize(value));
    });
  }
});
