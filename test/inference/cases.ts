/**
 * Inference behaviour written once: the models, and a table of cases (a request, and the outputs or the error
 * it gets) that test/inference/transports.test.ts runs over HTTP-JSON, HTTP-binary and gRPC alike. Cases that
 * are about one transport's encoding stay in that transport's tests (test/http, test/grpc).
 */
import {
  type BindOptions,
  DataType,
  type InferFunc,
  ModelConfig,
  NDArray,
  type Request,
  Tensor,
  withParameters,
} from '../../src/index.ts';

/** The transports every case runs over. */
export type TransportName = 'http-json' | 'http-binary' | 'grpc';

/**
 * Element values as a case writes them: numbers (bigints for 64-bit integers), booleans, strings for BYTES,
 * and FP16/BF16 as their 16-bit patterns.
 */
export type Values = readonly unknown[];

/** A tensor of a request or response. */
export interface CaseTensor {
  readonly name: string;
  readonly datatype: DataType | string;
  readonly shape: readonly number[];
  readonly values: Values;
}

/** A request, whatever the transport. */
export interface CaseRequest {
  readonly model: string;
  readonly version?: string;
  readonly id?: string;
  readonly inputs: readonly CaseTensor[];
  /** The requested outputs (all when left out). */
  readonly outputs?: readonly string[];
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
}

/** A response, whatever the transport. */
export interface CaseResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  /** '' when the response has none. */
  readonly id: string;
  readonly outputs: readonly CaseTensor[];
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** Error kinds (TritonError codes) a case may expect; each transport maps them to its own status. */
export type ErrorKind = 'INVALID_ARG' | 'NOT_FOUND' | 'INTERNAL' | 'UNSUPPORTED';

/** The error a case expects: its kind and message (the same on every transport unless given per transport). */
export interface ExpectedError {
  readonly kind: ErrorKind;
  readonly message: string | RegExp | Readonly<Record<'http' | 'grpc', string | RegExp>>;
}

/** What one infer function saw of its last request. */
export interface Seen {
  readonly id: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly requestedOutputNames: readonly string[];
  readonly inputs: Readonly<Record<string, CaseTensor>>;
}

/** One behaviour. */
export interface InferCase {
  readonly name: string;
  /** The transports it runs over (default: all). */
  readonly transports?: readonly TransportName[];
  readonly request: CaseRequest;
  readonly expect:
    | {
        readonly outputs: readonly CaseTensor[];
        readonly modelVersion?: string;
        readonly id?: string;
        readonly parameters?: Readonly<Record<string, unknown>>;
        /** What the infer function saw (checked when given). */
        readonly seen?: Partial<Seen>;
      }
    | { readonly error: ExpectedError };
}

const seen = new Map<string, Seen>();

/** What the infer function of `model` saw last. */
export function lastSeen(model: string): Seen | undefined {
  return seen.get(model);
}

/** The values of `array` as a case writes them. */
export function valuesOf(array: NDArray): unknown[] {
  if (array.dtype === 'BYTES') return array.toStrings();
  if (array.dtype === 'FP16' || array.dtype === 'BF16') return [...(array.data as Uint16Array)];
  return array.toArray();
}

function record(model: string, request: Request): void {
  const inputs: Record<string, CaseTensor> = {};
  for (const [name, array] of Object.entries(request.data)) {
    inputs[name] = { name, datatype: array.dtype, shape: [...array.shape], values: valuesOf(array) };
  }
  seen.set(model, {
    id: request.id,
    parameters: { ...request.parameters },
    requestedOutputNames: [...request.requestedOutputNames],
    inputs,
  });
}

const identity =
  (model: string): InferFunc =>
  (requests) =>
    requests.map((r) => {
      record(model, r);
      return { y: r.data.x! };
    });

