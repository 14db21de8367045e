/**
 * Small helpers shared by the decorators: records, grouping, argument parsing, the model's batching config.
 *
 * @module
 */

import { ErrorCode, TritonError, invalidArg } from '../../errors.ts';
import type { ModelConfig } from '../model-config.ts';
import type { ModelInfo } from '../request.ts';
import type { KeysThenOptions } from './types.ts';

/** A record with the same keys and each value mapped by `fn`. */
export function mapValues<T, U>(record: Readonly<Record<string, T>>, fn: (value: T) => U): Record<string, U> {
  return mapEntries(record, (_name, value) => fn(value));
}

/** A record with the same keys and each value mapped by `fn`, which also receives the key. */
export function mapEntries<T, U>(
  record: Readonly<Record<string, T>>,
  fn: (name: string, value: T) => U,
): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [name, value] of Object.entries(record)) out[name] = fn(name, value);
  return out;
}

/** The sum of `values`; 0 when empty. */
export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The keys of a record (input or output names), sorted. */
export function sortedKeys(record: object): string[] {
  return Object.keys(record).sort();
}

/** One string for a list of names (joined with U+0000), to compare or group lists of names. */
export function namesId(names: readonly string[]): string {
  return names.join('\u0000');
}

/** Indices 0..count-1 grouped by key, groups in order of first appearance, indices ascending within a group. */
export function groupIndices(count: number, keyOf: (index: number) => string): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(i);
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  return [...groups.values()];
}

/** Splits `[...keys, options?]`; throws INVALID_ARG unless at least one non-empty input name is given. */
export function keysAndOptions<O extends object>(
  who: string,
  args: KeysThenOptions<O>,
): { keys: string[]; options: Partial<O> } {
  const last: unknown = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null;
  const keys: unknown[] = hasOptions ? args.slice(0, -1) : [...args];
  if (keys.length === 0) throw invalidArg(`${who} needs at least one input name`);
  for (const key of keys) {
    if (typeof key !== 'string' || key === '') {
      throw invalidArg(`${who}: input names must be non-empty strings; got ${JSON.stringify(key)}`);
    }
  }
  return { keys: keys as string[], options: hasOptions ? (last as Partial<O>) : {} };
}

/** The config of the model, which must be known and batch; throws INTERNAL naming `who` otherwise. */
export function batchingConfig(who: string, model: ModelInfo | undefined): ModelConfig {
  if (!model) {
    throw new TritonError(ErrorCode.INTERNAL, `${who} needs the model's config, but the requests carry no model`);
  }
  if (!model.config.batching) {
    throw new TritonError(ErrorCode.INTERNAL, `${who} needs a batching model; model '${model.name}' does not batch`);
  }
  return model.config;
}

/** A short description of what a value is, for messages about values of the wrong kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
