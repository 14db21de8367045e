/**
 * Decorators: higher-order functions that adapt plain functions to the {@link InferFunc} a model is bound with
 * (PyTriton's `@batch`, `@sample`, `@group_by_keys`, `@group_by_values`, `@fill_optionals`, `@pad_batch` and
 * `@first_value`).
 *
 * They work at two levels:
 * - the request level, on `Request[]` ({@link InferFunc}): {@link batch}, {@link sample}, {@link groupByKeys},
 *   {@link fillOptionals};
 * - the batch level, on the inputs of all requests joined along the first dimension ({@link BatchedFunc}),
 *   so inside {@link batch}: {@link groupByValues}, {@link padBatch}, {@link firstValue}.
 *
 * Where PyTriton stacks decorators (`@batch` above `@group_by_values(...)`), the TypeScript form nests calls,
 * outermost first: `batch(groupByValues('k')(fn))`.
 *
 * @module
 */

import { Buffer } from 'node:buffer';
import { ErrorCode, TritonError, invalidArg } from '../errors.ts';
import type { DataType } from './dtype.ts';
import type { ModelConfig } from './model-config.ts';
import { type ArrayInput, NDArray, convertStorage, elementCount, isTypedArray } from './ndarray.ts';
import { type InferFunc, type InferResponse, type ModelInfo, Request } from './request.ts';
import type { Tensor } from './tensor-spec.ts';

/** Inputs of a whole batch: input name → the arrays of every request, joined along the first dimension. */
export type BatchedInputs = Readonly<Record<string, NDArray>>;

/** Outputs of a whole batch: output name → an array whose first dimension covers every row of the batch. */
export type BatchedOutputs = Record<string, NDArray | ArrayInput>;

/** What a batched function knows besides its inputs: the requests it serves and their model. */
export interface BatchContext {
  /** The requests whose inputs were joined, in order. */
  readonly requests: readonly Request[];
  /** The model serving them; undefined when the requests were built without one. */
  readonly model: ModelInfo | undefined;
}

/** A function of one whole batch, as {@link batch} calls it. */
export type BatchedFunc = (inputs: BatchedInputs, context: BatchContext) => BatchedOutputs | Promise<BatchedOutputs>;

/** Wraps a batched function in another (the form of {@link groupByValues}, {@link padBatch}, {@link firstValue}). */
export type BatchedDecorator = (fn: BatchedFunc) => BatchedFunc;

/** A function of one request's inputs, as {@link sample} calls it; `request` gives its parameters and id. */
export type SampleFunc = (
  inputs: Readonly<Record<string, NDArray>>,
  request: Request,
) => InferResponse | Promise<InferResponse>;

/**
 * Makes the outputs of the groups of {@link groupByValues} joinable: receives each group's outputs and returns them
 * with equal datatypes and trailing shapes per output. The batch dimension must be left as it is.
 */
export type PadFn = (groups: readonly Readonly<Record<string, NDArray>>[]) => Record<string, NDArray>[];

/** Options of {@link groupByValues}. */
export interface GroupByValuesOptions {
  /** Pads the groups' outputs before they are joined, e.g. {@link ConstantPadder}. @default none */
  padFn?: PadFn;
}

/** Options of {@link firstValue}. */
export interface FirstValueOptions {
  /** Turn a value of one element into a scalar array of shape `[]`. @default true */
  squeezeSingleValues?: boolean;
  /** Fail when the rows of an input are not all equal. @default true */
  strict?: boolean;
}

/** Input names, optionally followed by an options object. */
type KeysThenOptions<O> = [...keys: string[], options: O] | string[];

// ---------------------------------------------------------------------------------------------------------------
// batch

