/**
 * Reading a model repository on disk: one folder per model, its versions, its version policy, and a fingerprint
 * that changes whenever a file under the folder does.
 *
 * Layout (docs/deploy.md):
 * ```
 * <repository>/<model>/model.ts             one version, 1
 * <repository>/<model>/<version>/model.ts   numbered versions (Triton's layout)
 * <repository>/<model>/config.json          optional: {"version_policy": ...}
 * ```
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_VERSION_POLICY, parseVersionPolicy, type VersionPolicy } from './version-policy.ts';

/** The module file names a model (or version) folder may hold, in the order they are looked for. */
export const MODULE_NAMES = ['model.ts', 'model.mts', 'model.js', 'model.mjs'] as const;

/** The keys `config.json` may hold. */
const CONFIG_KEYS = ['name', 'version_policy'];

/** What a model folder holds. */
export interface ModelFolder {
  readonly name: string;
  readonly path: string;
  readonly policy: VersionPolicy;
  /** Version → its module file, or the reason it has none. */
  readonly versions: ReadonlyMap<number, { readonly module?: string; readonly problem?: string }>;
}

const VERSION_DIR = /^[1-9][0-9]*$/;

/** The model folders of a repository: its subfolders, except hidden ones. */
export async function listModelNames(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** The module of a folder, undefined when it has none. @throws {Error} when it has several. */
async function findModule(dir: string): Promise<string | undefined> {
  const files = new Set(await readdir(dir));
  const found = MODULE_NAMES.filter((name) => files.has(name));
  if (found.length > 1) throw new Error(`'${dir}' holds ${found.join(' and ')}; keep one model module`);
  return found.length === 1 ? join(dir, found[0]!) : undefined;
}

async function readPolicy(dir: string, name: string): Promise<VersionPolicy> {
  let text: string;
  try {
    text = await readFile(join(dir, 'config.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_VERSION_POLICY;
    throw error;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new Error(`config.json is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new Error('config.json must hold a JSON object');
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `config.json has ${unknown.map((k) => `'${k}'`).join(', ')}; it may hold ${CONFIG_KEYS.join(' and ')} (inputs, outputs and batching belong to the module's binding)`,
    );
  }
  const named = (config as { name?: unknown }).name;
  if (named !== undefined && named !== name) {
    throw new Error(`config.json names the model ${JSON.stringify(named)}, but its folder is '${name}'`);
  }
  return parseVersionPolicy((config as { version_policy?: unknown }).version_policy);
}

/**
 * Reads a model folder: its version policy and, per version, its module.
 * @throws {Error} whose message is the reason the model cannot load (shown in the repository index).
 */
export async function readModelFolder(root: string, name: string): Promise<ModelFolder> {
  const path = join(root, name);
  const policy = await readPolicy(path, name);
  const entries = await readdir(path, { withFileTypes: true });
  const versionDirs = entries.filter((e) => e.isDirectory() && VERSION_DIR.test(e.name)).map((e) => Number(e.name));
  const rootModule = await findModule(path);
  const versions = new Map<number, { module?: string; problem?: string }>();
  if (rootModule && versionDirs.length > 0) {
    throw new Error(
      `holds both a model module and version folders (${versionDirs.join(', ')}); move the module into a version folder`,
    );
  }
  if (rootModule) versions.set(1, { module: rootModule });
  for (const version of versionDirs) {
    try {
      const module = await findModule(join(path, String(version)));
      const problem = `no model module (${MODULE_NAMES.join(', ')}) in version folder ${version}`;
      versions.set(version, module ? { module } : { problem });
    } catch (error) {
      versions.set(version, { problem: (error as Error).message });
    }
  }
  if (versions.size === 0) {
    throw new Error(`holds no model module (${MODULE_NAMES.join(', ')}) and no numbered version folder`);
  }
  return { name, path, policy, versions };
}

/**
 * A fingerprint of every file under a folder (relative path, size, modification time): it changes when a file is
 * added, removed or modified. Hidden files and folders (editors' swap files) are left out.
 */
export async function fingerprint(dir: string): Promise<string> {
  const hash = createHash('sha1');
  const walk = async (current: string, prefix: string): Promise<void> => {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full, `${prefix}${entry.name}/`);
      else {
        const info = await stat(full);
        hash.update(`${prefix}${entry.name}\0${info.size}\0${info.mtimeMs}\n`);
      }
    }
  };
  await walk(dir, '');
  return hash.digest('hex').slice(0, 16);
}
