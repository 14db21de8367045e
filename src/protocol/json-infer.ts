/**
 * The KServe v2 JSON inference request and response (`POST /v2/models/{m}/infer`).
 *
 * @module
 */

import { isDataType } from '../tensor/dtype.ts';
import type { InferenceRequest, InferenceResult } from '../core/inference-request.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import type { Parameters } from '../core/request.ts';
import { invalidArg, quote } from '../errors.ts';
import type { BinaryBlobs } from './binary-blobs.ts';
import { type BinaryOutputChoice, isBinaryOutput, JSON_OUTPUTS } from './binary-outputs.ts';
import { encodeBinaryTensor } from '../tensor/binary-tensor.ts';
import { decodeInputTensor } from './input-tensor.ts';
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
 * @param blobs - the binary blobs after the JSON header, when the request has a binary part; inputs that
 *   declare `parameters.binary_data_size` take theirs from it in order (binary tensor data extension).
 * @throws {TritonError} INVALID_ARG naming the field that is malformed, or with Triton's message for binary
 *   data that does not add up.
 */
export function decodeInferRequest(body: unknown, target: InferTarget, blobs?: BinaryBlobs): InferenceRequest {
  if (!isObject(body)) throw invalidArg('Unable to parse the request: expected a JSON object');
  const id = decodeId(body.id);
  return {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id,
    parameters: parseParameters(body.parameters, 'parameters', true),
    inputs: decodeInputs(body.inputs, { modelName: target.modelName, requestId: id, blobs }),
    requestedOutputs: decodeRequestedOutputs(body.outputs),
  };
}

/** What decoding an input needs besides the input itself. */
interface InputContext {
  readonly modelName: string;
  readonly requestId: string;
  readonly blobs: BinaryBlobs | undefined;
}

/** Reads the optional `id`, which must be a string. */
export function decodeId(id: unknown): string {
  if (id === undefined) return '';
  if (typeof id !== 'string') throw invalidArg(`Unable to parse 'id': expected a string, got ${quote(id)}`);
  return id;
}

function decodeInputs(inputs: unknown, context: InputContext): Record<string, NDArray> {
  if (!Array.isArray(inputs)) throw invalidArg(`Unable to parse 'inputs': expected an array of input tensors`);
  // Without a prototype, so no input name can clash with Object.prototype's; made from `{}` rather than by
  // Object.create(null), which V8 keeps in (slower) dictionary mode.
  const decoded: Record<string, NDArray> = Object.setPrototypeOf({}, null);
  for (let i = 0; i < inputs.length; i++) {
    const array = decodeInput(inputs[i], i, context);
    if (array.name in decoded) throw invalidArg(`input '${array.name}' is given more than once`);
    decoded[array.name] = array.array;
  }
  return decoded;
}

/** An input's parameters when it has none (only read while decoding, so one shared object does). */
const NO_PARAMETERS: Parameters = Object.freeze({});

/** Whether `shape` is an array of non-negative integers. */
function isShape(shape: unknown): shape is number[] {
  if (!Array.isArray(shape)) return false;
  for (const d of shape) if (!Number.isSafeInteger(d) || d < 0) return false;
  return true;
}

function decodeInput(input: unknown, index: number, context: InputContext): { name: string; array: NDArray } {
  if (!isObject(input)) throw invalidArg(`Unable to parse 'inputs[${index}]': expected an object`);
  const { name, shape, datatype } = input;
  if (typeof name !== 'string') throw invalidArg(`Unable to parse 'name' of inputs[${index}]: expected a string`);
  if (!isShape(shape)) {
    throw invalidArg(
      `Unable to parse 'shape' of input '${name}': expected an array of non-negative integers, got ${quote(shape)}`,
    );
  }
  if (!isDataType(datatype)) {
    throw invalidArg(`Unable to parse 'datatype' of input '${name}': unknown datatype ${quote(datatype)}`);
  }
  const parameters =
    input.parameters === undefined
      ? NO_PARAMETERS
      : parseParameters(input.parameters, `parameters of input '${name}'`, false);
  checkOneDataSource(name, 'data' in input, parameters);
  if (!('binary_data_size' in parameters)) return { name, array: parseJsonData(name, datatype, shape, input.data) };
  const bytes = binaryInputBytes(name, parameters.binary_data_size, context.blobs);
  return { name, array: decodeInputTensor({ ...context, name }, datatype, shape, bytes) };
}

/**
 * The binary bytes of input `name`, which declares `binary_data_size: size`.
 * @throws {TritonError} INVALID_ARG for a size that is not a non-negative integer, a request without a binary
 *   part, or a size that runs past the end of the body.
 */
