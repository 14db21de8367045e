/**
 * One export's worth of ended spans. A span ts-triton recorded is encoded as it joins (its bytes are written
 * while they are still in cache, and the span object can be collected young); so is a span of the
 * OpenTelemetry SDK (one model code opened through the OpenTelemetry API), grouped by its scope. An SDK span of
 * another resource (not the pipeline's) is kept and serialized by the SDK's serializer at export. Each part is
 * an `ExportTraceServiceRequest` message, and a protobuf message followed by another is their merge, so one
 * export request carries them all.
 *
 * @module
 */

import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ReadableSpanGroups, type SpanEntries } from './encode-readable-spans.ts';
import type { Scope } from './otlp-fields.ts';
import { type ExportEnvelope, writeSpanEntry } from './encode-recorded-spans.ts';
import { ProtoWriter } from '../../wire/proto-writer.ts';
import { RecordedSpan } from './recorded-span.ts';

/** Bytes reserved per expected span (a traced request's spans average about 200). */
const BYTES_PER_SPAN = 256;
const MAX_INITIAL_BYTES = 1 << 20;
/** Writers kept for reuse: enough for the export in flight, the batches waiting and a flush. */
const MAX_POOLED_WRITERS = 4;

/**
 * The writers of exported batches, kept for the next batches. A batch's buffer is off-heap memory; allocated
 * anew for every export, it counts toward V8's external memory and brings garbage collections forward, so
 * small batches cost measurably more per traced request, all of it in the collector (docs/performance.md,
 * "Figures behind design choices").
 */
export class WriterPool {
  readonly #initialSize: number;
  readonly #free: ProtoWriter[] = [];

  /** @param expectedSpans - how many spans a batch will likely hold (sizes new buffers). */
  constructor(expectedSpans: number) {
    this.#initialSize = Math.min(Math.max(expectedSpans, 4) * BYTES_PER_SPAN, MAX_INITIAL_BYTES);
  }

  /** An empty writer. */
  take(): ProtoWriter {
    const writer = this.#free.pop();
    if (writer === undefined) return new ProtoWriter(this.#initialSize);
    writer.reset();
    return writer;
  }

  /** Gives back a writer whose bytes are no longer used. */
  give(writer: ProtoWriter): void {
    if (this.#free.length < MAX_POOLED_WRITERS) this.#free.push(writer);
  }
}

export type { SpanEntries };

/** Spans waiting to be exported together. */
export class SpanBatch {
  readonly #envelope: ExportEnvelope;
  readonly #pool: WriterPool;
  readonly #entries: ProtoWriter;
  readonly #sdkSpans: ReadableSpanGroups;
  readonly #others: ReadableSpan[] = [];
  /** How many spans the batch holds. */
  count = 0;
  /** The encoded request, once made (null: not yet). */
  #encoded: Uint8Array | undefined | null = null;

  /**
   * @param envelope - the resource and scope of the recorded spans.
   * @param pool - where the batch takes its writer from, and gives it back to on {@link SpanBatch.release}.
   */
  constructor(envelope: ExportEnvelope, pool: WriterPool) {
    this.#envelope = envelope;
    this.#pool = pool;
    this.#entries = pool.take();
    envelope.open(this.#entries);
    this.#sdkSpans = new ReadableSpanGroups(envelope, pool);
  }

  /** Gives the batch's buffer back for reuse: the batch and what `encode` returned must not be used after. */
  release(): void {
    this.#pool.give(this.#entries);
    this.#sdkSpans.release();
  }

  /** Adds an ended span. On a throw, nothing of it stays in the batch. */
  add(span: ReadableSpan): void {
    if (span instanceof RecordedSpan) {
      const mark = this.#entries.pos;
      try {
        writeSpanEntry(this.#entries, span);
      } catch (error) {
        this.#entries.pos = mark;
        throw error;
      }
    } else if (!this.#sdkSpans.add(span)) this.#others.push(span);
    this.count++;
  }

  /**
   * Adds `count` spans, from `first`, of spans that write their own entries: in the pipeline's scope, or in
   * `scope`'s. On a throw, none of them stays.
   */
  addEntries(entries: SpanEntries, first: number, count: number, scope?: Scope): void {
    if (scope !== undefined) {
      this.#sdkSpans.addEntries(scope, entries, first, count);
      this.count += count;
      return;
    }
    const mark = this.#entries.pos;
    try {
      entries.writeEntries(this.#entries, first, count);
    } catch (error) {
      this.#entries.pos = mark;
      throw error;
    }
    this.count += count;
  }

  /** The batch as one `ExportTraceServiceRequest`, or undefined when it is empty (the same bytes each call). */
  encode(): Uint8Array | undefined {
    if (this.#encoded === null) this.#encoded = this.#encodeOnce();
    return this.#encoded;
  }

  #encodeOnce(): Uint8Array | undefined {
    const parts: Uint8Array[] = [];
    if (this.#envelope.hasEntries(this.#entries)) parts.push(this.#envelope.close(this.#entries));
    const sdkSpans = this.#sdkSpans.encode();
    if (sdkSpans !== undefined) parts.push(sdkSpans);
    if (this.#others.length > 0) {
      const others = ProtobufTraceSerializer.serializeRequest(this.#others);
      if (others !== undefined) parts.push(others);
    }
    return parts.length <= 1 ? parts[0] : Buffer.concat(parts);
  }
}
