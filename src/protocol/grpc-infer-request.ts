/**
 * A gRPC `ModelInferRequest` → an {@link InferenceRequest}, with Triton's rules for where each input's data
 * is: typed `contents`, or the input's entry of `raw_input_contents` (never both in one request).
 *
 * @module
 */

import { type DataType, isDataType } from '../tensor/dtype.ts';
import type { InferenceRequest } from '../core/inference-request.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import { ErrorCode, invalidArg, TritonError } from '../errors.ts';
import { decodeInputTensor, type InputSource, requestPrefix } from './input-tensor.ts';
import type { InferInputTensorIn, ModelInferRequestIn, RequestedOutputIn } from './grpc-messages.ts';
import { parseModelVersion } from './grpc-model-version.ts';
import { decodeRequestParameters, decodeTensorParameters } from './grpc-parameters.ts';
import { contentsToBytes } from './grpc-tensor-contents.ts';

/** An input whose datatype and shape were read, with its data still in binary form. */
interface PendingInput {
  readonly source: InputSource;
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/**
 * Decodes a `ModelInferRequest`. Fixed-size inputs sent raw may share memory with the message.
 * @throws {TritonError} INVALID_ARG with Triton's message for a malformed request; UNSUPPORTED for
 *   shared-memory or classification parameters.
 */
export function decodeGrpcInferRequest(message: ModelInferRequestIn): InferenceRequest {
  const modelName = message.model_name;
  const id = message.id;
  const parameters = decodeRequestParameters(message.parameters);
  const pending = readInputs(message);
  const inputs: Record<string, NDArray> = Object.create(null);
  for (const { source, dtype, shape, bytes } of pending) {
    inputs[source.name] = decodeInputTensor(source, dtype, shape, bytes);
  }
  return {
    modelName,
    modelVersion: parseModelVersion(message.model_version),
    id,
    parameters,
    inputs,
    requestedOutputs: message.outputs.length === 0 ? undefined : message.outputs.map(requestedOutput),
  };
}

/** Reads every input's datatype, shape and data source, in Triton's order of checks. */
function readInputs(message: ModelInferRequestIn): PendingInput[] {
  const raw = message.raw_input_contents;
  const seen = new Set<string>();
  let rawIndex = 0;
  return message.inputs.map((input) => {
    const source = { name: input.name, modelName: message.model_name, requestId: message.id };
    if (seen.has(input.name)) throw invalidArg(`input '${input.name}' is given more than once`);
    seen.add(input.name);
    const dtype = readDatatype(source, input.datatype);
    const shape = readShape(source, input.shape);
    checkTensorParameters(input);
    if (input.contents && raw.length > 0) {
      throw invalidArg(
        `contents field must not be specified when using raw_input_contents for '${input.name}' for model ` +
          `'${message.model_name}'`,
      );
    }
    if (input.contents) return { source, dtype, shape, bytes: contentsToBytes(source, dtype, input.contents) };
    const bytes = raw[rawIndex++];
    if (!bytes) {
      throw invalidArg(
        `unable to find data for input tensor '${input.name}' for model '${message.model_name}' in request.`,
      );
    }
    return { source, dtype, shape, bytes };
  });
}

function readDatatype(source: InputSource, datatype: string): DataType {
  if (isDataType(datatype)) return datatype;
  throw invalidArg(
    `${requestPrefix(source.requestId)}inference input '${source.name}' has unknown datatype '${datatype}' for ` +
      `model '${source.modelName}'`,
  );
}

function readShape(source: InputSource, shape: readonly string[]): number[] {
  const dims = shape.map(Number);
  if (dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return dims;
  throw invalidArg(
    `${requestPrefix(source.requestId)}All input dimensions should be specified for input '${source.name}' for ` +
      `model '${source.modelName}', got [${shape.join(',')}]`,
  );
}

/** Rejects the tensor parameters of features this server does not have (shared memory). */
function checkTensorParameters(input: InferInputTensorIn): void {
  const parameters = decodeTensorParameters(input.parameters);
  if ('shared_memory_region' in parameters) {
    throw new TritonError(
      ErrorCode.UNSUPPORTED,
      `input '${input.name}' uses 'shared_memory_region', but this server does not support shared memory; ` +
        "send the tensor in 'contents' or 'raw_input_contents'",
    );
  }
}

function requestedOutput(output: RequestedOutputIn): string {
  const parameters = decodeTensorParameters(output.parameters);
  if ('shared_memory_region' in parameters) {
    throw new TritonError(
      ErrorCode.UNSUPPORTED,
      `output '${output.name}' asks for 'shared_memory_region', but this server does not support shared memory`,
    );
  }
  if ('classification' in parameters) {
    throw new TritonError(
      ErrorCode.UNSUPPORTED,
      `output '${output.name}' asks for 'classification', but this server does not support the classification ` +
        'extension',
    );
  }
  return output.name;
}