/** Triton's `simple`: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1. */
const simple: InferFunc = (requests) =>
  requests.map((r) => {
    record('simple', r);
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

/** Every datatype, in the protocol's order. */
const DTYPES: readonly DataType[] = Object.values(DataType);

/** The response parameters of model `params`. */
const PARAMS_OUT = { flag: true, count: 42, ratio: 0.5, label: 'text' };

const INT32_16 = { dtype: 'INT32', shape: [16] } as const;
const FP32_VAR = {
  inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
  outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
};

/** The models the cases use. */
export const MODELS: readonly BindOptions[] = [
  ...DTYPES.map((dtype) => ({
    modelName: `id_${dtype}`,
    inferFunc: identity(`id_${dtype}`),
    inputs: [Tensor({ name: 'x', dtype, shape: [-1] })],
    outputs: [Tensor({ name: 'y', dtype, shape: [-1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  })),
  {
    modelName: 'simple',
    inferFunc: simple,
    inputs: [Tensor({ name: 'INPUT0', ...INT32_16 }), Tensor({ name: 'INPUT1', ...INT32_16 })],
    outputs: [Tensor({ name: 'OUTPUT0', ...INT32_16 }), Tensor({ name: 'OUTPUT1', ...INT32_16 })],
    config: ModelConfig({ maxBatchSize: 8 }),
  },
  ...[1, 2].map((version) => ({
    modelName: 'multi',
    modelVersion: version,
    inferFunc: ((requests) => requests.map(() => ({ v: NDArray.from([version], 'INT32') }))) as InferFunc,
    inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
    outputs: [Tensor({ name: 'v', dtype: 'INT32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  })),
  {
    modelName: 'params',
    inferFunc: (requests) =>
      requests.map((r) => {
        record('params', r);
        return withParameters({ y: r.data.x! }, PARAMS_OUT);
      }),
    ...FP32_VAR,
    config: ModelConfig({ maxBatchSize: 0 }),
  },
  {
    modelName: 'failing',
    inferFunc: () => {
      throw new Error('boom');
    },
    ...FP32_VAR,
    config: ModelConfig({ maxBatchSize: 0 }),
  },
  {
    modelName: 'decoupled',
    inferFunc: async function* () {},
    ...FP32_VAR,
    config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
  },
];

/**
 * Values per datatype that every transport carries exactly (JSON included: no -0, NaN or infinities, and JSON
 * inputs take integers within double precision).
 */
const ROUND_TRIP: ReadonlyArray<readonly [DataType, Values]> = [
  ['BOOL', [true, false, true]],
  ['UINT8', [0, 200, 255]],
  ['UINT16', [0, 300, 65535]],
  ['UINT32', [0, 70000, 4294967295]],
  ['UINT64', [0n, 1n << 40n, 9007199254740991n]],
  ['INT8', [-128, -1, 127]],
  ['INT16', [-32768, -2, 32767]],
  ['INT32', [-2147483648, -3, 2147483647]],
  ['INT64', [-9007199254740991n, -4n, 9007199254740991n]],
  ['FP32', [0.25, -1.5, Math.fround(1e-3), Math.fround(3e38)]],
  ['FP64', [Math.E, -0.1, 1e300, 5e-324]],
  ['BYTES', ['', 'a', 'héllo', 'ß→🎉', '\u0000x', 'quote " and \\ and \n', '']],
];

/** FP16/BF16 bit patterns (the binary transports only: JSON cannot carry them), NaNs and infinities included. */
const HALF: ReadonlyArray<readonly [DataType, Values]> = [
  // 1.0, -2.0, 65504 (largest), smallest subnormal, a quiet NaN
  ['FP16', [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7e00]],
  // 1.0, -3.0, +Infinity, smallest subnormal, a NaN with payload
  ['BF16', [0x3f80, 0xc040, 0x7f80, 0x0001, 0x7fc1]],
];

/** Values JSON cannot carry exactly (-0, infinities, NaN, 64-bit integers beyond 2^53), for the binary transports. */
const BINARY_ONLY: ReadonlyArray<readonly [DataType, Values]> = [
  ['UINT64', [0n, 2n ** 53n + 1n, 2n ** 64n - 1n]],
  ['INT64', [-(2n ** 63n), -(2n ** 53n) - 1n, 2n ** 63n - 1n]],
  ['FP32', [-0, Infinity, -Infinity, NaN, 3.4028234663852886e38, Math.fround(1e-45)]],
  ['FP64', [-0, Infinity, NaN, -1e300]],
];

const BINARY: readonly TransportName[] = ['http-binary', 'grpc'];

const range16 = Array.from({ length: 16 }, (_, i) => i);
const ones16 = Array.from({ length: 16 }, () => 1);
const SIMPLE_INPUTS: readonly CaseTensor[] = [
  { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], values: range16 },
  { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], values: ones16 },
];
const OUTPUT0: CaseTensor = { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], values: range16.map((v) => v + 1) };
const OUTPUT1: CaseTensor = { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], values: range16.map((v) => v - 1) };
const fp32x = (values: Values): CaseTensor => ({ name: 'x', datatype: 'FP32', shape: [values.length], values });

/** An identity round trip of `values` as `dtype`: the infer function sees them, the reply carries them back. */
function roundTrip(dtype: DataType, values: Values, name: string, transports?: readonly TransportName[]): InferCase {
  const x: CaseTensor = { name: 'x', datatype: dtype, shape: [values.length], values };
  return {
    name,
    ...(transports && { transports }),
    request: { model: `id_${dtype}`, inputs: [x] },
    expect: { outputs: [{ ...x, name: 'y' }], seen: { inputs: { x } } },
  };
}

export const CASES: readonly InferCase[] = [
  ...ROUND_TRIP.map(([dtype, values]) =>
    roundTrip(dtype, values, `${dtype} round trips; the infer function sees the values`),
  ),
  ...HALF.map(([dtype, values]) => roundTrip(dtype, values, `${dtype} bit patterns round trip unchanged`, BINARY)),
  ...BINARY_ONLY.map(([dtype, values]) =>
    roundTrip(dtype, values, `${dtype} values JSON cannot carry round trip`, BINARY),
  ),
  {
    name: "Triton's simple model: model name, version, id and both outputs; the infer function sees the id",
    request: { model: 'simple', version: '1', id: 'req-7', inputs: SIMPLE_INPUTS },
    expect: {
      modelVersion: '1',
      id: 'req-7',
      outputs: [OUTPUT0, OUTPUT1],
      seen: { id: 'req-7', requestedOutputNames: ['OUTPUT0', 'OUTPUT1'] },
    },
  },
  {
    name: 'without an id the response has none, and the infer function sees an empty one',
    request: { model: 'simple', inputs: SIMPLE_INPUTS },
    expect: { modelVersion: '1', id: '', outputs: [OUTPUT0, OUTPUT1], seen: { id: '' } },
  },
  {
    name: 'answers only the requested outputs, which the infer function sees',
    request: { model: 'simple', inputs: SIMPLE_INPUTS, outputs: ['OUTPUT1'] },
    expect: { outputs: [OUTPUT1], seen: { requestedOutputNames: ['OUTPUT1'] } },
  },
  {
    name: 'without a version the highest version serves',
    request: { model: 'multi', inputs: [{ name: 'x', datatype: 'INT32', shape: [1], values: [0] }] },
    expect: { modelVersion: '2', outputs: [{ name: 'v', datatype: 'INT32', shape: [1], values: [2] }] },
  },
  {
    name: 'with a version, that version serves',
    request: { model: 'multi', version: '1', inputs: [{ name: 'x', datatype: 'INT32', shape: [1], values: [0] }] },
    expect: { modelVersion: '1', outputs: [{ name: 'v', datatype: 'INT32', shape: [1], values: [1] }] },
  },
  {
    name: 'custom request parameters reach the infer function; reserved ones do not',
    request: {
      model: 'params',
      inputs: [fp32x([1])],
      parameters: { s: 'text', i: -5, b: true, d: 0.25, priority: 0, timeout: 0 },
    },
    expect: {
      outputs: [{ ...fp32x([1]), name: 'y' }],
      parameters: PARAMS_OUT,
      seen: { parameters: { s: 'text', i: -5, b: true, d: 0.25 } },
    },
  },
  {
    name: 'response parameters set with withParameters reach the client',
    request: { model: 'params', inputs: [fp32x([1])] },
    expect: { outputs: [{ ...fp32x([1]), name: 'y' }], parameters: PARAMS_OUT },
  },
  {
    name: 'unknown model',
    request: { model: 'nope', inputs: [fp32x([1, 2])] },
    expect: { error: { kind: 'NOT_FOUND', message: "Request for unknown model: 'nope' is not found" } },
  },
  {
    name: 'unknown version',
    request: { model: 'simple', version: '9', inputs: SIMPLE_INPUTS },
    expect: { error: { kind: 'NOT_FOUND', message: "Request for unknown model: 'simple' version 9 is not found" } },
  },
  {
    name: 'an input the model does not have',
    request: { model: 'id_FP32', inputs: [{ ...fp32x([1]), name: 'z' }] },
    expect: {
      error: {
        kind: 'INVALID_ARG',
        message: "[request id: <id_unknown>] unexpected inference input 'z' for model 'id_FP32'",
      },
    },
  },
  {
    name: 'an input of another datatype than declared, with the request id',
    request: { model: 'id_FP32', id: 'abc', inputs: [{ name: 'x', datatype: 'INT32', shape: [1], values: [1] }] },
    expect: {
      error: {
        kind: 'INVALID_ARG',
        message: "[request id: abc] inference input 'x' data-type is 'INT32', but model 'id_FP32' expects 'FP32'",
      },
    },
  },
  {
    name: 'a requested output the model does not have',
    request: { model: 'id_FP32', inputs: [fp32x([1, 2])], outputs: ['nope'] },
    expect: {
      error: {
        kind: 'INVALID_ARG',
        message: "[request id: <id_unknown>] unexpected inference output 'nope' for model 'id_FP32'",
      },
    },
  },
  {
    name: 'a required input left out',
    request: { model: 'simple', inputs: [SIMPLE_INPUTS[0]!] },
    expect: {
      error: {
        kind: 'INVALID_ARG',
        message:
          "[request id: <id_unknown>] expected 2 inputs but got 1 inputs for model 'simple'. Got input(s) ['INPUT0'], but missing required input(s) ['INPUT1']. Please provide all required input(s).",
      },
    },
  },
  {
    name: 'the infer function throws: its message, and an internal error',
    request: { model: 'failing', inputs: [fp32x([1, 2])] },
    expect: {
      error: {
        kind: 'INTERNAL',
        message: "Failed to process the request(s) for model 'failing', message: Error: boom",
      },
    },
  },
  {
    name: 'a decoupled model is refused on the unary endpoint',
    request: { model: 'decoupled', inputs: [fp32x([1, 2])] },
    expect: {
      error: {
        kind: 'UNSUPPORTED',
        message: {
          http: "HTTP end point doesn't support models with decoupled transaction policy",
          grpc: "ModelInfer RPC doesn't support models with decoupled transaction policy",
        },
      },
    },
  },
];
