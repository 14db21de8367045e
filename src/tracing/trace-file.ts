/**
 * Triton-mode trace files: one JSON array per file, written as traces are collected.
 *
 * @module
 */

import { appendFileSync, writeFileSync } from 'node:fs';
import { log } from '../logger.ts';

/** One object of a Triton trace file (`{"id":1,"timestamps":[…]}` and the like). */
export type TraceObject = Record<string, unknown>;

/**
 * The trace file at one path. Indexed writes go to `<path>.<n>` (n from 0), each a complete JSON array;
 * plain writes append to `<path>`, which is opened with `[` on the first write and closed with `]`.
 */
export class TraceFile {
  readonly path: string;
  #nextIndex = 0;
  #opened = false;

  /** @param path - the file path (Triton's `triton,file`). */
  constructor(path: string) {
    this.path = path;
  }

  /** Writes `objects` as a complete JSON array to the next indexed file. */
  writeIndexed(objects: readonly TraceObject[]): void {
    this.#write(() => writeFileSync(`${this.path}.${this.#nextIndex++}`, JSON.stringify(objects)));
  }

  /** Appends `objects` to the plain file's array. */
  append(objects: readonly TraceObject[]): void {
    if (objects.length === 0) return;
    const text = objects.map((o) => JSON.stringify(o)).join(',');
    this.#write(() => appendFileSync(this.path, (this.#opened ? ',' : '[') + text));
    this.#opened = true;
  }

  /** Closes the plain file's array, if it was opened. */
  close(): void {
    if (this.#opened) this.#write(() => appendFileSync(this.path, ']'));
    this.#opened = false;
  }

  #write(write: () => void): void {
    try {
      write();
    } catch (error) {
      log.error(`cannot write trace file ${this.path}: ${(error as Error).message}`);
    }
  }
}
