/**
 * Shared pieces of the gRPC tests: a server on free local ports, and tensor bytes in Triton's raw layout
 * written and read here with DataView (independently of the server's binary tensor code).
 */
import assert from 'node:assert/strict';
import {
  type BindOptions,
  type InferFunc,
  ModelConfig,
  Tensor,
  type Triton,
  type TritonConfig,
} from '../../src/index.ts';
import { LOCAL, startTriton } from '../helpers/server.ts';
import { type GrpcError, TestGrpcClient } from './client.ts';

/** gRPC status codes the tests expect. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** Local settings: gRPC (and HTTP, for comparisons) on free 127.0.0.1 ports, no metrics. */
export { LOCAL };

/** A running server and a client connected to its gRPC port. */
export interface GrpcServer extends AsyncDisposable {
  readonly triton: Triton;
  readonly client: TestGrpcClient;
  /** `http://127.0.0.1:PORT` of the HTTP frontend. */
  readonly http: string;
  stop(): Promise<void>;
}

/** Starts a server (the shared fixture, test/helpers/server.ts) with `bind` applied, and a client. */
export async function startServer(
  bind: (triton: Triton) => void,
  config: Partial<TritonConfig> = {},
): Promise<GrpcServer> {
  const server = await startTriton({ bind, config });
  const client = new TestGrpcClient(server.triton.grpcPort!);
  const stop = async (): Promise<void> => {
    client.close();
    await server.stop();
  };
  return { triton: server.triton, client, http: server.http, stop, [Symbol.asyncDispose]: stop };
}

/** Expects `promise` to fail with gRPC status `code` and a message matching `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: number, message: string | RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    const e = error as GrpcError;
    assert.equal(e.code, code, `status ${e.code} (${e.details}), expected ${code}`);
    if (typeof message === 'string') assert.equal(e.details, message);
    else assert.match(e.details, message);
    return;
  }
  assert.fail(`expected status ${code}, the call succeeded`);
}

/** Expects two byte sequences to be equal (whatever Uint8Array subclass holds them). */
export function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(actual, 'bytes are missing');
  if (Buffer.compare(actual, expected) === 0) return;
  assert.deepEqual(
    [...actual.subarray(0, 64)],
    [...expected.subarray(0, 64)],
    `bytes differ (${actual.length} vs ${expected.length})`,
  );
  assert.fail(`bytes differ after the first 64 (${actual.length} vs ${expected.length})`);
}

const encoder = new TextEncoder();

/** The raw layout of BYTES elements: each behind its 4-byte little-endian length. */
export function bytesRaw(elements: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = elements.map((e) => (typeof e === 'string' ? encoder.encode(e) : e));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const part of parts) {
    view.setUint32(offset, part.length, true);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** Splits raw BYTES data into its elements. */
export function splitBytesRaw(raw: Uint8Array): Uint8Array[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Uint8Array[] = [];
  for (let offset = 0; offset < raw.length;) {
    const length = view.getUint32(offset, true);
    elements.push(Uint8Array.from(raw.subarray(offset + 4, offset + 4 + length)));
    offset += 4 + length;
  }
  return elements;
}

type Numeric = number | bigint;

/** Little-endian element readers and writers by datatype. */
const CODECS: Record<
  string,
  { size: number; get: (v: DataView, o: number) => Numeric; set: (v: DataView, o: number, x: Numeric) => void }
> = {
  BOOL: { size: 1, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, Number(x)) },
  UINT8: { size: 1, get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, Number(x)) },
  UINT16: { size: 2, get: (v, o) => v.getUint16(o, true), set: (v, o, x) => v.setUint16(o, Number(x), true) },
  UINT32: { size: 4, get: (v, o) => v.getUint32(o, true), set: (v, o, x) => v.setUint32(o, Number(x), true) },
  UINT64: { size: 8, get: (v, o) => v.getBigUint64(o, true), set: (v, o, x) => v.setBigUint64(o, BigInt(x), true) },
  INT8: { size: 1, get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, Number(x)) },
  INT16: { size: 2, get: (v, o) => v.getInt16(o, true), set: (v, o, x) => v.setInt16(o, Number(x), true) },
  INT32: { size: 4, get: (v, o) => v.getInt32(o, true), set: (v, o, x) => v.setInt32(o, Number(x), true) },
  INT64: { size: 8, get: (v, o) => v.getBigInt64(o, true), set: (v, o, x) => v.setBigInt64(o, BigInt(x), true) },
  FP16: { size: 2, get: (v, o) => v.getUint16(o, true), set: (v, o, x) => v.setUint16(o, Number(x), true) },
  BF16: { size: 2, get: (v, o) => v.getUint16(o, true), set: (v, o, x) => v.setUint16(o, Number(x), true) },
  FP32: { size: 4, get: (v, o) => v.getFloat32(o, true), set: (v, o, x) => v.setFloat32(o, Number(x), true) },
  FP64: { size: 8, get: (v, o) => v.getFloat64(o, true), set: (v, o, x) => v.setFloat64(o, Number(x), true) },
};

/** Raw little-endian bytes of fixed-size `values` (FP16/BF16 given as their 16-bit patterns). */
export function numericRaw(dtype: string, values: readonly Numeric[]): Uint8Array {
  const codec = CODECS[dtype]!;
  const out = new Uint8Array(values.length * codec.size);
  const view = new DataView(out.buffer);
  values.forEach((x, i) => codec.set(view, i * codec.size, x));
  return out;
}

/** The values of raw little-endian bytes of a fixed-size datatype. */
export function readRaw(dtype: string, raw: Uint8Array): Numeric[] {
  const codec = CODECS[dtype]!;
  assert.equal(raw.length % codec.size, 0, `${raw.length} bytes is not a whole number of ${dtype} elements`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: raw.length / codec.size }, (_, i) => codec.get(view, i * codec.size));
}

/** JSON that shows bigints (for protobuf-es messages with 64-bit fields). */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v)));
}

/** An infer function that answers `y` = `x`. */
export const identity: InferFunc = (requests) => requests.map((r) => ({ y: r.data.x! }));

/** The bind options of model `modelName`: {@link identity} over one FP32 value `x` → `y`, no batching. */
export function identityModel(modelName: string): BindOptions {
  return {
    modelName,
    inferFunc: identity,
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: 0 }),
  };
}
