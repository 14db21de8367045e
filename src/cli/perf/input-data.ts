/**
 * The tensors perf sends: random or zero data of each input's shape, or the steps of a perf_analyzer-style
 * JSON file (`{"data": [{"<input>": [flat values] | {"content": [...], "shape": [...]}}, ...]}`).
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { type ClientModelConfig, type DataType, NDArray, type TensorConfig } from '../../client/index.ts';
import { UsageError } from '../usage-error.ts';

/** Where input data comes from. */
export type InputDataSource = 'random' | 'zero' | { readonly file: string };

/** What the tensors are built from. */
export interface InputSpec {
  /** The model's configuration (inputs, max batch size). */
  readonly config: ClientModelConfig;
  /** Requests carry this many samples (the batch dimension, when the model batches). */
  readonly batchSize: number;
  /** Shapes (without batch dimension) given with `--shape` for inputs with variable dimensions. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** The data source. */
  readonly source: InputDataSource;
}

/** One request's inputs, with the batch dimension when the model batches. */
export type RequestInputs = Record<string, NDArray>;

const RANDOM_STRING_LENGTH = 16;

/** The sample shape of an input: `--shape` when given, else the declared one, which must then be fixed. */
function sampleShape(tensor: TensorConfig, shapes: ReadonlyMap<string, readonly number[]>): readonly number[] {
  const given = shapes.get(tensor.name);
  if (given) return given;
  if (tensor.shape.some((d) => d < 0)) {
    throw new UsageError(
      `input '${tensor.name}' has variable dimensions [${tensor.shape.join(',')}]: give --shape ${tensor.name}:d1,d2,…`,
    );
  }
  return tensor.shape;
}

function generatedValues(datatype: DataType, count: number, random: boolean): unknown[] {
  const value = (): unknown => {
    if (!random) return datatype === 'BYTES' ? '' : 0;
    if (datatype === 'BYTES') return Math.random().toString(36).slice(2).padEnd(RANDOM_STRING_LENGTH, '0');
    if (datatype === 'BOOL') return Math.random() < 0.5;
    if (datatype.startsWith('FP') || datatype === 'BF16') return Math.random();
    return Math.floor(Math.random() * 100);
  };
  return Array.from({ length: count }, value);
}

/** Prepends the batch dimension (repeating the sample) when the model batches. */
function batched(
  values: readonly unknown[],
  sample: readonly number[],
  spec: InputSpec,
): { values: unknown[]; shape: number[] } {
  if (spec.config.maxBatchSize === 0) return { values: [...values], shape: [...sample] };
  const all: unknown[] = [];
  for (let i = 0; i < spec.batchSize; i++) all.push(...values);
  return { values: all, shape: [spec.batchSize, ...sample] };
}

function toArray(
  tensor: TensorConfig,
  values: readonly unknown[],
  sample: readonly number[],
  spec: InputSpec,
): NDArray {
  const { values: all, shape } = batched(values, sample, spec);
  if (tensor.datatype === 'BYTES') return NDArray.fromStrings(all.map(String), shape);
  return NDArray.from(all, tensor.datatype, shape);
}

function generated(spec: InputSpec, random: boolean): RequestInputs[] {
  const inputs: RequestInputs = {};
  for (const tensor of spec.config.inputs) {
    const sample = sampleShape(tensor, spec.shapes);
    const count = sample.reduce((n, d) => n * d, 1);
    inputs[tensor.name] = toArray(tensor, generatedValues(tensor.datatype, count, random), sample, spec);
  }
  return [inputs];
}

/** The shape of file data: its own `shape`, else `--shape`, else the declared one with one −1 filled in. */
function fileShape(tensor: TensorConfig, count: number, own: unknown, spec: InputSpec): readonly number[] {
  if (Array.isArray(own)) return own.map(Number);
  const given = spec.shapes.get(tensor.name);
  if (given) return given;
  const fixed = tensor.shape.filter((d) => d >= 0).reduce((n, d) => n * d, 1);
  const variable = tensor.shape.filter((d) => d < 0).length;
  if (variable === 1 && fixed > 0 && count % fixed === 0) return tensor.shape.map((d) => (d < 0 ? count / fixed : d));
  if (variable === 0) return tensor.shape;
  throw new UsageError(`input '${tensor.name}': give its shape in the data file or with --shape`);
}

function fileStep(step: unknown, index: number, spec: InputSpec): RequestInputs {
  if (typeof step !== 'object' || step === null) throw new UsageError(`input data step ${index} is not an object`);
  const inputs: RequestInputs = {};
  for (const tensor of spec.config.inputs) {
    const entry: unknown = (step as Record<string, unknown>)[tensor.name];
    if (entry === undefined) throw new UsageError(`input data step ${index} has no input '${tensor.name}'`);
    const wrapped = typeof entry === 'object' && entry !== null && !Array.isArray(entry);
    const content: unknown = wrapped ? (entry as Record<string, unknown>).content : entry;
    if (!Array.isArray(content)) {
      throw new UsageError(`input data step ${index}, input '${tensor.name}': expected an array or {"content": [...]}`);
    }
    const values = content.flat(Infinity);
    const shape = fileShape(
      tensor,
      values.length,
      wrapped ? (entry as Record<string, unknown>).shape : undefined,
      spec,
    );
    inputs[tensor.name] = toArray(tensor, values, shape, spec);
  }
  return inputs;
}

function fromFile(path: string, spec: InputSpec): RequestInputs[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read input data file '${path}': ${(error as Error).message}`);
  }
  const steps = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new UsageError(`input data file '${path}' needs a non-empty "data" array`);
  }
  return steps.map((step, i) => fileStep(step, i, spec));
}

/**
 * Builds the requests' inputs; requests cycle through the returned list.
 * @throws {UsageError} for a shape that cannot be resolved or a malformed data file.
 */
export function buildRequestInputs(spec: InputSpec): RequestInputs[] {
  if (spec.source === 'random' || spec.source === 'zero') return generated(spec, spec.source === 'random');
  return fromFile(spec.source.file, spec);
}
