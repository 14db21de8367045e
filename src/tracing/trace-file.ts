/**
 * Triton-mode trace files: one JSON array per file. Writing is off the request path: a request's trace only
 * queues text; an asynchronous writer writes the queue in order, one file operation at a time. Appends to the
 * plain file are batched (written once the queue holds FLUSH_BYTES or after FLUSH_MS); an indexed file, complete
 * when queued, is written at once. A failing write is logged once and counted, never failing a request; past
 * MAX_PENDING_BYTES (a disk slower than the traces) further traces are dropped, logged once and counted.
 * `close()` writes everything queued.
 *
 * @module
 */

import { appendFile, writeFile } from 'node:fs/promises';
import { log } from '../logger.ts';

/** One object of a Triton trace file (`{"id":1,"timestamps":[…]}` and the like). */
export type TraceObject = Record<string, unknown>;

/** Queued appends are written once they reach this many bytes… */
const FLUSH_BYTES = 64 * 1024;
/** …or this long after the first of them was queued. */
const FLUSH_MS = 1000;
/** Queued text beyond which traces are dropped rather than queued. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** One queued file operation: the whole of an indexed file, or text appended to the plain file. */
interface Write {
  readonly path: string;
  readonly append: boolean;
  text: string;
}

/**
 * The trace file at one path. Indexed writes go to `<path>.<n>` (n from 0), each a complete JSON array;
 * plain writes append to `<path>`, which is opened with `[` on the first write and closed with `]`.
 */
export class TraceFile {
  readonly path: string;
  #nextIndex = 0;
  #opened = false;
  readonly #queue: Write[] = [];
  #pendingBytes = 0;
  #draining: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failedWrites = 0;
  #droppedTraces = 0;
  readonly #maxPendingBytes: number;

  /**
   * @param path - the file path (Triton's `triton,file`).
   * @param options - `maxPendingBytes`: queued text beyond which traces are dropped (64 MiB).
   */
  constructor(path: string, options: { maxPendingBytes?: number } = {}) {
    this.path = path;
    this.#maxPendingBytes = options.maxPendingBytes ?? MAX_PENDING_BYTES;
  }

  /** File operations that failed (each logged once per file, the first time). */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  /** Trace batches dropped because the queue was full. */
  get droppedTraces(): number {
    return this.#droppedTraces;
  }

  /** Queues `objects` as a complete JSON array for the next indexed file, written at once. */
  writeIndexed(objects: readonly TraceObject[]): void {
    const text = JSON.stringify(objects);
    if (!this.#room(text)) return;
    this.#enqueue({ path: `${this.path}.${this.#nextIndex++}`, append: false, text });
    this.#flushSoon(true);
  }

  /** Queues `objects` for the plain file's array. */
  append(objects: readonly TraceObject[]): void {
    if (objects.length === 0) return;
    const text = (this.#opened ? ',' : '[') + objects.map((o) => JSON.stringify(o)).join(',');
    if (!this.#room(text)) return;
    this.#opened = true;
    this.#appendText(text);
  }

  /** Closes the plain file's array, if it was opened, and resolves once everything queued is written. */
  close(): Promise<void> {
    if (this.#opened) this.#appendText(']');
    this.#opened = false;
    return this.flush();
  }

  /** Resolves once everything queued so far is written (or failed). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#draining ??= this.#drain();
    return this.#draining;
  }

  #room(text: string): boolean {
    if (this.#pendingBytes + text.length <= this.#maxPendingBytes) return true;
    if (this.#droppedTraces++ === 0) {
      log.error(
        `trace file ${this.path}: more than ${this.#maxPendingBytes} bytes wait to be written; dropping traces (counted in droppedTraces)`,
      );
    }
    return false;
  }

  #appendText(text: string): void {
    const last = this.#queue.at(-1);
    // A queued append is not yet taken by the writer (it takes an operation off the queue to write it).
    if (last?.append) {
      last.text += text;
      this.#pendingBytes += text.length;
    } else {
      this.#enqueue({ path: this.path, append: true, text });
    }
    this.#flushSoon(this.#pendingBytes >= FLUSH_BYTES);
  }

  #enqueue(write: Write): void {
    this.#queue.push(write);
    this.#pendingBytes += write.text.length;
  }

  #flushSoon(now: boolean): void {
    if (now) void this.flush();
    else if (!this.#timer && !this.#draining) this.#timer = setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Writes the queue in order, one operation at a time, until it is empty. */
  async #drain(): Promise<void> {
    for (let write = this.#queue.shift(); write; write = this.#queue.shift()) {
      try {
        await (write.append ? appendFile(write.path, write.text) : writeFile(write.path, write.text));
      } catch (error) {
        if (this.#failedWrites++ === 0) {
          log.error(
            `cannot write trace file ${write.path}: ${(error as Error).message} (further failures are only counted)`,
          );
        }
      }
      this.#pendingBytes -= write.text.length;
    }
    this.#draining = undefined;
  }
}
