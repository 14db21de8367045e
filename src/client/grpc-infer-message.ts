/**
 * `ModelInferRequest` / `ModelInferResponse` as the plain objects `@grpc/proto-loader` encodes and decodes
 * (field names as in the .proto, tensors in `raw_input_contents` / `raw_output_contents`).
 *
 * @module
 */

import { isDataType } from '../tensor/dtype.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import { decodeBinaryTensor, encodeBinaryTensor } from '../tensor/binary-tensor.ts';
import type { InferParameterIn, InferParameterOut } from '../protocol/grpc-messages.ts';
import { asClientError, InferenceServerError } from './errors.ts';
import type { InferCall, ParameterValue } from './transport.ts';

/** An `InferParameter` to encode. */
function parameterOf(value: ParameterValue): InferParameterOut {
  if (typeof value === 'boolean') return { bool_param: value };
  if (typeof value === 'string') return { string_param: value };
  return Number.isSafeInteger(value) ? { int64_param: value } : { double_param: value };
}

/** Encodes a `map<string, InferParameter>`. */
export function encodeGrpcParameters(
  parameters: Readonly<Record<string, ParameterValue>> | undefined,
): Record<string, InferParameterOut> {
  const map: Record<string, InferParameterOut> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) map[key] = parameterOf(value);
  return map;
}

/**
 * A `ModelInferRequest` with every input in `raw_input_contents`.
 * @param call - the request.
 * @param extra - parameters added after the caller's (e.g. `triton_enable_empty_final_response`).
 */
export function encodeGrpcInferRequest(call: InferCall, extra: Readonly<Record<string, ParameterValue>> = {}): object {
  const entries = Object.entries(call.inputs);
  return {
    model_name: call.modelName,
    model_version: call.modelVersion ?? '',
    id: '',
    parameters: encodeGrpcParameters({ ...call.parameters, ...extra }),
    inputs: entries.map(([name, array]) => ({ name, datatype: array.dtype, shape: [...array.shape] })),
    raw_input_contents: entries.map(([, array]) => encodeBinaryTensor(array)),
  };
}

/** A decoded `ModelInferResponse`, as far as the client reads it. */
export interface ModelInferResponseIn {
  readonly id: string;
  readonly parameters: Readonly<Record<string, InferParameterIn>>;
  readonly outputs: readonly { readonly name: string; readonly datatype: string; readonly shape: readonly string[] }[];
  readonly raw_output_contents: readonly Uint8Array[];
}

/**
 * The outputs of a `ModelInferResponse`.
 * @param modelName - for messages.
 * @throws {InferenceServerError} when an output's datatype is unknown or its bytes do not fit its shape.
 */
export function decodeGrpcInferResponse(response: ModelInferResponseIn, modelName: string): Record<string, NDArray> {
  const outputs: Record<string, NDArray> = {};
  response.outputs.forEach((output, i) => {
    if (!isDataType(output.datatype)) {
      throw new InferenceServerError(`unknown datatype '${output.datatype}' of output '${output.name}'`, {
        httpStatus: 200,
        grpcCode: 0,
      });
    }
    const source = { name: output.name, modelName };
    const bytes = response.raw_output_contents[i] ?? new Uint8Array(0);
    try {
      outputs[output.name] = decodeBinaryTensor(source, output.datatype, output.shape.map(Number), bytes);
    } catch (error) {
      throw asClientError(error, (message) => new InferenceServerError(message, { httpStatus: 200, grpcCode: 0 }));
    }
  });
  return outputs;
}

/** Whether a response carries `triton_final_response: true`. */
export function isFinalResponse(response: ModelInferResponseIn): boolean {
  return response.parameters.triton_final_response?.bool_param === true;
}
