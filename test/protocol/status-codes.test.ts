import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestError, grpcStatusError, ModelUnavailableError } from '../../src/client/errors.ts';
import { TritonError } from '../../src/errors.ts';
import { ErrorCode, grpcStatusOf, httpStatusOf, httpStatusOfGrpcCode } from '../../src/protocol/status-codes.ts';

describe('status codes: one table for server and client', () => {
  it("answers each Triton code with Triton's HTTP status and gRPC code", () => {
    const expected = {
      UNKNOWN: [400, 2],
      INTERNAL: [500, 13],
      NOT_FOUND: [404, 5],
      INVALID_ARG: [400, 3],
      UNAVAILABLE: [503, 14],
      UNSUPPORTED: [501, 12],
      ALREADY_EXISTS: [400, 6],
      CANCELLED: [400, 1],
    };
    assert.deepEqual(Object.keys(expected).sort(), Object.values(ErrorCode).sort());
    for (const [code, [http, grpc]] of Object.entries(expected) as [ErrorCode, number[]][]) {
      assert.equal(httpStatusOf(code), http, code);
      assert.equal(grpcStatusOf(code), grpc, code);
      const error = new TritonError(code, 'x');
      assert.equal(error.httpStatus, http, code);
      assert.equal(error.grpcStatus, grpc, code);
    }
  });

  it('reads a gRPC code back as the HTTP status of the same Triton error', () => {
    for (const code of Object.values(ErrorCode))
      assert.equal(httpStatusOfGrpcCode(grpcStatusOf(code)), httpStatusOf(code), code);
    assert.equal(httpStatusOfGrpcCode(8), 429);
    assert.equal(httpStatusOfGrpcCode(9), 400);
    assert.equal(httpStatusOfGrpcCode(11), 400);
    assert.equal(httpStatusOfGrpcCode(99), 500);
  });

  it("gives the client's error class from the same table", () => {
    assert.ok(grpcStatusError(grpcStatusOf('NOT_FOUND'), 'm') instanceof ModelUnavailableError);
    assert.ok(grpcStatusError(grpcStatusOf('UNAVAILABLE'), 'm') instanceof ModelUnavailableError);
    assert.ok(grpcStatusError(grpcStatusOf('INVALID_ARG'), 'm') instanceof BadRequestError);
    const internal = grpcStatusError(grpcStatusOf('INTERNAL'), 'm');
    assert.ok(!(internal instanceof BadRequestError) && !(internal instanceof ModelUnavailableError));
    assert.equal(internal.httpStatus, 500);
  });
});
