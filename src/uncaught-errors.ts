/**
 * The server's policy for errors nothing handled: a promise rejected without a handler, or an exception thrown
 * where nothing catches it (a timer's callback, an event listener). Node ends the process for either by
 * default; while a server runs, ts-triton logs the error (naming the model whose code it came from, when
 * known), counts it, and keeps serving: one model's mistake must not take every other request down.
 *
 * @module
 */

import { currentModelName } from './core/model-scope.ts';
import { log } from './logger.ts';

/** What went unhandled: a rejected promise, or a thrown exception. */
export type UnhandledKind = 'rejection' | 'exception';

const counts = new Map<string, { kind: UnhandledKind; model: string; count: number }>();
let installs = 0;

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}

function record(kind: UnhandledKind, error: unknown): void {
  const model = currentModelName() ?? '';
  const key = `${kind}\u0000${model}`;
  const entry = counts.get(key);
  if (entry) entry.count++;
  else counts.set(key, { kind, model, count: 1 });
  const what = kind === 'rejection' ? 'unhandled promise rejection' : 'uncaught exception';
  const where = model ? `in the code of model '${model}'` : 'outside model code';
  log.error(
    `${what} ${where} (counted in ts_triton_unhandled_errors_total; the server keeps serving): ${describe(error)}`,
  );
}

const onRejection = (reason: unknown): void => record('rejection', reason);
const onException = (error: unknown): void => record('exception', error);

/**
 * Installs the policy (once per process, however many servers run) until every returned uninstall has been
 * called.
 * @returns removes this install; the listeners go once the last install is removed.
 */
export function installUnhandledErrorPolicy(): () => void {
  if (installs++ === 0) {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--installs === 0) {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    }
  };
}

/** Errors counted so far in this process, by kind and model ('' when it came from no model's code). */
export function unhandledErrorCounts(): { kind: UnhandledKind; model: string; count: number }[] {
  return [...counts.values()].map((entry) => ({ ...entry }));
}
