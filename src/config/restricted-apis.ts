/**
 * Triton's restricted APIs (`--http-restricted-api`, `--grpc-restricted-protocol`): entries
 * `<group>[,<group>…]:<key>=<value>` that make every endpoint of the named API groups answer only requests
 * carrying header (or gRPC metadata) `<key>` with value `<value>`.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';

/** Triton's API groups, each endpoint belonging to one. */
export const API_GROUPS = [
  'health',
  'metadata',
  'inference',
  'shared-memory',
  'model-config',
  'model-repository',
  'statistics',
  'trace',
  'logging',
] as const;

/** One of Triton's API groups. */
export type ApiGroup = (typeof API_GROUPS)[number];

/** The header a restricted group expects, and its value. */
export interface Restriction {
  /** The header key as configured (HTTP matches it case-insensitively). */
  readonly key: string;
  readonly value: string;
}

/** The restricted groups of one frontend. */
export type Restrictions = ReadonlyMap<ApiGroup, Restriction>;

/** A header name: an HTTP token (RFC 9110). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An entry as a message may show it: the value is a secret, so only its length is named. */
function redacted(entry: string): string {
  const eq = entry.indexOf('=', entry.indexOf(':') + 1);
  return eq === -1 ? entry : `${entry.slice(0, eq + 1)}<${entry.length - eq - 1} characters>`;
}

/**
 * Parses a restricted-API config field, as Triton parses the flag: the first `:` ends the groups, the first `=`
 * after it ends the key; a group can be named in one entry only.
 * @param entries - the field's entries.
 * @param field - the field's name, for messages (`httpRestrictedApi`).
 * @throws {TritonError} INVALID_ARG naming the field, the entry (its value hidden) and what is expected.
 */
export function parseRestrictedApis(entries: readonly string[], field: string): Restrictions {
  const restrictions = new Map<ApiGroup, Restriction>();
  const owner = new Map<ApiGroup, string>();
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const eq = colon === -1 ? -1 : entry.indexOf('=', colon + 1);
    const groups = entry.slice(0, colon);
    const key = entry.slice(colon + 1, eq);
    const value = entry.slice(eq + 1);
    if (colon <= 0 || eq === -1 || key === '' || value === '') {
      throw invalidArg(
        `TritonConfig.${field} entries must be '<group>[,<group>...]:<key>=<value>'; got '${redacted(entry)}'`,
      );
    }
    if (!TOKEN.test(key)) {
      throw invalidArg(
        `TritonConfig.${field}: header key '${key}' in '${redacted(entry)}' is not a header name (letters, digits and !#$%&'*+-.^_\`|~)`,
      );
    }
    for (const name of groups.split(',')) {
      const group = API_GROUPS.find((g) => g === name);
      if (group === undefined) {
        throw invalidArg(
          `TritonConfig.${field}: unknown API group '${name}' in '${redacted(entry)}'; groups are ${API_GROUPS.join(', ')}`,
        );
      }
      const earlier = owner.get(group);
      if (earlier !== undefined) {
        throw invalidArg(
          `TritonConfig.${field}: API group '${group}' is named in '${redacted(earlier)}' and in '${redacted(entry)}'; a group can be restricted by one entry only`,
        );
      }
      owner.set(group, entry);
      restrictions.set(group, Object.freeze({ key, value }));
    }
  }
  return restrictions;
}
