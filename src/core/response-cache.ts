/**
 * The response cache: results of models with `responseCache: true`, keyed by a hash of the model, version,
 * requested outputs and every input's name, datatype, shape and bytes; least recently used entries are evicted
 * to stay within the configured size.
 *
 * @module
 */

import { createHash, type Hash } from 'node:crypto';
import type { InferenceRequest, InferenceResult } from './inference-request.ts';
import { NDArray } from '../tensor/ndarray.ts';

const ENTRY_OVERHEAD_BYTES = 256;

function hashArray(hash: Hash, array: NDArray): void {
  hash.update(`${array.dtype}[${array.shape.join(',')}]`);
  if (Array.isArray(array.data)) {
    const length = Buffer.alloc(4);
    for (const element of array.data) {
      length.writeUInt32LE(element.length);
      hash.update(length).update(element);
    }
  } else {
    const data = array.data;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
}

/** The cache key of a request to `version` of its model. */
export function cacheKey(request: InferenceRequest, version: number): string {
  const hash = createHash('sha256');
  hash.update(`${request.modelName}\0${version}\0${(request.requestedOutputs ?? []).join('\0')}\0`);
  for (const name of Object.keys(request.inputs).sort()) {
    hash.update(`${name}\0`);
    hashArray(hash, request.inputs[name]!);
  }
  return hash.digest('base64');
}

function resultBytes(result: InferenceResult): number {
  let bytes = ENTRY_OVERHEAD_BYTES;
  for (const { array } of result.outputs) {
    bytes += Array.isArray(array.data) ? array.data.reduce((n, b) => n + b.length + 4, 0) : array.data.byteLength;
  }
  return bytes;
}

/** A copy of `array` that owns its memory (outputs can be views on a request's body, which must not be kept). */
function ownedCopy(array: NDArray): NDArray {
  const data = Array.isArray(array.data) ? array.data.map((b) => b.slice()) : array.data.slice();
  return new NDArray(array.dtype, data as NDArray['data'], array.shape);
}

/** A size-bounded LRU of results. */
export class ResponseCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, { result: InferenceResult; bytes: number }>();
  #used = 0;

  /** @param capacityBytes - the most bytes of results kept. */
  constructor(capacityBytes: number) {
    this.#capacity = capacityBytes;
  }

  /** Bytes in use. */
  get usedBytes(): number {
    return this.#used;
  }

  /** The cached result for `key`, made most recently used. */
  get(key: string): InferenceResult | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.result;
  }

  /**
   * Stores a copy of a result (so it holds no request's memory), evicting the least recently used ones as
   * needed; a result larger than the cache is not stored.
   */
  put(key: string, result: InferenceResult): void {
    const bytes = resultBytes(result);
    if (bytes > this.#capacity) return;
    const owned = { ...result, outputs: result.outputs.map((o) => ({ name: o.name, array: ownedCopy(o.array) })) };
    const previous = this.#entries.get(key);
    if (previous) {
      this.#used -= previous.bytes;
      this.#entries.delete(key);
    }
    while (this.#used + bytes > this.#capacity) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#used -= entry.bytes;
    }
    this.#entries.set(key, { result: owned, bytes });
    this.#used += bytes;
  }
}
