/**
 * Importing a model module from the repository, again when it changed.
 *
 * ES modules are cached by URL for the life of the process, so a changed module is imported under a new URL:
 * `model.ts?v=<fingerprint>`. A resolve hook gives the same query to the relative imports of a module loaded that
 * way (its helpers reload with it), and resolves `ts-triton` to this server's own copy, so a model folder needs no
 * node_modules of its own (`/mnt/models` in a container). Old module versions stay in memory: Node cannot drop a
 * module from its cache (docs/deploy.md).
 *
 * @module
 */

import { registerHooks } from 'node:module';
import { extname, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BindOptions } from '../core/model.ts';

/**
 * What a model module exports as its default export: `triton.bind`'s options. The name and version come from the
 * folders; `modelName` and `modelVersion`, when given, must match them.
 */
export type ModelBinding = Omit<BindOptions, 'modelName' | 'modelVersion'> &
  Partial<Pick<BindOptions, 'modelName' | 'modelVersion'>>;

/** This package's own entry points, in the form it runs from (`.ts` sources, or `.js` once built). */
const EXT = extname(fileURLToPath(import.meta.url));
const SELF: Readonly<Record<string, string>> = {
  'ts-triton': new URL(`../index${EXT}`, import.meta.url).href,
  'ts-triton/client': new URL(`../client/index${EXT}`, import.meta.url).href,
};

let hooked = false;
/** URLs (with a trailing '/') of the model folders imported so far: their relative imports reload with the module. */
const modelFolders = new Set<string>();

/** Installs the resolve hook once per process. */
function installHooks(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const self = SELF[specifier];
      if (self) return nextResolve(self, context);
      const resolved = nextResolve(specifier, context);
      const parent = context.parentURL;
      if (!parent?.includes('?v=') || !specifier.startsWith('.') || resolved.url.includes('?')) return resolved;
      if (![...modelFolders].some((folder) => resolved.url.startsWith(folder))) return resolved;
      return { ...resolved, url: `${resolved.url}${new URL(parent).search}` };
    },
  });
}

/**
 * Imports a model module and returns its binding, checked for shape (`bind` checks the rest).
 * @param file - the module's path.
 * @param folder - the model's folder: relative imports under it reload with the module.
 * @param stamp - changes whenever the model's folder does, so that a changed module is imported anew.
 * @throws {Error} whose message says what the module lacks, or the module's own error.
 */
export async function importBinding(file: string, folder: string, stamp: string): Promise<ModelBinding> {
  installHooks();
  modelFolders.add(pathToFileURL(folder + sep).href);
  const module = (await import(`${pathToFileURL(file).href}?v=${stamp}`)) as { default?: unknown };
  const binding = module.default;
  if (binding === undefined) {
    throw new Error(
      `${file.split(sep).slice(-2).join('/')} has no default export; export default { inferFunc, inputs, outputs }`,
    );
  }
  if (typeof binding !== 'object' || binding === null || Array.isArray(binding)) {
    const got = typeof binding === 'function' ? 'a function' : JSON.stringify(binding);
    throw new Error(
      `the default export must be the binding object { inferFunc, inputs, outputs, config? }; got ${got}`,
    );
  }
  return binding as ModelBinding;
}