/**
 * Turns a function of whole batches into an infer function (PyTriton's `@batch`).
 *
 * The inputs of all requests are joined along the first dimension and `fn` is called once. Each output is then
 * split back by the requests' batch sizes (the first dimension of each request's first input; 1 for a request
 * without inputs). Outputs that are not NDArrays are converted to the output's declared datatype, or to one
 * inferred from the value when the model is unknown (see {@link asNDArray}).
 *
 * @example
 * ```ts
 * const double = batch(({ x }) => ({
 *   y: NDArray.from(Array.from(x!.data as Float32Array, (v) => v * 2), 'FP32', x!.shape),
 * }));
 * ```
 * @param fn - the function of one whole batch; it also receives a {@link BatchContext}.
 * @returns an infer function answering each request with its rows of the outputs.
 * @throws {TritonError} (the returned function) INVALID_ARG when the requests have different input names
 *   (wrap with {@link groupByKeys}) or inputs that cannot be joined; INTERNAL when an output's first dimension
 *   is not the sum of the requests' batch sizes.
 */
export function batch(fn: BatchedFunc): InferFunc {
  return async (requests) => {
    if (requests.length === 0) return [];
    const inputs = joinInputs(requests, commonInputNames(requests));
    const model = requests[0]!.model;
    const outputs = toOutputArrays('batch', await fn(inputs, { requests, model }), model);
    const sizes = requests.map(requestBatchSize);
    checkOutputRows('batch', outputs, sum(sizes));
    return splitOutputs(outputs, sizes);
  };
}

/** The input names every request has; throws INVALID_ARG naming the difference when they are not the same. */
function commonInputNames(requests: readonly Request[]): string[] {
  const expected = Object.keys(requests[0]!.data).sort();
  requests.forEach((request, i) => {
    const actual = Object.keys(request.data).sort();
    if (actual.join('\u0000') !== expected.join('\u0000')) {
      throw invalidArg(
        `batch: request ${i} has inputs [${actual.join(', ')}] but request 0 has [${expected.join(', ')}]` +
          ` (${describeNameDifference(expected, actual)}); requests with different inputs cannot be batched` +
          ' together, wrap the infer function with groupByKeys',
      );
    }
  });
  return expected;
}

function describeNameDifference(expected: readonly string[], actual: readonly string[]): string {
  const missing = expected.filter((name) => !actual.includes(name));
  const extra = actual.filter((name) => !expected.includes(name));
  const parts = [];
  if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`extra ${extra.join(', ')}`);
  return parts.join('; ');
}

function joinInputs(requests: readonly Request[], names: readonly string[]): Record<string, NDArray> {
  const inputs: Record<string, NDArray> = {};
  for (const name of names) {
    try {
      inputs[name] = NDArray.concat(requests.map((request) => request.data[name]!));
    } catch (error) {
      throw invalidArg(`batch: input '${name}' cannot be batched: ${(error as Error).message}`);
    }
  }
  return inputs;
}

/** A request's batch size: the first dimension of its first input, or 1 when it has no inputs. */
function requestBatchSize(request: Request): number {
  const first = Object.values(request.data)[0];
  return first ? first.rows : 1;
}

function splitOutputs(outputs: Readonly<Record<string, NDArray>>, sizes: readonly number[]): InferResponse[] {
  let start = 0;
  return sizes.map((size) => {
    const end = start + size;
    const response = mapValues(outputs, (array) => array.sliceRows(start, end));
    start = end;
    return response;
  });
}

/** Throws INTERNAL naming every output whose first dimension is not `expected`. */
function checkOutputRows(who: string, outputs: Readonly<Record<string, NDArray>>, expected: number): void {
  const wrong = Object.entries(outputs).filter(([, array]) => array.shape.length === 0 || array.shape[0] !== expected);
  if (wrong.length === 0) return;
  const described = wrong.map(([name, array]) => `'${name}' has ${describeFirstDimension(array)}`).join(', ');
  throw new TritonError(
    ErrorCode.INTERNAL,
    `${who}: output ${described}, but the batch has ${expected} rows; every output needs one row per input row`,
  );
}

function describeFirstDimension(array: NDArray): string {
  return array.shape.length === 0 ? 'no first dimension (a scalar)' : `first dimension ${array.shape[0]}`;
}

// ---------------------------------------------------------------------------------------------------------------
// output conversion

/**
 * Converts what a function returned as outputs to NDArrays (see {@link asNDArray}).
 * @throws {TritonError} INTERNAL when the result is not an object or an output cannot be converted.
 */
