/**
 * The KServe v2 JSON inference request and response (`POST /v2/models/{m}/infer`).
 *
 * @module
 */

import { isDataType } from '../core/dtype.ts';
import type { InferenceRequest, InferenceResult } from '../core/inference-request.ts';
import type { NDArray } from '../core/ndarray.ts';
import type { Parameters } from '../core/request.ts';
import { invalidArg } from '../errors.ts';
import { jsonDataOf, parseJsonData } from './json-data.ts';
import { parseParameters } from './parameters.ts';

/** Where the request is going: the model and version from the URL. */
export interface InferTarget {
  readonly modelName: string;
  readonly modelVersion: number;
}

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes a parsed JSON inference request.
 * @throws {TritonError} INVALID_ARG naming the field that is malformed.
 */
export function decodeInferRequest(body: unknown, target: InferTarget): InferenceRequest {
  if (!isObject(body)) throw invalidArg('Unable to parse the request: expected a JSON object');
  return {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id: decodeId(body.id),
    parameters: parseParameters(body.parameters, 'parameters', true),
    inputs: decodeInputs(body.inputs),
    requestedOutputs: decodeRequestedOutputs(body.outputs),
  };
}

/** Reads the optional `id`, which must be a string. */
export function decodeId(id: unknown): string {
  if (id === undefined) return '';
  if (typeof id !== 'string') throw invalidArg(`Unable to parse 'id': expected a string, got ${JSON.stringify(id)}`);
  return id;
}

function decodeInputs(inputs: unknown): Record<string, NDArray> {
  if (!Array.isArray(inputs)) throw invalidArg(`Unable to parse 'inputs': expected an array of input tensors`);
  const decoded: Record<string, NDArray> = Object.create(null);
  inputs.forEach((input, i) => {
    const array = decodeInput(input, i);
    if (array.name in decoded) throw invalidArg(`input '${array.name}' is given more than once`);
    decoded[array.name] = array.array;
  });
  return decoded;
}

function decodeInput(input: unknown, index: number): { name: string; array: NDArray } {
  if (!isObject(input)) throw invalidArg(`Unable to parse 'inputs[${index}]': expected an object`);
  const { name, shape, datatype } = input;
  if (typeof name !== 'string') throw invalidArg(`Unable to parse 'name' of inputs[${index}]: expected a string`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidArg(
      `Unable to parse 'shape' of input '${name}': expected an array of non-negative integers, got ${JSON.stringify(shape)}`,
    );
  }
  if (!isDataType(datatype)) {
    throw invalidArg(`Unable to parse 'datatype' of input '${name}': unknown datatype ${JSON.stringify(datatype)}`);
  }
  const parameters = parseParameters(input.parameters, `parameters of input '${name}'`, false);
  checkOneDataSource(name, 'data' in input, parameters);
  return { name, array: parseJsonData(name, datatype, shape, input.data) };
}

function checkOneDataSource(name: string, hasData: boolean, parameters: Parameters): void {
  const set = [
    hasData ? "'data'" : '',
    'binary_data_size' in parameters ? "'binary_data_size'" : '',
    'shared_memory_region' in parameters ? "'shared_memory_region'" : '',
  ].filter(Boolean);
  if (set.length === 1 && hasData) return;
  if (set.length === 1) {
    throw invalidArg(
      `input '${name}' uses ${set[0]}, which this server does not accept; send the tensor in 'data'`,
    );
  }
  throw invalidArg(
    `Input must set only one of the following fields: 'data', 'binary_data_size' in 'parameters', ` +
      `'shared_memory_region' in 'parameters'. But ${set.length === 0 ? 'no field is set' : `set ${set.join(' ')}`}`,
  );
}

function decodeRequestedOutputs(outputs: unknown): string[] | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs)) throw invalidArg(`Unable to parse 'outputs': expected an array`);
  return outputs.map((output, i) => {
    if (!isObject(output) || typeof output.name !== 'string') {
      throw invalidArg(`Unable to parse 'outputs[${i}]': expected an object with a string 'name'`);
    }
    parseParameters(output.parameters, `parameters of output '${output.name}'`, false);
    return output.name;
  });
}

/**
 * Encodes an inference result as Triton's JSON response, with keys in Triton's order.
 * @throws {TritonError} for outputs that cannot be sent as JSON (FP16, BF16).
 */
export function encodeInferResponse(result: InferenceResult): string {
  let json = '{';
  if (result.id !== '') json += `"id":${JSON.stringify(result.id)},`;
  json += `"model_name":${JSON.stringify(result.modelName)},"model_version":"${result.modelVersion}"`;
  if (result.parameters) json += `,"parameters":${JSON.stringify(result.parameters)}`;
  json += ',"outputs":[';
  result.outputs.forEach(({ name, array }, i) => {
    if (i > 0) json += ',';
    json +=
      `{"name":${JSON.stringify(name)},"datatype":"${array.dtype}","shape":[${array.shape.join(',')}],` +
      `"data":${jsonDataOf(name, array)}}`;
  });
  return `${json}]}`;
}
