/**
 * Spans recorded in worker instances, encoded there: the main thread adds their entries to its export batches
 * as they are, in their instrumentation scope, with their ids unchanged (so they stay parented as recorded).
 *
 * @module
 */

import type { EncodedSpans } from '../core/trace-hooks.ts';
import type { BatchingSpanProcessor } from './otlp/batching-span-processor.ts';
import type { Scope } from './otlp/otlp-fields.ts';
import type { ProtoWriter } from '../wire/proto-writer.ts';
import type { SpanEntries } from './otlp/span-batch.ts';

/** Most distinct scopes remembered (beyond, a scope object is made per message). */
const MAX_SCOPES = 256;

/** A worker's encoded spans of one scope, as entries the batches copy. */
class EncodedEntries implements SpanEntries {
  readonly #bytes: Uint8Array;
  readonly #ends: Uint32Array;

  constructor({ bytes, ends }: EncodedSpans) {
    this.#bytes = bytes;
    this.#ends = ends;
  }

  get spanCount(): number {
    return this.#ends.length;
  }

  writeEntries(writer: ProtoWriter, first: number, count: number): void {
    const start = first === 0 ? 0 : this.#ends[first - 1]!;
    writer.raw(this.#bytes.subarray(start, this.#ends[first + count - 1]!));
  }
}

/**
 * A sink for {@link EncodedSpans} that feeds `processor`. Scopes are shared by name, version and schema URL
 * (`ownScope`, the pipeline's own, included), so that each batch groups a scope's spans once. A failure to add
 * them goes to `onError`, never to the batch of requests that brought them.
 */
export function remoteSpanSink(
  processor: Pick<BatchingSpanProcessor, 'onEndEntries'>,
  ownScope: Scope,
  onError: (error: unknown) => void,
): (spans: readonly EncodedSpans[]) => void {
  const keyOf = (scope: EncodedSpans['scope']): string =>
    `${scope.name}\0${scope.version ?? ''}\0${scope.schemaUrl ?? ''}`;
  const scopes = new Map<string, Scope>([[keyOf(ownScope), ownScope]]);
  const scopeOf = (data: EncodedSpans['scope']): Scope => {
    let scope = scopes.get(keyOf(data));
    if (!scope) {
      scope = Object.freeze({
        name: data.name,
        ...(data.version && { version: data.version }),
        ...(data.schemaUrl && { schemaUrl: data.schemaUrl }),
      });
      if (scopes.size < MAX_SCOPES) scopes.set(keyOf(data), scope);
    }
    return scope;
  };
  return (spans) => {
    for (const data of spans) {
      try {
        processor.onEndEntries(new EncodedEntries(data), scopeOf(data.scope));
      } catch (error) {
        onError(error);
      }
    }
  };
}
