import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asClientError, ClientError, ClientValueError } from '../../src/client/errors.ts';
import { ErrorCode, TritonError } from '../../src/errors.ts';
import { decodeInputTensor } from '../../src/protocol/input-tensor.ts';
import { decodeBinaryTensor } from '../../src/tensor/binary-tensor.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import { TensorError } from '../../src/tensor/tensor-error.ts';

const source = { name: 'INPUT0', modelName: 'simple' };

describe('the tensor layer error', () => {
  it('is what NDArray and the binary codec throw, naming the field and the expected value', () => {
    assert.throws(
      () => new NDArray('FP32', new Float32Array(3), [2, 2]),
      (error: unknown) => {
        assert.ok(error instanceof TensorError);
        assert.ok(!(error instanceof TritonError));
        assert.match((error as Error).message, /shape \[2,2\] holds 4 elements but the data has 3/);
        return true;
      },
    );
    assert.throws(
      () => decodeBinaryTensor(source, 'FP32', [2], new Uint8Array(7)),
      new TensorError("input byte size mismatch for input 'INPUT0' for model 'simple'. Expected 8, got 7"),
    );
  });

  it('is answered by the server as INVALID_ARG with the same message', () => {
    const error = TritonError.from(new TensorError('element 0 ("a") cannot be converted to FP32'));
    assert.equal(error.code, ErrorCode.INVALID_ARG);
    assert.equal(error.httpStatus, 400);
    assert.equal(error.message, 'element 0 ("a") cannot be converted to FP32');
  });

  it("is answered for a request input behind Triton's request-id prefix", () => {
    assert.throws(
      () => decodeInputTensor({ ...source, requestId: '' }, 'INT32', [1], new Uint8Array(3)),
      (error: unknown) => {
        assert.ok(error instanceof TritonError);
        assert.equal(error.code, ErrorCode.INVALID_ARG);
        assert.equal(
          error.message,
          "[request id: <id_unknown>] input byte size mismatch for input 'INPUT0' for model 'simple'. Expected 4, got 3",
        );
        return true;
      },
    );
  });

  it('is wrapped in a ClientError by the client, keeping it as the cause', () => {
    const cause = new TensorError('toStrings() needs a BYTES array, not FP32');
    const wrapped = asClientError(cause, (message) => new ClientValueError(message));
    assert.ok(wrapped instanceof ClientError);
    assert.equal(wrapped.message, cause.message);
    assert.equal(wrapped.cause, cause);
    const already = new ClientValueError('kept');
    assert.equal(
      asClientError(already, () => assert.fail('not wrapped again')),
      already,
    );
  });
});
