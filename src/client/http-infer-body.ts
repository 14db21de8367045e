/**
 * The HTTP inference body with the binary tensor data extension: a JSON header naming each input's
 * `binary_data_size`, then the inputs' bytes; the response asks for binary outputs
 * (`binary_data_output`) and is read back whether each output came binary or as JSON `data`.
 *
 * @module
 */

import { isDataType } from '../tensor/dtype.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import { decodeBinaryTensor, encodeBinaryTensor } from '../tensor/binary-tensor.ts';
import { parseJsonData } from '../protocol/json-data.ts';
import { asClientError, InferenceServerError } from './errors.ts';
import type { ParameterValue } from './transport.ts';

/** An encoded request body: the parts to send in order, and the JSON header's byte length. */
export interface HttpInferBody {
  /** The JSON header then each non-empty input's bytes. */
  readonly chunks: readonly Uint8Array[];
  /** Value of `Inference-Header-Content-Length`. */
  readonly headerLength: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes an inference request with every input in binary and every output requested in binary.
 * @param inputs - the named inputs.
 * @param parameters - request parameters (`binary_data_output` is added).
 */
export function encodeHttpInferBody(
  inputs: Readonly<Record<string, NDArray>>,
  parameters: Readonly<Record<string, ParameterValue>> | undefined,
): HttpInferBody {
  const blobs: Uint8Array[] = [];
  const tensors = Object.entries(inputs).map(([name, array]) => {
    const bytes = encodeBinaryTensor(array);
    if (bytes.byteLength > 0) blobs.push(bytes);
    return { name, datatype: array.dtype, shape: array.shape, parameters: { binary_data_size: bytes.byteLength } };
  });
  const header = encoder.encode(
    JSON.stringify({ parameters: { ...parameters, binary_data_output: true }, inputs: tensors }),
  );
  return { chunks: [header, ...blobs], headerLength: header.byteLength };
}

type Json = Record<string, unknown>;

function malformed(detail: string): InferenceServerError {
  return new InferenceServerError(`malformed inference response: ${detail}`, { httpStatus: 200 });
}

/**
 * Decodes an inference response body into its outputs.
 * @param body - the whole body.
 * @param headerLength - `Inference-Header-Content-Length`, or undefined when the body is all JSON.
 * @param modelName - for messages.
 * @throws {InferenceServerError} when the body does not parse or does not add up.
 */
export function decodeHttpInferBody(
  body: Uint8Array,
  headerLength: number | undefined,
  modelName: string,
): Record<string, NDArray> {
  const jsonEnd = headerLength ?? body.byteLength;
  let json: Json;
  try {
    json = JSON.parse(decoder.decode(body.subarray(0, jsonEnd))) as Json;
  } catch (error) {
    throw malformed(String(error));
  }
  if (!Array.isArray(json.outputs)) throw malformed("no 'outputs'");
  try {
    return decodeOutputs(json, body, jsonEnd, modelName);
  } catch (error) {
    throw asClientError(error, malformed);
  }
}

function decodeOutputs(json: Json, body: Uint8Array, jsonEnd: number, modelName: string): Record<string, NDArray> {
  const outputs: Record<string, NDArray> = {};
  let offset = jsonEnd;
  for (const output of json.outputs as Json[]) {
    const { name, datatype, shape } = output;
    if (typeof name !== 'string' || !isDataType(datatype) || !Array.isArray(shape)) throw malformed('bad output');
    const size = (output.parameters as Json | undefined)?.binary_data_size;
    if (typeof size !== 'number') {
      outputs[name] = parseJsonData(name, datatype, shape as number[], output.data);
      continue;
    }
    if (offset + size > body.byteLength) throw malformed(`output '${name}' runs past the end of the body`);
    const source = { name, modelName };
    outputs[name] = decodeBinaryTensor(source, datatype, shape as number[], body.subarray(offset, offset + size));
    offset += size;
  }
  return outputs;
}