function toOutputArrays(who: string, outputs: unknown, model: ModelInfo | undefined): Record<string, NDArray> {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    throw new TritonError(
      ErrorCode.INTERNAL,
      `${who}: the wrapped function returned ${describeValue(outputs)}; expected an object of outputs`,
    );
  }
  return mapEntries(outputs as BatchedOutputs, (name, value) => {
    try {
      return asNDArray(value, model?.outputs.find((spec) => spec.name === name)?.dtype);
    } catch (error) {
      const message = `${who}: output '${name}': ${(error as Error).message}`;
      throw new TritonError(ErrorCode.INTERNAL, message, { cause: error });
    }
  });
}

/**
 * The one conversion of user values to NDArrays: an NDArray is kept as it is; anything else becomes an array of
 * `declared` when given, else of the datatype its values suggest ({@link inferDtype}).
 */
function asNDArray(value: NDArray | ArrayInput, declared: DataType | undefined): NDArray {
  if (value instanceof NDArray) return value;
  return NDArray.from(value, declared ?? inferDtype(value));
}

const TYPED_ARRAY_DTYPE: ReadonlyMap<unknown, DataType> = new Map<unknown, DataType>([
  [Float32Array, 'FP32'],
  [Float64Array, 'FP64'],
  [Int8Array, 'INT8'],
  [Int16Array, 'INT16'],
  [Int32Array, 'INT32'],
  [BigInt64Array, 'INT64'],
  [Uint8Array, 'UINT8'],
  [Uint8ClampedArray, 'UINT8'],
  [Uint16Array, 'UINT16'],
  [Uint32Array, 'UINT32'],
  [BigUint64Array, 'UINT64'],
]);

/**
 * The datatype a value suggests: a typed array's own (Float32Array → FP32, …); for (nested) plain arrays, that of
 * the first element: bigint → INT64, boolean → BOOL, string or Uint8Array → BYTES, number → FP64 (what a
 * JavaScript number is), a typed-array row → its type.
 */
