/**
 * gRPC request messages that are not well-formed protobuf (cut short, a length past the end, a wire type no
 * message uses) are answered INVALID_ARGUMENT naming the problem, on every RPC; protobufjs alone reads a string
 * cut short as the bytes that are there (`0a05696465` became model name "ide").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { wireFormatProblem } from '../../src/wire/proto-reader.ts';
import { loadGrpcProtos } from '../../src/protocol/grpc-proto-files.ts';
import type { MethodDefinition } from '@grpc/grpc-js';
import { type GrpcServer, startServer, Status } from '../grpc/helpers.ts';
import { ModelConfig, Tensor } from '../../src/index.ts';
import { within } from '../helpers/within.ts';

const TRUNCATED_NAME = Buffer.from('0a05696465', 'hex');
const SERVICE = '/inference.GRPCInferenceService';

const requestSerialize = (
  loadGrpcProtos(['grpc_service.proto'])['inference.GRPCInferenceService'] as Record<
    string,
    MethodDefinition<object, unknown>
  >
)['ModelInfer']!.requestSerialize;

/** A well-formed ModelInferRequest for model 'm'. */
const GOOD_REQUEST = requestSerialize({
  model_name: 'm',
  id: 'abc',
  inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1] }],
  raw_input_contents: [Buffer.from(new Float32Array([2.5]).buffer)],
});

const raw = (b: Buffer): Buffer => b;

describe('malformed gRPC messages', () => {
  let server: GrpcServer;
  let client: Client;

  before(async () => {
    server = await startServer((triton) =>
      triton.bind({
        modelName: 'm',
        inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
        config: ModelConfig({ maxBatchSize: 4 }),
      }),
    );
    client = new Client(`127.0.0.1:${server.triton.grpcPort}`, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  /** Sends `message` as the request of a unary RPC; resolves with the error status, or undefined on success. */
  function unary(path: string, message: Buffer): Promise<ServiceError | undefined> {
    return within(
      new Promise((resolve) =>
        client.makeUnaryRequest(path, raw, raw, message, (error) => resolve(error ?? undefined)),
      ),
      5000,
      path,
    );
  }

  it('the bytes 0a05696465 are rejected on every RPC that takes a name, not read as "ide"', async () => {
    for (const rpc of [
      'ModelMetadata',
      'ModelReady',
      'ModelConfig',
      'ModelStatistics',
      'ModelInfer',
      'RepositoryModelUnload',
    ]) {
      const error = await unary(`${SERVICE}/${rpc}`, TRUNCATED_NAME);
      assert.equal(error?.code, Status.INVALID_ARGUMENT, `${rpc}: ${error?.code} ${error?.details}`);
      assert.equal(
        error.details,
        'the request message is not well-formed protobuf: field 1 declares 5 bytes but 3 remain',
      );
    }
    const health = await unary('/grpc.health.v1.Health/Check', TRUNCATED_NAME);
    assert.equal(health?.code, Status.INVALID_ARGUMENT);
  });

  it('every truncation of a ModelInferRequest is INVALID_ARGUMENT; the whole one is answered', async () => {
    assert.equal(await unary(`${SERVICE}/ModelInfer`, GOOD_REQUEST), undefined);
    let malformed = 0;
    for (let length = 1; length < GOOD_REQUEST.length; length++) {
      const cut = GOOD_REQUEST.subarray(0, length);
      if (wireFormatProblem(cut) === undefined) continue; // cut at a field boundary: a shorter valid message
      malformed++;
      const error = await unary(`${SERVICE}/ModelInfer`, cut);
      assert.equal(error?.code, Status.INVALID_ARGUMENT, `cut at ${length}: ${error?.code} ${error?.details}`);
      assert.match(error.details, /^the request message is not well-formed protobuf: /);
    }
    assert.ok(malformed > GOOD_REQUEST.length / 2, `${malformed} of ${GOOD_REQUEST.length} cuts`);
  });

  it('a malformed message ends a ModelStreamInfer stream with INVALID_ARGUMENT', async () => {
    const stream = client.makeBidiStreamRequest(`${SERVICE}/ModelStreamInfer`, raw, raw);
    const responses: Buffer[] = [];
    stream.on('data', (message: Buffer) => responses.push(message));
    const status = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    stream.write(GOOD_REQUEST);
    await within(new Promise((resolve) => stream.once('data', resolve)), 5000, 'the first response');
    stream.write(TRUNCATED_NAME);
    const error = await within(status, 5000, 'the stream status');
    assert.equal(error.code, Status.INVALID_ARGUMENT);
    assert.equal(
      error.details,
      'the request message is not well-formed protobuf: field 1 declares 5 bytes but 3 remain',
    );
    assert.equal(responses.length, 1);
  });
});

describe('wireFormatProblem', () => {
  it('accepts well-formed messages, including empty ones', () => {
    assert.equal(wireFormatProblem(Buffer.alloc(0)), undefined);
    assert.equal(wireFormatProblem(GOOD_REQUEST), undefined);
    assert.equal(wireFormatProblem(Buffer.from('0a03696465', 'hex')), undefined);
    assert.equal(wireFormatProblem(Buffer.from('0d0000803f', 'hex')), undefined); // fixed32
  });

  it('names what is wrong', () => {
    const cases: [string, string][] = [
      ['0a05696465', 'field 1 declares 5 bytes but 3 remain'],
      ['0a', 'the length of field 1 is cut short'],
      ['08', 'the varint of field 1 is cut short'],
      ['0880', 'the varint of field 1 is cut short'],
      ['80', 'the field key at byte 0 is cut short'],
      ['0900', 'field 1 needs 8 bytes but 1 remain'],
      ['0b', 'field 1 has wire type 3, which these messages do not use'],
      ['0f', 'field 1 has wire type 7, which these messages do not use'],
      ['0001', 'field number 0 at byte 0'],
      ['0affffffff0f', 'field 1 declares 4294967295 bytes but 0 remain'],
      ['08ffffffffffffffffffff01', 'the varint of field 1 is cut short'],
    ];
    for (const [hex, problem] of cases) assert.equal(wireFormatProblem(Buffer.from(hex, 'hex')), problem, hex);
  });
});
