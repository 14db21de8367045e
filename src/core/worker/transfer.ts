/**
 * How tensors cross between the main thread and worker instances: arrays travel with their memory transferred
 * (moved, not copied) when it is theirs alone; otherwise their bytes are copied once into fresh memory, which is
 * moved. Errors and response parameters travel as plain data.
 *
 * @module
 */

import { isMarkedAsUntransferable, type Transferable } from 'node:worker_threads';
import { type ErrorCode, TritonError } from '../../errors.ts';
import { TensorError } from '../../tensor/tensor-error.ts';
import { NDArray } from '../../tensor/ndarray.ts';
import { type InferResponse, type Parameters, responseParameters, withParameters } from '../request.ts';

/**
 * Memory that belongs to one request alone (a request body the HTTP frontend assembled in memory of its own):
 * it can be moved to a worker, since nothing else reads it once the request is dispatched.
 */
const requestOwned = new WeakSet<ArrayBufferLike>();

/** Marks `memory` as belonging to one request only, so that a worker instance can take it without a copy. */
export function markRequestOwned(memory: ArrayBufferLike): void {
  requestOwned.add(memory);
}

/** An NDArray as posted between threads (class instances lose their prototype on the way). */
export interface WireArray {
  readonly dtype: NDArray['dtype'];
  readonly shape: readonly number[];
  readonly data: NDArray['data'];
}

/** Collects the memory to transfer with one message. */
export class TransferList {
  readonly list: Transferable[] = [];
  readonly #seen = new Set<ArrayBufferLike>();

  /** Adds `memory` unless it is shared, already listed or must not be moved (Node's pooled buffers). */
  add(memory: ArrayBufferLike): boolean {
    if (this.#seen.has(memory)) return true;
    if (!(memory instanceof ArrayBuffer) || memory.detached || isMarkedAsUntransferable(memory)) return false;
    this.#seen.add(memory);
    this.list.push(memory);
    return true;
  }
}

/**
 * A request's input for posting to a worker: its memory is moved when the request owns it (or it is shared);
 * otherwise the array's own bytes are copied into fresh memory, which is moved (structured cloning would copy the
 * whole underlying buffer, which can be a request body holding every input, or Node's shared buffer pool).
 */
export function inputToWire(array: NDArray, transfer: TransferList): WireArray {
  const data = array.data;
  if (Array.isArray(data)) {
    const elements = data as Uint8Array[];
    const owned = elements.every((element) => requestOwned.has(element.buffer));
    return {
      dtype: array.dtype,
      shape: array.shape,
      data: owned ? moveAll(elements, transfer) : packed(elements, transfer),
    };
  }
  if (data.buffer instanceof SharedArrayBuffer) return array;
  if (requestOwned.has(data.buffer) && transfer.add(data.buffer)) return array;
  const copy = data.slice() as typeof data;
  transfer.add(copy.buffer);
  return { dtype: array.dtype, shape: array.shape, data: copy };
}

/**
 * BYTES elements whose memory is all the request's own, with that memory moved (copied by {@link packed} instead
 * if some of it cannot be moved; memory already listed stays listed, which only detaches the request's own).
 */
function moveAll(elements: Uint8Array[], transfer: TransferList): Uint8Array[] {
  for (const element of elements) if (!transfer.add(element.buffer)) return packed(elements, transfer);
  return elements;
}

/**
 * BYTES elements copied into one fresh buffer, which is moved: posted as they are, the structured clone would copy
 * each element's whole underlying buffer (for a view into a request body or a gRPC message, all of it).
 */
function packed(elements: readonly Uint8Array[], transfer: TransferList): Uint8Array[] {
  let total = 0;
  for (const element of elements) total += element.byteLength;
  const memory = new Uint8Array(total);
  let at = 0;
  const views = elements.map((element) => {
    memory.set(element, at);
    const view = memory.subarray(at, at + element.byteLength);
    at += element.byteLength;
    return view;
  });
  transfer.add(memory.buffer);
  return views;
}

/** An output value for posting back from a worker: its memory is moved (the worker hands its outputs over). */
export function outputToWire(value: unknown, transfer: TransferList): unknown {
  if (value instanceof NDArray) {
    const data = Array.isArray(value.data) ? packed(value.data as Uint8Array[], transfer) : value.data;
    if (!Array.isArray(data)) transfer.add(data.buffer);
    return { dtype: value.dtype, shape: value.shape, data, [WIRE_NDARRAY]: true };
  }
  if (ArrayBuffer.isView(value)) transfer.add(value.buffer);
  return value;
}

const WIRE_NDARRAY = '__ndarray';

/** An NDArray again, from its posted form. */
export function fromWire(array: WireArray): NDArray {
  return new NDArray(array.dtype, array.data, array.shape);
}

/** One entry of a posted batch outcome: a response (outputs and parameters) or an error. */
export type WireOutcome =
  | { readonly outputs: Record<string, unknown>; readonly parameters?: Parameters }
  | { readonly error: WireError }
  | undefined;

/** An error as posted between threads. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: ErrorCode | undefined;
}

/** An error for posting (a TritonError keeps its code; the tensor layer's error is posted as INVALID_ARG). */
export function errorToWire(thrown: unknown): WireError {
  if (!(thrown instanceof Error)) return { name: 'Error', message: String(thrown) };
  const error = thrown instanceof TensorError ? TritonError.from(thrown) : thrown;
  return { name: error.name, message: error.message, stack: error.stack, code: (error as Partial<TritonError>).code };
}

/** The error again, from its posted form: a TritonError when it had a code. */
export function errorFromWire(wire: WireError): Error {
  const error = wire.code ? new TritonError(wire.code, wire.message) : new Error(wire.message);
  if (!wire.code) error.name = wire.name;
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/** A response, error or `undefined` returned by model code, for posting back. */
export function outcomeToWire(outcome: unknown, transfer: TransferList): WireOutcome {
  if (outcome === undefined || outcome === null) return undefined;
  if (outcome instanceof Error) return { error: errorToWire(outcome) };
  if (typeof outcome !== 'object') return { outputs: outcome as never };
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(outcome)) outputs[name] = outputToWire(value, transfer);
  const parameters = responseParameters(outcome as InferResponse);
  return parameters ? { outputs, parameters } : { outputs };
}

/** What model code returned, again: a response (with its parameters), an Error or undefined. */
export function outcomeFromWire(wire: WireOutcome): InferResponse | Error | undefined {
  if (wire === undefined) return undefined;
  if ('error' in wire) return errorFromWire(wire.error);
  if (typeof wire.outputs !== 'object' || wire.outputs === null) return wire.outputs;
  const response: InferResponse = {};
  for (const [name, value] of Object.entries(wire.outputs)) {
    const isArray = typeof value === 'object' && value !== null && (value as Record<string, unknown>)[WIRE_NDARRAY];
    response[name] = isArray ? fromWire(value as WireArray) : (value as InferResponse[string]);
  }
  return wire.parameters ? withParameters(response, wire.parameters) : response;
}
