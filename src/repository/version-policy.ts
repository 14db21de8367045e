/**
 * Triton's version policy: which of a model's numbered versions are served. Written in a model folder's
 * `config.json` as in Triton's JSON model configuration: `{"version_policy": {"latest": {"num_versions": 2}}}`,
 * `{"all": {}}` or `{"specific": {"versions": [1, 3]}}`; without one, the latest version alone is served.
 *
 * @module
 */

/** A parsed version policy. */
export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

/** Triton's default: the highest version only. */
export const DEFAULT_VERSION_POLICY: VersionPolicy = Object.freeze({ kind: 'latest', numVersions: 1 });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isVersion = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/**
 * Reads a `version_policy` value.
 * @throws {Error} naming what is wrong and the expected forms.
 */
export function parseVersionPolicy(value: unknown): VersionPolicy {
  const forms = `{"latest":{"num_versions":N}}, {"all":{}} or {"specific":{"versions":[N,...]}}`;
  if (value === undefined) return DEFAULT_VERSION_POLICY;
  if (!isObject(value) || Object.keys(value).length !== 1) {
    throw new Error(`version_policy must be one of ${forms}; got ${JSON.stringify(value)}`);
  }
  const [kind, body] = Object.entries(value)[0]!;
  if (kind === 'all' && isObject(body) && Object.keys(body).length === 0) return { kind: 'all' };
  if (kind === 'latest' && isObject(body)) {
    const n = body.num_versions ?? 1;
    if (!isVersion(n))
      throw new Error(`version_policy.latest.num_versions must be an integer >= 1; got ${JSON.stringify(n)}`);
    return { kind: 'latest', numVersions: n };
  }
  if (kind === 'specific' && isObject(body)) {
    const versions = body.versions;
    if (!Array.isArray(versions) || versions.length === 0 || !versions.every(isVersion)) {
      throw new Error(
        `version_policy.specific.versions must be a non-empty list of integers >= 1; got ${JSON.stringify(versions)}`,
      );
    }
    return { kind: 'specific', versions: [...new Set(versions)].sort((a, b) => a - b) };
  }
  throw new Error(`version_policy must be one of ${forms}; got ${JSON.stringify(value)}`);
}

/**
 * The versions a policy serves out of those on disk, lowest first. A `specific` version that is not on disk is
 * returned too (and reported as missing by the caller), as Triton does.
 */
export function selectVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  switch (policy.kind) {
    case 'all':
      return sorted;
    case 'latest':
      return sorted.slice(Math.max(sorted.length - policy.numVersions, 0));
    case 'specific':
      return [...policy.versions];
  }
}

/** The policy in the JSON form of a model configuration (`GET /v2/models/{m}/config`, gRPC `ModelConfig`). */
export function versionPolicyJson(policy: VersionPolicy): object {
  switch (policy.kind) {
    case 'all':
      return { all: {} };
    case 'latest':
      return { latest: { num_versions: policy.numVersions } };
    case 'specific':
      return { specific: { versions: policy.versions } };
  }
}
