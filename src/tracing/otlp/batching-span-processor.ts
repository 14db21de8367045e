/**
 * The span processor of ts-triton's export pipeline: the OpenTelemetry batch span processor's behaviour
 * (Triton's `bsp_max_queue_size`, `bsp_schedule_delay`, `bsp_max_export_batch_size`) over {@link SpanBatch}es,
 * so recorded spans are encoded when they end instead of being held as objects until their export.
 *
 * - A batch is exported as soon as it holds `maxExportBatchSize` spans, or `scheduledDelayMillis` after its
 *   first span, whichever comes first; one export runs at a time, except that a flush sends every batch at
 *   once.
 * - At most `maxQueueSize` spans wait (the batch being exported not counted); a span beyond is dropped and
 *   reported through `onDropped`.
 * - Spans whose context is not sampled are ignored, and so is everything after shutdown.
 *
 * @module
 */

import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { RecordedSpan } from './recorded-span.ts';
import type { SpanBatch, SpanEntries } from './span-batch.ts';
import type { Scope } from './otlp-fields.ts';

/** Options of {@link BatchingSpanProcessor}. */
export interface BatchingSpanProcessorOptions {
  /** Most spans waiting for export (`bsp_max_queue_size`); more are dropped. */
  readonly maxQueueSize: number;
  /** Spans per export (`bsp_max_export_batch_size`). */
  readonly maxExportBatchSize: number;
  /** Longest wait before a partial batch is exported (`bsp_schedule_delay`). */
  readonly scheduledDelayMillis: number;
  /** A new, empty batch (sized for `maxExportBatchSize` spans). */
  readonly newBatch: () => SpanBatch;
  /** Exports a batch; settles when the export is over, whatever its outcome. */
  readonly exportBatch: (batch: SpanBatch) => Promise<void>;
  /** Called with the number of spans dropped because the queue is full. */
  readonly onDropped: (count: number) => void;
  /** Called once after the last export, on shutdown. */
  readonly onShutdown: () => Promise<void>;
  /**
   * Called when a span that ended could not be added (it is dropped; the batch keeps its other spans).
   * Without it, the error is thrown to whoever ended the span.
   */
  readonly onError?: (error: unknown) => void;
}

/** Batches ended spans and exports them (see the module comment). */
export class BatchingSpanProcessor implements SpanProcessor {
  readonly #options: BatchingSpanProcessorOptions;
  #open: SpanBatch | undefined;
  readonly #full: SpanBatch[] = [];
  /** Spans waiting (in `#open` and `#full`). */
  #queued = 0;
  #exporting: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #shutdown: Promise<void> | undefined;

  constructor(options: BatchingSpanProcessorOptions) {
    this.#options = options;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#shutdown !== undefined || !isSampled(span)) return;
    if (this.#queued >= this.#options.maxQueueSize) {
      this.#options.onDropped(1);
      return;
    }
    try {
      this.#open ??= this.#options.newBatch();
      this.#open.add(span);
    } catch (error) {
      // A span ends in model code too (span.end()): a failure to encode it must not reach that code.
      const onError = this.#options.onError;
      if (onError === undefined) throw error;
      onError(error);
      return;
    }
    this.#added(1);
  }

  /**
   * Queues spans that write their own entries (in the pipeline's scope, or in `scope`), as many as the queue has
   * room for (the rest are dropped).
   * @throws what writing them throws (the request's trace guard catches it); the batch keeps its other spans.
   */
  onEndEntries(entries: SpanEntries, scope?: Scope): void {
    if (this.#shutdown !== undefined) return;
    const count = entries.spanCount;
    const { maxQueueSize, maxExportBatchSize } = this.#options;
    for (let written = 0; written < count;) {
      if (this.#queued >= maxQueueSize) {
        this.#options.onDropped(count - written);
        return;
      }
      this.#open ??= this.#options.newBatch();
      const n = Math.min(count - written, maxExportBatchSize - this.#open.count, maxQueueSize - this.#queued);
      this.#open.addEntries(entries, written, n, scope);
      written += n;
      this.#added(n);
    }
  }

  /** Exports every waiting span now (the batches side by side) and waits for the export in flight too. */
  async forceFlush(): Promise<void> {
    this.#close();
    const batches = this.#full.splice(0);
    for (const batch of batches) this.#queued -= batch.count;
    const exports = batches.map((batch) => this.#options.exportBatch(batch).catch(() => undefined));
    await Promise.all([this.#exporting, ...exports]);
  }

  /** Exports every waiting span, then ignores new ones and shuts the exporter down. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.forceFlush().then(() => {
      clearTimeout(this.#timer);
      return this.#options.onShutdown();
    });
    return this.#shutdown;
  }

  /** Counts `count` spans just added to the open batch, closing it when full. */
  #added(count: number): void {
    this.#queued += count;
    if (this.#open!.count >= this.#options.maxExportBatchSize) this.#close();
    this.#next();
  }

  /** Moves the open batch to the full ones. */
  #close(): void {
    if (this.#open === undefined) return;
    this.#full.push(this.#open);
    this.#open = undefined;
  }

  /** Starts the next export when one is due and none is running; otherwise makes sure a timer is set. */
  #next(): void {
    if (this.#exporting !== undefined) return;
    if (this.#full.length > 0) {
      this.#exportFirst();
      return;
    }
    if (this.#open === undefined || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#close();
      this.#next();
    }, this.#options.scheduledDelayMillis);
    this.#timer.unref();
  }

  #exportFirst(): void {
    const batch = this.#full.shift()!;
    this.#queued -= batch.count;
    const done = (): void => {
      this.#exporting = undefined;
      this.#next();
    };
    this.#exporting = this.#options.exportBatch(batch).then(done, done);
  }
}

/** Recorded spans are always sampled (and building their span context costs); SDK spans say. */
function isSampled(span: ReadableSpan): boolean {
  return span instanceof RecordedSpan || (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}