function binaryInputBytes(name: string, size: unknown, blobs: BinaryBlobs | undefined): Uint8Array {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalidArg(
      `Unable to parse 'binary_data_size' of input '${name}': expected a non-negative integer, got ${quote(size)}`,
    );
  }
  if (size === 0) return new Uint8Array(0);
  if (!blobs) {
    throw invalidArg(
      "must specify valid 'Infer-Header-Content-Length' in request header and 'binary_data_size' when passing " +
        'inputs in binary data format',
    );
  }
  return blobs.take(name, size);
}

function checkOneDataSource(name: string, hasData: boolean, parameters: Parameters): void {
  if (hasData && !('binary_data_size' in parameters) && !('shared_memory_region' in parameters)) return;
  const set = [
    hasData ? "'data'" : '',
    'binary_data_size' in parameters ? "'binary_data_size'" : '',
    'shared_memory_region' in parameters ? "'shared_memory_region'" : '',
  ].filter(Boolean);
  if (set.length === 1 && (hasData || 'binary_data_size' in parameters)) return;
  if (set.length === 1) {
    throw invalidArg(
      `input '${name}' uses ${set[0]}, which this server does not accept; send the tensor in 'data' or as binary data`,
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
  return writeInferResponse(result, undefined, []);
}

/** A response with binary outputs: the JSON header, and the blobs that follow it. */
export interface InferResponseParts {
  /** The JSON; binary outputs carry `"parameters":{"binary_data_size":N}` instead of `data`. */
  readonly json: string;
  /** The binary outputs' bytes in output order; empty ones are left out. */
  readonly blobs: readonly Uint8Array[];
  /** Whether any output is binary (the body then needs `Inference-Header-Content-Length`). */
  readonly hasBinary: boolean;
}

/**
 * Encodes an inference result with the outputs `choice` selects as binary blobs (binary tensor data
 * extension); the blobs are the outputs' own memory where the datatype allows (see `encodeBinaryTensor`).
 * @throws {TritonError} for FP16/BF16 outputs that are left in JSON.
 */
export function encodeInferResponseParts(result: InferenceResult, choice: BinaryOutputChoice): InferResponseParts {
  const blobs: Uint8Array[] = [];
  const hasBinary = choice !== JSON_OUTPUTS && result.outputs.some(({ name }) => isBinaryOutput(choice, name));
  return { json: writeInferResponse(result, hasBinary ? choice : undefined, blobs), blobs, hasBinary };
}

function writeInferResponse(
  result: InferenceResult,
  choice: BinaryOutputChoice | undefined,
  blobs: Uint8Array[],
): string {
  let json = '{';
  if (result.id !== '') json += `"id":${JSON.stringify(result.id)},`;
  json += `"model_name":${quotedName(result.modelName)},"model_version":"${result.modelVersion}"`;
  if (result.parameters) json += `,"parameters":${JSON.stringify(result.parameters)}`;
  json += ',"outputs":[';
  const outputs = result.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const { name, array } = outputs[i]!;
    if (i > 0) json += ',';
    json += `{"name":${quotedName(name)},"datatype":"${array.dtype}","shape":[${commaSeparated(array.shape)}],`;
    if (choice && isBinaryOutput(choice, name)) json += binaryOutputField(array, blobs);
    else json += `"data":${jsonDataOf(name, array)}}`;
  }
  return `${json}]}`;
}

/** Model and output names as JSON strings, remembered: a server writes the same few names again and again. */
const quotedNames = new Map<string, string>();

/** Names remembered at most (a bound in case names are not few after all). */
const QUOTED_NAMES_LIMIT = 1024;

function quotedName(name: string): string {
  let quoted = quotedNames.get(name);
  if (quoted === undefined) {
    quoted = JSON.stringify(name);
    if (quotedNames.size < QUOTED_NAMES_LIMIT) quotedNames.set(name, quoted);
  }
  return quoted;
}

/** `shape.join(',')`, several times faster on the short frozen arrays shapes are. */
function commaSeparated(shape: readonly number[]): string {
  if (shape.length === 0) return '';
  let text = String(shape[0]);
  for (let i = 1; i < shape.length; i++) text += `,${shape[i]}`;
  return text;
}

/** The `parameters` field of a binary output; its bytes (when any) go to `blobs`. */
function binaryOutputField(array: NDArray, blobs: Uint8Array[]): string {
  const bytes = encodeBinaryTensor(array);
  if (bytes.byteLength > 0) blobs.push(bytes);
  return `"parameters":{"binary_data_size":${bytes.byteLength}}}`;
}
