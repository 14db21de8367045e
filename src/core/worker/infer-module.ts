/**
 * An infer function given as a module and an export name, so that a worker thread can load it (functions
 * cannot be posted between threads).
 *
 * @module
 */

import { pathToFileURL } from 'node:url';
import { invalidArg } from '../../errors.ts';

const INFER_MODULE = Symbol.for('ts-triton.inferModule');

/** An infer function named by its module and export (see {@link inferModule}). */
export interface InferModule {
  /** The module's URL (`file:` URL string). */
  readonly module: string;
  /** The name of the export holding the infer function. */
  readonly exportName: string;
  /** The function itself, when given (main-thread instances then call it instead of importing the module). */
  readonly local: ((...args: never[]) => unknown) | undefined;
  readonly [INFER_MODULE]: true;
}

/**
 * Names an infer function by its module and export, so that worker instances can load it.
 * @param module - the module: a `file:` URL (`import.meta.url`), a URL object or an absolute path.
 * @param exported - the export holding the infer function: its name, or `{ name }` (the function under its
 *   export name), which main-thread instances call directly. A module that binds its own export must use the
 *   second form: it cannot import itself while it is still starting the server. @default 'default'
 * @example inferFunc: inferModule(import.meta.url, { passthrough })
 * @example inferFunc: inferModule(new URL('./model.ts', import.meta.url), 'infer')
 * @throws {TritonError} INVALID_ARG when the module is not a `file:` URL or absolute path, or the export is not
 *   a name or an object of one function.
 */
export function inferModule(
  module: string | URL,
  exported: string | Readonly<Record<string, (...args: never[]) => unknown>> = 'default',
): InferModule {
  let exportName: string;
  let local: ((...args: never[]) => unknown) | undefined;
  if (typeof exported === 'object' && exported !== null) {
    const entries = Object.entries(exported);
    if (entries.length !== 1 || typeof entries[0]![1] !== 'function') {
      throw invalidArg('inferModule: the export must be a name or an object holding one function ({ passthrough })');
    }
    [exportName, local] = entries[0]!;
  } else exportName = exported;
  const url = module instanceof URL ? module : URL.canParse(module) ? new URL(module) : pathToFileURL(module);
  if (url.protocol !== 'file:') {
    throw invalidArg(
      `inferModule: module must be a file: URL (import.meta.url) or an absolute path; got ${String(module)}`,
    );
  }
  if (typeof exportName !== 'string' || exportName === '') {
    throw invalidArg(`inferModule: exportName must be a non-empty string; got ${JSON.stringify(exportName)}`);
  }
  return Object.freeze({ module: url.href, exportName, local, [INFER_MODULE]: true as const });
}

/** Whether `value` was made by {@link inferModule}. */
export function isInferModule(value: unknown): value is InferModule {
  return typeof value === 'object' && value !== null && (value as Partial<InferModule>)[INFER_MODULE] === true;
}

/**
 * Imports the module and returns its infer function.
 * @throws {TritonError} INVALID_ARG naming the module and export when the export is not a function.
 */
export async function loadInferFunc(module: string, exportName: string): Promise<(...args: never[]) => unknown> {
  const loaded = (await import(module)) as Record<string, unknown>;
  const fn = loaded[exportName];
  if (typeof fn !== 'function') {
    throw invalidArg(
      `inferModule: export '${exportName}' of ${module} must be the infer function; it is ${fn === undefined ? 'missing' : `a ${typeof fn}`}`,
    );
  }
  return fn as (...args: never[]) => unknown;
}