function inferDtype(value: ArrayInput): DataType {
  if (isTypedArray(value)) return TYPED_ARRAY_DTYPE.get(value.constructor) ?? 'FP64';
  let first: unknown = (value as ArrayLike<unknown>)[0];
  while (Array.isArray(first)) first = first[0];
  if (first instanceof Uint8Array || typeof first === 'string') return 'BYTES';
  if (isTypedArray(first)) return TYPED_ARRAY_DTYPE.get(first.constructor) ?? 'FP64';
  if (typeof first === 'bigint') return 'INT64';
  if (typeof first === 'boolean') return 'BOOL';
  return 'FP64';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

// ---------------------------------------------------------------------------------------------------------------
// sample

/**
 * Turns a function of one request's inputs into an infer function (PyTriton's `@sample`), for models without
 * batching.
 *
 * PyTriton passes only the first request. Here `fn` is called for every request, one after the other, and the
 * responses are returned in request order, so no request goes unanswered if several arrive together.
 *
 * @example
 * ```ts
 * const upper = sample(({ text }) => ({
 *   upper: NDArray.fromStrings(text!.toStrings().map((s) => s.toUpperCase())),
 * }));
 * ```
 * @param fn - called with each request's inputs and the request itself (for its parameters and id).
 * @returns an infer function answering each request with what `fn` returned for it.
 */
export function sample(fn: SampleFunc): InferFunc {
  return async (requests) => {
    const responses: InferResponse[] = [];
    for (const request of requests) responses.push(await fn(request.data, request));
    return responses;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// groupByKeys

/**
 * Calls an infer function once per group of requests with the same input names (PyTriton's `@group_by_keys`), and
 * returns the responses in the original request order. Put it outside {@link batch} when inputs are optional.
 *
 * @example
 * ```ts
 * const inferFunc = groupByKeys(batch(({ x, bias }) => ({ y: bias ? add(x!, bias) : x! })));
 * ```
 * @param inferFunc - called once per group, in order of each group's first request.
 * @returns an infer function over requests that may differ in their input names.
 * @throws {TritonError} (the returned function) INTERNAL when `inferFunc` returns the wrong number of responses.
 */
export function groupByKeys(inferFunc: InferFunc): InferFunc {
  return async (requests) => {
    const responses = new Array<InferResponse>(requests.length);
    const groups = groupIndices(requests.length, (i) => Object.keys(requests[i]!.data).sort().join('\u0000'));
    for (const indices of groups) {
      const groupResponses = await inferFunc(indices.map((i) => requests[i]!));
      checkResponseCount(groupResponses, indices.length);
      indices.forEach((requestIndex, k) => (responses[requestIndex] = groupResponses[k]!));
    }
    return responses;
  };
}

function checkResponseCount(responses: unknown, expected: number): void {
  if (!Array.isArray(responses) || responses.length !== expected) {
    const got = Array.isArray(responses) ? `${responses.length} responses` : describeValue(responses);
    throw new TritonError(
      ErrorCode.INTERNAL,
      `groupByKeys: the wrapped infer function returned ${got} for ${expected} requests;` +
        ' it must return one response per request',
    );
  }
}

/** Indices 0..count-1 grouped by key, groups in order of first appearance, indices ascending within a group. */
function groupIndices(count: number, keyOf: (index: number) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(i);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  return [...groups.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// groupByValues

/**
 * Splits a batch into groups of rows with equal values of the given inputs, calls the wrapped function per group,
 * and puts the outputs back in the original row order (PyTriton's `@group_by_values`). Use it inside
 * {@link batch}, for inputs such as sampling parameters that must be equal within one model call.
 *
 * Groups are called one after the other, in order of their first row (PyTriton orders them by value). A named
 * input that is absent from the batch does not split it. Each group must return the same output names, and an
 * output's datatype and trailing shape must agree across groups unless `padFn` (e.g. {@link ConstantPadder})
 * makes them agree. The context passed on is the whole batch's.
 *
 * @example
 * ```ts
 * const inferFunc = batch(groupByValues('temperature')(({ prompt, temperature }) => generate(prompt!, temperature!)));
 * const padded = batch(groupByValues('length', { padFn: ConstantPadder(0) })(fn));
 * ```
 * @param args - the input names to group by, optionally followed by {@link GroupByValuesOptions}.
 * @returns a decorator of batched functions.
 * @throws {TritonError} INVALID_ARG when no input name is given; (the wrapped function) INTERNAL when the groups'
 *   outputs cannot be joined.
 */
export function groupByValues(...args: KeysThenOptions<GroupByValuesOptions>): BatchedDecorator {
  const { keys, options } = keysAndOptions('groupByValues', args);
  return (fn) => async (inputs, context) => {
    const groups = groupIndices(batchRows(inputs), (row) => rowGroupKey(inputs, keys, row));
    if (groups.length <= 1) return fn(inputs, context);
    const results: Record<string, NDArray>[] = [];
    for (const rows of groups) {
      const outputs = await fn(mapValues(inputs, (array) => takeRows(array, rows)), context);
      results.push(toOutputArrays('groupByValues', outputs, context.model));
    }
    return joinGroups(groups, options.padFn ? options.padFn(results) : results, batchRows(inputs));
  };
}

/** A string equal for two rows exactly when every named input has equal values in them. */
function rowGroupKey(inputs: BatchedInputs, keys: readonly string[], row: number): string {
  return JSON.stringify(keys.map((key) => (inputs[key] ? rowElementKeys(inputs[key], row) : null)));
}

function rowElementKeys(array: NDArray, row: number): string[] {
  const stride = rowStride(array);
  const keys: string[] = [];
  for (let i = row * stride; i < (row + 1) * stride; i++) keys.push(elementKey(array.data[i]!));
  return keys;
}

function elementKey(raw: number | bigint | Uint8Array): string {
  if (!(raw instanceof Uint8Array)) return String(raw);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
}

/** Puts each group's output rows back at the group's row positions. */
function joinGroups(
  groups: readonly number[][],
  results: readonly Readonly<Record<string, NDArray>>[],
  total: number,
): Record<string, NDArray> {
  const names = sameOutputNames(results);
  const joined: Record<string, NDArray> = {};
  for (const name of names) {
    joined[name] = scatterRows(name, groups, results.map((result) => result[name]!), total);
  }
  return joined;
}

function sameOutputNames(results: readonly Readonly<Record<string, NDArray>>[]): string[] {
  const names = Object.keys(results[0]!).sort();
  for (const result of results) {
    const other = Object.keys(result).sort();
    if (other.join('\u0000') !== names.join('\u0000')) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `groupByValues: groups returned different outputs ([${names.join(', ')}] and [${other.join(', ')}]);` +
          ' every group must return the same outputs',
      );
    }
  }
  return names;
}

function scatterRows(name: string, groups: readonly number[][], parts: readonly NDArray[], total: number): NDArray {
  const first = parts[0]!;
  const tail = first.shape.slice(1);
  const joined = NDArray.zeros(first.dtype, [total, ...tail]);
  parts.forEach((part, g) => {
    checkJoinable(name, first, part);
    const rows = groups[g]!;
    if (part.shape.length === 0 || part.rows !== rows.length) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `groupByValues: output '${name}' of a group of ${rows.length} rows has ${describeFirstDimension(part)}`,
      );
    }
    rows.forEach((row, k) => copyRow(part, k, joined, row));
  });
  return joined;
}

function checkJoinable(name: string, first: NDArray, part: NDArray): void {
  const tail = first.shape.slice(1).join(',');
  if (part.dtype !== first.dtype || part.shape.slice(1).join(',') !== tail) {
    throw new TritonError(
      ErrorCode.INTERNAL,
      `groupByValues: output '${name}' is ${first.dtype} with rows of shape [${tail}] in one group but ` +
        `${part.dtype} with rows of shape [${part.shape.slice(1).join(',')}] in another; ` +
        'make them agree or pass { padFn: ConstantPadder() }',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ConstantPadder

/**
 * A {@link PadFn} that pads every output to the largest trailing shape among the groups, filling new elements with
 * `padValue` (PyTriton's `ConstantPadder`). BYTES outputs are padded with empty byte strings.
 *
 * @example
 * ```ts
 * const inferFunc = batch(groupByValues('maxLength', { padFn: ConstantPadder(-1) })(generateTokens));
 * ```
 * @param padValue - the value of padding elements, converted to each output's datatype.
 * @returns the pad function.
 * @throws {TritonError} (the pad function) INTERNAL when an output has different datatypes or numbers of
 *   dimensions across groups.
 */
export function ConstantPadder(padValue: number = 0): PadFn {
  return (groups) => {
    const names = [...new Set(groups.flatMap((group) => Object.keys(group)))];
    const tails = new Map(names.map((name) => [name, paddedTail(name, groups)]));
    return groups.map((group) => mapEntries(group, (name, array) => padTrailing(array, tails.get(name)!, padValue)));
  };
}

/** The largest size of each trailing dimension of an output across groups. */
function paddedTail(name: string, groups: readonly Readonly<Record<string, NDArray>>[]): number[] {
  const arrays = groups.map((group) => group[name]).filter((array) => array !== undefined);
  const first = arrays[0]!;
  const tail = first.shape.slice(1);
  for (const array of arrays) {
    if (array.dtype !== first.dtype || array.shape.length !== first.shape.length) {
      throw new TritonError(
        ErrorCode.INTERNAL,
        `ConstantPadder: output '${name}' is ${first.dtype}[${first.shape.join(',')}] in one group and ` +
          `${array.dtype}[${array.shape.join(',')}] in another; only sizes of dimensions can be padded`,
      );
    }
    array.shape.slice(1).forEach((size, d) => (tail[d] = Math.max(tail[d]!, size)));
  }
  return tail;
}

/** `array` grown to trailing shape `tail`, new elements set to `padValue`; the same array when it already fits. */
function padTrailing(array: NDArray, tail: readonly number[], padValue: number): NDArray {
  const shape = [array.rows, ...tail];
  if (shape.join(',') === array.shape.join(',')) return array;
  const padded = filledArray(array.dtype, shape, padValue);
  const source = array.shape.length === 0 ? [1] : array.shape;
  const target = padded.data as unknown as unknown[];
  for (let i = 0; i < array.size; i++) target[flatIndexIn(i, source, shape)] = array.data[i];
  return padded;
}

/** Where element `flat` of an array of shape `from` lands in an array of shape `to` with the same coordinates. */
function flatIndexIn(flat: number, from: readonly number[], to: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  for (let d = from.length - 1; d >= 0; d--) {
    index += (rest % from[d]!) * stride;
    rest = Math.floor(rest / from[d]!);
    stride *= to[d]!;
  }
  return index;
}

function filledArray(dtype: DataType, shape: readonly number[], value: number): NDArray {
  const array = NDArray.zeros(dtype, shape);
  if (dtype !== 'BYTES' && value !== 0) {
    const raw = convertStorage([value], dtype)[0];
    (array.data as unknown as { fill(v: unknown): void }).fill(raw);
  }
  return array;
}

// ---------------------------------------------------------------------------------------------------------------
// fillOptionals

/**
 * Fills inputs a request left out with defaults (PyTriton's `@fill_optionals`). Put it outermost, so that
 * {@link groupByKeys} and {@link batch} see complete requests.
 *
 * A default is one sample, without the batch dimension (a leading dimension of 1 is also accepted for a batching
 * model). For a batching model it is repeated to the request's batch size (the first dimension of any input the
 * request has; 1 when it has none). Values that are not NDArrays are converted to the input's declared datatype.
 * When the requests carry their model, each default is checked against it; without one, the model is taken to batch.
 *
 * @example
 * ```ts
 * const inferFunc = fillOptionals({ temperature: NDArray.from([0.7], 'FP32') })(batch(generate));
 * ```
 * @param defaults - input name → default value.
 * @returns a decorator of infer functions.
 * @throws {TritonError} (the wrapped function) INVALID_ARG when a default names an input the model does not declare,
 *   has another datatype, or a shape the input's declared shape does not allow.
 */
export function fillOptionals(
  defaults: Readonly<Record<string, NDArray | ArrayInput>>,
): (inferFunc: InferFunc) => InferFunc {
  return (inferFunc) => async (requests) => {
    if (requests.length === 0) return inferFunc(requests);
    const model = requests[0]!.model;
    const samples = mapEntries(defaults, (name, value) => resolveDefault(name, value, model));
    const batching = model?.config.batching ?? true;
    return inferFunc(requests.map((request) => withDefaults(request, samples, batching)));
  };
}

/** A default as one sample (no batch dimension), checked against the model's declaration of the input. */
function resolveDefault(name: string, value: NDArray | ArrayInput, model: ModelInfo | undefined): NDArray {
  if (!model) return defaultArray(name, value, undefined);
  const spec = model.inputs.find((input) => input.name === name);
  if (!spec) {
    const declared = model.inputs.map((input) => input.name).join(', ');
    throw invalidArg(`fillOptionals: '${name}' is not an input of model '${model.name}' (inputs: ${declared})`);
  }
  const array = defaultArray(name, value, spec.dtype);
  if (array.dtype !== spec.dtype) {
    throw invalidArg(
      `fillOptionals: the default of '${name}' is ${array.dtype}, but model '${model.name}' declares it ${spec.dtype}`,
    );
  }
  return asSample(name, array, spec, model.config.batching);
}

function defaultArray(name: string, value: NDArray | ArrayInput, declared: DataType | undefined): NDArray {
  try {
    return asNDArray(value, declared);
  } catch (error) {
    throw invalidArg(`fillOptionals: the default of '${name}' cannot be converted: ${(error as Error).message}`);
  }
}

/** The default without a leading batch dimension of 1, checked against the declared shape (-1 matches any size). */
function asSample(name: string, array: NDArray, spec: Tensor, batching: boolean): NDArray {
  const hasBatchDimension = batching && array.shape.length === spec.shape.length + 1 && array.rows === 1;
  const sample = hasBatchDimension ? array.reshape(array.shape.slice(1)) : array;
  const fits =
    sample.shape.length === spec.shape.length && spec.shape.every((d, i) => d === -1 || d === sample.shape[i]);
  if (!fits) {
    throw invalidArg(
      `fillOptionals: the default of '${name}' has shape [${array.shape.join(',')}], but the input's declared shape` +
        ` is [${spec.shape.join(',')}] (give one sample, without the batch dimension)`,
    );
  }
  return sample;
}

function withDefaults(request: Request, samples: Readonly<Record<string, NDArray>>, batching: boolean): Request {
  const missing = Object.entries(samples).filter(([name]) => !(name in request.data));
  if (missing.length === 0) return request;
  const size = requestBatchSize(request);
  const data = { ...request.data };
  for (const [name, sample] of missing) data[name] = batching ? repeatAsRows(sample, size) : sample;
  return new Request({
    data,
    parameters: request.parameters,
    requestedOutputNames: request.requestedOutputNames,
    id: request.id,
    model: request.model,
  });
}

/** `sample` repeated `count` times along a new first dimension. */
function repeatAsRows(sample: NDArray, count: number): NDArray {
  return takeRows(sample.reshape([1, ...sample.shape]), new Array<number>(count).fill(0));
}

// ---------------------------------------------------------------------------------------------------------------
// padBatch

/**
 * Pads a batch up to the next preferred batch size, or else the maximum batch size, by repeating its last row;
 * calls the wrapped function; and cuts the outputs back to the real rows (PyTriton's `@pad_batch`, which leaves
 * the cutting to the caller). Use it inside {@link batch} for models compiled for fixed batch sizes. A batch
 * already larger than every candidate size is passed on unpadded.
 *
 * @example
 * ```ts
 * const inferFunc = batch(padBatch(runFixedSizeEngine));
 * ```
 * @param fn - the batched function, called with the padded inputs.
 * @returns a batched function.
 * @throws {TritonError} (the returned function) INTERNAL when the model is unknown or does not batch, or when an
 *   output's first dimension is not the padded batch size.
 */
export function padBatch(fn: BatchedFunc): BatchedFunc {
  return async (inputs, context) => {
    const rows = batchRows(inputs);
    const target = paddedBatchSize(rows, batchingConfig('padBatch', context.model));
    if (target === rows) return fn(inputs, context);
    const padded = mapValues(inputs, (array) => repeatLastRow(array, target));
    const outputs = toOutputArrays('padBatch', await fn(padded, context), context.model);
    checkOutputRows('padBatch', outputs, target);
    return mapValues(outputs, (array) => array.sliceRows(0, rows));
  };
}

/** The config of the model, which must be known and batch. */
function batchingConfig(who: string, model: ModelInfo | undefined): ModelConfig {
  if (!model) {
    throw new TritonError(ErrorCode.INTERNAL, `${who} needs the model's config, but the requests carry no model`);
  }
  if (!model.config.batching) {
    throw new TritonError(ErrorCode.INTERNAL, `${who} needs a batching model; model '${model.name}' does not batch`);
  }
  return model.config;
}

/** The smallest preferred batch size or maximum batch size that holds `rows`; `rows` when none does. */
function paddedBatchSize(rows: number, config: ModelConfig): number {
  if (rows === 0) return 0;
  const candidates = [...config.batcher.preferredBatchSize, config.maxBatchSize].sort((a, b) => a - b);
  return candidates.find((size) => size >= rows) ?? rows;
}

function repeatLastRow(array: NDArray, rows: number): NDArray {
  const indices = Array.from({ length: rows }, (_, i) => Math.min(i, array.rows - 1));
  return takeRows(array, indices);
}

// ---------------------------------------------------------------------------------------------------------------
// firstValue

/**
 * Replaces each named input with its first row, so that per-request settings (a temperature, a length) reach the
 * function as single values (PyTriton's `@first_value`). Use it inside {@link batch}, after {@link groupByValues}
 * when different requests may send different values.
 *
 * With `squeezeSingleValues` (the default) a row of one element becomes an array of shape `[]`; otherwise the row
 * keeps its shape without the batch dimension. With `strict` (the default) all rows must be equal. Inputs absent
 * from the batch are left out.
 *
 * @example
 * ```ts
 * const inferFunc = batch(
 *   firstValue('temperature')(({ prompt, temperature }) => generate(prompt!, temperature!.at(0) as number)),
 * );
 * ```
 * @param args - the input names, optionally followed by {@link FirstValueOptions}.
 * @returns a decorator of batched functions.
 * @throws {TritonError} INVALID_ARG when no input name is given; (the wrapped function) INVALID_ARG when strict and
 *   the rows of an input differ; INTERNAL when the requests' model does not batch.
 */
export function firstValue(...args: KeysThenOptions<FirstValueOptions>): BatchedDecorator {
  const { keys, options } = keysAndOptions('firstValue', args);
  const { squeezeSingleValues = true, strict = true } = options;
  return (fn) => async (inputs, context) => {
    if (context.model) batchingConfig('firstValue', context.model);
    const replaced = { ...inputs };
    for (const key of keys) {
      const array = inputs[key];
      if (array) replaced[key] = firstRow(key, array, strict, squeezeSingleValues);
    }
    return fn(replaced, context);
  };
}

function firstRow(name: string, array: NDArray, strict: boolean, squeeze: boolean): NDArray {
  if (array.shape.length > 0 && array.rows === 0) throw invalidArg(`firstValue: input '${name}' has no rows`);
  if (strict) checkRowsEqual(name, array);
  const row = array.sliceRows(0, 1);
  return row.reshape(squeeze && row.size === 1 ? [] : array.shape.slice(1));
}

function checkRowsEqual(name: string, array: NDArray): void {
  const stride = rowStride(array);
  for (let row = 1; row < array.rows; row++) {
    for (let k = 0; k < stride; k++) {
      if (!sameElement(array.data[k]!, array.data[row * stride + k]!)) {
        throw invalidArg(
          `firstValue: input '${name}' differs between rows (row ${row} is not equal to row 0); ` +
            "send the same value in every row, group the batch with groupByValues, or pass { strict: false }",
        );
      }
    }
  }
}

function sameElement(a: number | bigint | Uint8Array, b: number | bigint | Uint8Array): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

// ---------------------------------------------------------------------------------------------------------------
// shared helpers

/** Splits `[...keys, options?]`; throws INVALID_ARG unless at least one non-empty input name is given. */
function keysAndOptions<O extends object>(
  who: string,
  args: KeysThenOptions<O>,
): { keys: string[]; options: Partial<O> } {
  const last: unknown = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null;
  const keys: unknown[] = hasOptions ? args.slice(0, -1) : [...args];
  if (keys.length === 0) throw invalidArg(`${who} needs at least one input name`);
  for (const key of keys) {
    if (typeof key !== 'string' || key === '') {
      throw invalidArg(`${who}: input names must be non-empty strings; got ${JSON.stringify(key)}`);
    }
  }
  return { keys: keys as string[], options: hasOptions ? (last as Partial<O>) : {} };
}

/** Rows of a batch: the first dimension of its first input, 0 when it has no inputs. */
function batchRows(inputs: BatchedInputs): number {
  const first = Object.values(inputs)[0];
  return first ? first.rows : 0;
}

/** Elements per row (per entry of the first dimension). */
function rowStride(array: NDArray): number {
  return elementCount(array.shape.slice(1));
}

/** A new array of the given rows of `array`, in the given order (rows may repeat). */
function takeRows(array: NDArray, rows: readonly number[]): NDArray {
  const taken = NDArray.zeros(array.dtype, [rows.length, ...array.shape.slice(1)]);
  rows.forEach((row, k) => copyRow(array, row, taken, k));
  return taken;
}

function copyRow(from: NDArray, fromRow: number, to: NDArray, toRow: number): void {
  const stride = rowStride(from);
  const target = to.data as unknown as unknown[];
  for (let k = 0; k < stride; k++) target[toRow * stride + k] = from.data[fromRow * stride + k];
}

function mapValues<T, U>(record: Readonly<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return mapEntries(record, (_name, value) => fn(value));
}

function mapEntries<T, U>(record: Readonly<Record<string, T>>, fn: (name: string, value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [name, value] of Object.entries(record)) out[name] = fn(name, value);
  return out;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
