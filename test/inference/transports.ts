/**
 * The three ways to send an inference request (HTTP with JSON tensors, HTTP with binary tensors, gRPC with
 * raw_input_contents), each turning a case's request into its wire form and its answer back into a
 * {@link CaseResponse}. Tensor bytes are written and read by the tests' own DataView code (test/grpc/helpers.ts),
 * not by the server's codecs.
 */
import assert from 'node:assert/strict';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TestGrpcClient, GrpcError } from '../grpc/client.ts';
import type { InferParameterSchema, ModelInferRequestSchema, ModelInferResponse } from '../grpc/gen/grpc_service_pb.js';
import { bytesRaw, numericRaw, readRaw, splitBytesRaw } from '../grpc/helpers.ts';
import { binaryBody, postRaw, splitBinaryResponse } from '../helpers/binary-http.ts';
import type { CaseRequest, CaseResponse, CaseTensor, ErrorKind, TransportName, Values } from './cases.ts';

/** A failed request: the transport's status and message. */
export class TransportError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** One way to send a case's request. */
export interface Transport {
  readonly name: TransportName;
  /** The status this transport answers an error of `kind` with. */
  readonly statusOf: Readonly<Record<ErrorKind, number>>;
  /** Sends `request`; a failed request rejects with a {@link TransportError}. */
  infer(request: CaseRequest): Promise<CaseResponse>;
}

const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  INVALID_ARG: 400,
  NOT_FOUND: 404,
  INTERNAL: 500,
  UNSUPPORTED: 501,
};
const GRPC_STATUS: Readonly<Record<ErrorKind, number>> = {
  INVALID_ARG: 3,
  NOT_FOUND: 5,
  INTERNAL: 13,
  UNSUPPORTED: 12,
};

const decoder = new TextDecoder();

/** The raw little-endian bytes of `values` as `datatype`. */
function rawOf(datatype: string, values: Values): Uint8Array {
  if (datatype === 'BYTES') return bytesRaw(values as string[]);
  return numericRaw(
    datatype,
    values.map((v) => (typeof v === 'boolean' ? Number(v) : (v as number | bigint))),
  );
}

/** The values of raw little-endian bytes of `datatype`, as a case writes them. */
function valuesOfRaw(datatype: string, raw: Uint8Array): unknown[] {
  if (datatype === 'BYTES') return splitBytesRaw(raw).map((element) => decoder.decode(element));
  const values = readRaw(datatype, raw);
  return datatype === 'BOOL' ? values.map((v) => v === 1) : values;
}

const BIGINT = '#bigint:';
const BIGINT_STRING = /"#bigint:(-?\d+)"/g;

/** JSON with bigints written as integers. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${BIGINT}${v}` : v)).replace(BIGINT_STRING, '$1');
}

/** JSON with integers beyond double precision read exactly (as bigints). */
function parse(text: string): any {
  return JSON.parse(text, ((_key: string, value: unknown, context: { source?: string }) =>
    typeof value === 'number' &&
    Number.isInteger(value) &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
      ? BigInt(context.source)
      : value) as (key: string, value: unknown) => unknown);
}

/**
 * JSON numbers as the cases write them: 64-bit integers as bigints, FP32 as the float32 the shortest decimal
 * the server writes stands for.
 */
function jsonValues(datatype: string, data: readonly unknown[]): unknown[] {
  if (datatype === 'INT64' || datatype === 'UINT64') return data.map((v) => BigInt(v as number | bigint));
  if (datatype === 'FP32') return data.map((v) => Math.fround(v as number));
  return [...data];
}

function inferPath(request: CaseRequest): string {
  return `/v2/models/${request.model}${request.version === undefined ? '' : `/versions/${request.version}`}/infer`;
}

/** The JSON parts of an HTTP request every HTTP transport shares. */
function httpHeader(request: CaseRequest): Record<string, unknown> {
  return {
    ...(request.id !== undefined && { id: request.id }),
    ...(request.outputs && { outputs: request.outputs.map((name) => ({ name })) }),
  };
}

/** A response body's top-level fields, common to both HTTP transports. */
function httpResponse(json: Record<string, any>, outputs: CaseTensor[]): CaseResponse {
  assert.deepEqual(
    Object.keys(json).filter((k) => !['id', 'model_name', 'model_version', 'parameters', 'outputs'].includes(k)),
    [],
  );
  return {
    modelName: json.model_name,
    modelVersion: json.model_version,
    id: json.id ?? '',
    outputs,
    parameters: json.parameters ?? {},
  };
}

function httpError(status: number, body: Buffer): TransportError {
  const json = JSON.parse(body.toString('utf8')) as { error: string };
  assert.deepEqual(Object.keys(json), ['error']);
  return new TransportError(status, json.error);
}

