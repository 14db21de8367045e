/**
 * The response cache setting (Triton's `--cache-config <cache>,<setting>=<value>`).
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** The parsed cache setting: the size of the local cache in bytes, or 0 when no cache is configured. */
export interface CacheConfig {
  readonly localSizeBytes: number;
}

/**
 * Parses `TritonConfig.cacheConfig` entries such as `local,size=1048576`.
 * @throws {TritonError} INVALID_ARG naming the entry and what is expected.
 */
export function parseCacheConfig(entries: readonly string[]): CacheConfig {
  let localSizeBytes = 0;
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    const equals = entry.indexOf('=', comma + 1);
    if (comma <= 0 || equals < 0) {
      throw invalidArg(`TritonConfig.cacheConfig entries have the form '<cache>,<setting>=<value>'; got '${entry}'`);
    }
    const cache = entry.slice(0, comma);
    const setting = entry.slice(comma + 1, equals);
    const value = entry.slice(equals + 1);
    if (cache !== 'local')
      throw invalidArg(`TritonConfig.cacheConfig: only the 'local' cache is supported; got '${cache}'`);
    if (setting !== 'size')
      throw invalidArg(`TritonConfig.cacheConfig: the local cache has one setting, 'size'; got '${setting}'`);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw invalidArg(`TritonConfig.cacheConfig: local,size must be a number of bytes; got '${value}'`);
    }
    localSizeBytes = Number(value);
  }
  return Object.freeze({ localSizeBytes });
}
