/**
 * An {@link InferenceResult} → a gRPC `ModelInferResponse`. As Triton, every output travels in
 * `raw_output_contents` (BYTES elements each behind a 4-byte little-endian length), never in typed contents.
 *
 * @module
 */

import type { InferenceResult } from '../core/inference-request.ts';
import { encodeBinaryTensor } from '../tensor/binary-tensor.ts';
import type { ModelInferResponseOut, ModelStreamInferResponseOut } from './grpc-messages.ts';
import { encodeParameters } from './grpc-parameters.ts';

/** Encodes a result; fixed-size outputs are sent from their own memory (no copy). */
export function encodeGrpcInferResponse(result: InferenceResult): ModelInferResponseOut {
  return {
    model_name: result.modelName,
    model_version: String(result.modelVersion),
    id: result.id,
    parameters: encodeParameters(result.parameters),
    outputs: result.outputs.map(({ name, array }) => ({ name, datatype: array.dtype, shape: [...array.shape] })),
    raw_output_contents: result.outputs.map(({ array }) => encodeBinaryTensor(array)),
  };
}

/** The stream message of a failed request: its error message, and its id so the client knows which one. */
export function streamErrorResponse(requestId: string, message: string): ModelStreamInferResponseOut {
  return { error_message: message, infer_response: { id: requestId } };
}