/** HTTP with tensors as JSON `data`. */
export function httpJson(port: () => number): Transport {
  return {
    name: 'http-json',
    statusOf: HTTP_STATUS,
    async infer(request) {
      const body = stringify({
        ...httpHeader(request),
        inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.values })),
        ...(request.parameters && { parameters: request.parameters }),
      });
      const response = await postRaw(port(), inferPath(request), body, { 'content-type': 'application/json' });
      assert.equal(response.headers['content-type'], 'application/json');
      if (response.status !== 200) throw httpError(response.status, response.body);
      const json = parse(response.body.toString('utf8'));
      const outputs = (json.outputs as { name: string; datatype: string; shape: number[]; data: unknown[] }[]).map(
        (o) => ({
          name: o.name,
          datatype: o.datatype,
          shape: o.shape,
          values: jsonValues(o.datatype, o.data),
        }),
      );
      return httpResponse(json, outputs);
    },
  };
}

/** HTTP with every input and output as binary tensor data after the JSON header. */
export function httpBinary(port: () => number): Transport {
  return {
    name: 'http-binary',
    statusOf: HTTP_STATUS,
    async infer(request) {
      const blobs = request.inputs.map((t) => rawOf(t.datatype, t.values));
      const { body, headers } = binaryBody(
        {
          ...httpHeader(request),
          inputs: request.inputs.map((t, i) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape,
            parameters: { binary_data_size: blobs[i]!.length },
          })),
          parameters: { ...request.parameters, binary_data_output: true },
        },
        blobs,
      );
      const response = await postRaw(port(), inferPath(request), body, headers);
      if (response.status !== 200) {
        assert.equal(response.headers['content-type'], 'application/json');
        throw httpError(response.status, response.body);
      }
      assert.equal(response.headers['content-type'], 'application/octet-stream');
      const { json, blobs: outputBlobs } = splitBinaryResponse(response);
      assert.equal(
        Number(response.headers['inference-header-content-length']),
        Buffer.byteLength(JSON.stringify(json)),
      );
      const outputs = json.outputs.map((o) => {
        assert.deepEqual(
          Object.keys(o),
          ['name', 'datatype', 'shape', 'parameters'],
          'a binary output has no data in the JSON',
        );
        return {
          name: o.name,
          datatype: o.datatype,
          shape: o.shape,
          values: valuesOfRaw(o.datatype, outputBlobs.get(o.name)!),
        };
      });
      return httpResponse(json, outputs);
    },
  };
}

type ParameterInit = MessageInitShape<typeof InferParameterSchema>;

function grpcParameter(value: string | number | boolean): ParameterInit {
  if (typeof value === 'string') return { parameterChoice: { case: 'stringParam', value } };
  if (typeof value === 'boolean') return { parameterChoice: { case: 'boolParam', value } };
  if (Number.isInteger(value)) return { parameterChoice: { case: 'int64Param', value: BigInt(value) } };
  return { parameterChoice: { case: 'doubleParam', value } };
}

function grpcParameterValue(parameter: ModelInferResponse['parameters'][string]): unknown {
  const { value } = parameter.parameterChoice;
  return typeof value === 'bigint' ? Number(value) : value;
}

/** gRPC ModelInfer with every input in raw_input_contents. */
export function grpc(client: () => TestGrpcClient): Transport {
  return {
    name: 'grpc',
    statusOf: GRPC_STATUS,
    async infer(request) {
      const message: MessageInitShape<typeof ModelInferRequestSchema> = {
        modelName: request.model,
        modelVersion: request.version ?? '',
        id: request.id ?? '',
        inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(BigInt) })),
        rawInputContents: request.inputs.map((t) => rawOf(t.datatype, t.values)),
        outputs: (request.outputs ?? []).map((name) => ({ name })),
        parameters: Object.fromEntries(Object.entries(request.parameters ?? {}).map(([k, v]) => [k, grpcParameter(v)])),
      };
      let response: ModelInferResponse;
      try {
        response = await client().call('modelInfer', message);
      } catch (error) {
        const e = error as GrpcError;
        throw new TransportError(e.code, e.details);
      }
      assert.equal(response.rawOutputContents.length, response.outputs.length);
      return {
        modelName: response.modelName,
        modelVersion: response.modelVersion,
        id: response.id,
        outputs: response.outputs.map((o, i) => {
          assert.equal(o.contents, undefined, 'replies carry raw_output_contents, not typed contents');
          return {
            name: o.name,
            datatype: o.datatype,
            shape: o.shape.map(Number),
            values: valuesOfRaw(o.datatype, response.rawOutputContents[i]!),
          };
        }),
        parameters: Object.fromEntries(Object.entries(response.parameters).map(([k, v]) => [k, grpcParameterValue(v)])),
      };
    },
  };
}
