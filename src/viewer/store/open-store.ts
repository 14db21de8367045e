/**
 * Opens the store a `store` setting names: `memory` (the default) or `sqlite:<path>`, whose module (and
 * node:sqlite) is loaded only when asked for.
 *
 * @module
 */

import { MemoryStore } from './memory-store.ts';
import type { TraceStore } from './trace-store.ts';

/** Bounds every store takes. */
export interface StoreLimits {
  readonly maxSpans: number;
  readonly maxBytes: number;
}

/**
 * Opens the store named by `spec`.
 * @throws {Error} for an unknown kind, or when the SQLite file cannot be opened.
 */
export async function openStore(spec: string, limits: StoreLimits): Promise<TraceStore> {
  if (spec === 'memory') return new MemoryStore(limits);
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length) {
    const { SqliteStore } = await import('./sqlite-store.ts');
    return new SqliteStore({ path: spec.slice('sqlite:'.length), ...limits });
  }
  throw new Error(`unknown trace store '${spec}'; use 'memory' or 'sqlite:<path>'`);
}
