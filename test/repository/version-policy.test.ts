import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_VERSION_POLICY, parseVersionPolicy, selectVersions } from '../../src/repository/version-policy.ts';

describe('version policy', () => {
  it("reads Triton's three forms, latest 1 by default", () => {
    assert.deepEqual(parseVersionPolicy(undefined), DEFAULT_VERSION_POLICY);
    assert.deepEqual(parseVersionPolicy({ latest: { num_versions: 2 } }), { kind: 'latest', numVersions: 2 });
    assert.deepEqual(parseVersionPolicy({ latest: {} }), { kind: 'latest', numVersions: 1 });
    assert.deepEqual(parseVersionPolicy({ all: {} }), { kind: 'all' });
    assert.deepEqual(parseVersionPolicy({ specific: { versions: [3, 1, 3] } }), { kind: 'specific', versions: [1, 3] });
  });

  it('selects versions from those on disk', () => {
    assert.deepEqual(selectVersions(DEFAULT_VERSION_POLICY, [2, 10, 1]), [10]);
    assert.deepEqual(selectVersions({ kind: 'latest', numVersions: 5 }, [2, 1]), [1, 2]);
    assert.deepEqual(selectVersions({ kind: 'all' }, [3, 1]), [1, 3]);
    assert.deepEqual(
      selectVersions({ kind: 'specific', versions: [1, 4] }, [1, 2]),
      [1, 4],
      'a missing specific version is reported, not dropped',
    );
  });

  it('names what is wrong', () => {
    assert.throws(
      () => parseVersionPolicy({ latest: { num_versions: 0 } }),
      /num_versions must be an integer >= 1; got 0/,
    );
    assert.throws(
      () => parseVersionPolicy({ specific: { versions: [] } }),
      /versions must be a non-empty list of integers >= 1/,
    );
    assert.throws(() => parseVersionPolicy({ all: {}, latest: {} }), /version_policy must be one of/);
    assert.throws(() => parseVersionPolicy('latest'), /version_policy must be one of/);
  });
});
