/**
 * The generate extension (`POST /v2/models/{m}/generate`): a flat JSON object mapped onto the model's
 * inputs, and outputs written back as top-level keys.
 *
 * @module
 */

import type { InferenceRequest, InferenceResult } from '../core/inference-request.ts';
import type { NDArray } from '../tensor/ndarray.ts';
import type { ModelInfo, ParameterValue } from '../core/request.ts';
import type { Tensor } from '../core/tensor-spec.ts';
import { invalidArg, quote } from '../errors.ts';
import { decodeId, type InferTarget } from './json-infer.ts';
import { jsonValueOf, parseJsonData } from './json-data.ts';
import { metadataShape } from './model-metadata.ts';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Maps a generate request onto `model`'s inputs: keys naming an input become that tensor (also inside the
 * nested `parameters` object); every other key becomes a request parameter.
 * @throws {TritonError} INVALID_ARG naming the key that cannot be mapped.
 */
export function decodeGenerateRequest(body: unknown, target: InferTarget, model: ModelInfo): InferenceRequest {
  if (!isObject(body)) throw invalidArg('Unable to parse the generate request: expected a JSON object');
  const inputs: Record<string, NDArray> = Object.create(null);
  const parameters: Record<string, ParameterValue> = Object.create(null);
  const byName = new Map(model.inputs.map((t) => [t.name, t]));
  if (byName.has('parameters')) {
    throw invalidArg(`Keyword 'parameters' for nested schema also given as input tensor name`);
  }
  const map = (key: string, value: unknown): void => {
    const spec = byName.get(key);
    if (spec) inputs[key] = toTensor(model, spec, value);
    else parameters[key] = toParameter(key, value);
  };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'id') continue;
    if (key !== 'parameters') map(key, value);
    else if (isObject(value)) for (const [k, v] of Object.entries(value)) map(k, v);
    else throw invalidArg(`Unable to parse 'parameters': expected a JSON object`);
  }
  return {
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    id: decodeId(body.id),
    inputs,
    parameters,
    requestedOutputs: undefined,
  };
}

function toParameter(key: string, value: unknown): ParameterValue {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw invalidArg(
    `parameter '${key}' must be a string, number or boolean (it names no input of the model), got ${quote(value)}`,
  );
}

function toTensor(model: ModelInfo, spec: Tensor, value: unknown): NDArray {
  if (Array.isArray(value) && value.some(Array.isArray)) {
    throw invalidArg(`The schema can not convert input '${spec.name}' to tensor with proper shape`);
  }
  const count = Array.isArray(value) ? value.length : 1;
  const shape = fitShape(metadataShape(model, spec), count);
  if (!shape) throw invalidArg(`The schema can not convert input '${spec.name}' to tensor with proper shape`);
  return parseJsonData(spec.name, spec.dtype, shape, value);
}

/** Fills the -1 dimensions of `shape` for `count` elements: the innermost takes the rest, others are 1. */
export function fitShape(shape: readonly number[], count: number): number[] | undefined {
  const fixed = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const innermost = shape.lastIndexOf(-1);
  if (innermost === -1) return fixed === count ? [...shape] : undefined;
  if (fixed === 0 || count % fixed !== 0) return undefined;
  return shape.map((d, i) => (d !== -1 ? d : i === innermost ? count / fixed : 1));
}

/** Writes a result as the generate response: reserved keys, then each output (one element as a scalar). */
export function encodeGenerateResponse(result: InferenceResult): string {
  let json = '{';
  if (result.id !== '') json += `"id":${JSON.stringify(result.id)},`;
  json += `"model_name":${JSON.stringify(result.modelName)},"model_version":"${result.modelVersion}"`;
  for (const { name, array } of result.outputs) json += `,${JSON.stringify(name)}:${jsonValueOf(name, array)}`;
  for (const [key, value] of Object.entries(result.parameters ?? {})) {
    json += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return `${json}}`;
}
