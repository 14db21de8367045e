import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Triton } from '../../src/index.ts';
import { until as untilHolds, within } from '../helpers/within.ts';
import { index, post, repositoryFolder, serveRepository, tagModel, tagOf } from './repository-fixture.ts';

const REFUSED = 'explicit model load / unload is not allowed if polling is enabled';

describe('model repository: control mode none', () => {
  const repo = repositoryFolder();
  let triton: Triton;
  let base: string;
  after(async () => {
    await triton?.stop();
    repo.dispose();
  });

  it('loads every model at start, each version its policy selects, and refuses load and unload as Triton does', async () => {
    repo.write('plain', undefined, 'model.mjs', tagModel(10));
    for (const v of [1, 2, 3]) repo.write('latest', v, 'model.mjs', tagModel(v));
    for (const v of [1, 2, 3]) repo.write('two', v, 'model.mjs', tagModel(20 + v));
    repo.write('two', undefined, 'config.json', JSON.stringify({ version_policy: { latest: { num_versions: 2 } } }));
    for (const v of [1, 2]) repo.write('every', v, 'model.ts', tagModel(30 + v));
    repo.write('every', undefined, 'config.json', JSON.stringify({ version_policy: { all: {} } }));
    for (const v of [1, 2, 3]) repo.write('chosen', v, 'model.mjs', tagModel(40 + v));
    repo.write(
      'chosen',
      undefined,
      'config.json',
      JSON.stringify({ version_policy: { specific: { versions: [1, 3] } } }),
    );
    ({ triton, base } = await serveRepository(repo.root));

    assert.deepEqual(await index(base), [
      { name: 'chosen', version: '1', state: 'READY' },
      { name: 'chosen', version: '3', state: 'READY' },
      { name: 'every', version: '1', state: 'READY' },
      { name: 'every', version: '2', state: 'READY' },
      { name: 'latest', version: '3', state: 'READY' },
      { name: 'plain', version: '1', state: 'READY' },
      { name: 'two', version: '2', state: 'READY' },
      { name: 'two', version: '3', state: 'READY' },
    ]);
    assert.equal(await tagOf(base, 'plain'), 10);
    assert.equal(await tagOf(base, 'latest'), 3);
    assert.deepEqual(await tagOf(base, 'latest', 2), {
      status: 404,
      error: "Request for unknown model: 'latest' version 2 is not found",
    });
    assert.equal(await tagOf(base, 'two'), 23);
    assert.equal(await tagOf(base, 'two', 2), 22);
    assert.equal(await tagOf(base, 'every', 1), 31);
    assert.equal(await tagOf(base, 'chosen'), 43);
    assert.equal(await tagOf(base, 'chosen', 1), 41);
    const metadata = (await (await fetch(`${base}/models/two`)).json()) as { versions: string[] };
    assert.deepEqual(metadata.versions, ['2', '3']);
    const policy = async (model: string) =>
      ((await (await fetch(`${base}/models/${model}/config`)).json()) as { version_policy: object }).version_policy;
    assert.deepEqual(await policy('two'), { latest: { num_versions: 2 } });
    assert.deepEqual(await policy('plain'), { latest: { num_versions: 1 } });
    assert.deepEqual(await policy('every'), { all: {} });
    assert.deepEqual(await policy('chosen'), { specific: { versions: [1, 3] } });

    for (const action of ['load', 'unload']) {
      const res = await post(base, `/repository/models/plain/${action}`);
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { error: REFUSED });
    }
    assert.equal(await tagOf(base, 'plain'), 10);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
  });
});

describe('model repository: a model that fails to load', () => {
  const repo = repositoryFolder();
  const servers: Triton[] = [];
  after(async () => {
    await Promise.all(servers.map((t) => t.stop()));
    repo.dispose();
  });

  it('is UNAVAILABLE in the index with its reason, the others serve, and strict readiness says not ready', async () => {
    repo.write('good', undefined, 'model.mjs', tagModel(1));
    repo.write('throws', undefined, 'model.mjs', "throw new Error('no weights file');\n");
    repo.write('no_default', undefined, 'model.mjs', 'export const binding = {};\n');
    repo.write('bad_binding', undefined, 'model.mjs', 'export default { inferFunc: 3, inputs: [], outputs: [] };\n');
    repo.write('empty', undefined, 'notes.txt', 'nothing here\n');
    repo.write('bad_policy', 1, 'model.mjs', tagModel(2));
    repo.write('bad_policy', undefined, 'config.json', JSON.stringify({ version_policy: { newest: {} } }));
    repo.write('extra_keys', 1, 'model.mjs', tagModel(2));
    repo.write('extra_keys', undefined, 'config.json', JSON.stringify({ max_batch_size: 8 }));
    repo.write(
      'renamed',
      undefined,
      'model.mjs',
      tagModel(3).replace('export default {', "export default { modelName: 'other',"),
    );
    const { triton, base } = await serveRepository(repo.root);
    servers.push(triton);

    const entries = (await index(base)) as { name: string; state?: string; reason?: string; version?: string }[];
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('good'), { name: 'good', version: '1', state: 'READY' });
    assert.deepEqual(byName.get('throws'), {
      name: 'throws',
      version: '1',
      state: 'UNAVAILABLE',
      reason: 'no weights file',
    });
    assert.match(
      byName.get('no_default')!.reason!,
      /has no default export; export default \{ inferFunc, inputs, outputs \}/,
    );
    assert.match(byName.get('bad_binding')!.reason!, /(inferFunc|inputs) of 'bad_binding' must be/);
    assert.match(
      byName.get('empty')!.reason!,
      /holds no model module \(model\.ts, model\.mts, model\.js, model\.mjs\)/,
    );
    assert.equal(byName.get('empty')!.state, 'UNAVAILABLE');
    assert.match(byName.get('bad_policy')!.reason!, /version_policy must be one of/);
    assert.match(byName.get('extra_keys')!.reason!, /config\.json has 'max_batch_size'/);
    assert.match(byName.get('renamed')!.reason!, /modelName "other" is not its folder's name 'renamed'/);
    assert.equal(await tagOf(base, 'good'), 1);
    assert.deepEqual(await tagOf(base, 'throws'), {
      status: 404,
      error: "Request for unknown model: 'throws' has no available versions",
    });
    const ready = await post(base, '/repository/index', { ready: true });
    assert.deepEqual(await ready.json(), [{ name: 'good', version: '1', state: 'READY' }]);
    assert.equal(
      (await fetch(`${base}/health/ready`)).status,
      400,
      'strict readiness: a failed model makes the server not ready',
    );
  });

  it('with strictReadiness false, the server is ready with a failed model', async () => {
    const { triton, base } = await serveRepository(repo.root, { strictReadiness: false });
    servers.push(triton);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
  });
});

describe('model repository: control mode explicit', () => {
  const repo = repositoryFolder();
  const servers: Triton[] = [];
  after(async () => {
    await Promise.all(servers.map((t) => t.stop()));
    repo.dispose();
  });

  it('loads nothing at start; load, reload on change, unload through the API; a failed reload keeps the loaded model', async () => {
    repo.write('a', undefined, 'model.mjs', tagModel(1));
    repo.write('b', undefined, 'model.mjs', tagModel(2));
    const { triton, base } = await serveRepository(repo.root, { modelControlMode: 'explicit' });
    servers.push(triton);
    assert.deepEqual(await index(base), [{ name: 'a' }, { name: 'b' }]);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);
    assert.deepEqual(await tagOf(base, 'a'), {
      status: 404,
      error: "Request for unknown model: 'a' has no available versions",
    });

    assert.equal((await post(base, '/repository/models/a/load')).status, 200);
    assert.equal(await tagOf(base, 'a'), 1);
    assert.deepEqual(await index(base), [{ name: 'a', version: '1', state: 'READY' }, { name: 'b' }]);

    repo.write('a', undefined, 'model.mjs', tagModel(11));
    assert.equal(await tagOf(base, 'a'), 1, 'a changed folder is not picked up until loaded again');
    assert.equal((await post(base, '/repository/models/a/load')).status, 200);
    assert.equal(await tagOf(base, 'a'), 11);

    repo.write('a', undefined, 'model.mjs', 'export default {\n');
    const failed = await post(base, '/repository/models/a/load');
    assert.equal(failed.status, 400);
    assert.match(
      ((await failed.json()) as { error: string }).error,
      /load failed for model 'a': version 1: .*; the loaded versions keep serving/,
    );
    assert.equal(await tagOf(base, 'a'), 11);

    assert.equal((await post(base, '/repository/models/a/unload')).status, 200);
    assert.deepEqual(await index(base), [
      { name: 'a', version: '1', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'b' },
    ]);
    assert.deepEqual(await tagOf(base, 'a'), {
      status: 404,
      error: "Request for unknown model: 'a' has no available versions",
    });
    assert.equal(
      (await fetch(`${base}/health/ready`)).status,
      200,
      'an unloaded model does not make the server not ready',
    );

    assert.equal((await post(base, '/repository/models/b/unload')).status, 200, 'unloading a model never loaded');
    assert.deepEqual((await index(base))[1], { name: 'b' });

    const unknown = await post(base, '/repository/models/nope/load');
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), {
      error: "failed to load 'nope': no folder of that name in the model repository",
    });
    assert.equal((await post(base, '/repository/models/nope/unload')).status, 404);
  });

  it('loads the models named by loadModel at start, or all of them with *', async () => {
    const named = await serveRepository(repo.root, { modelControlMode: 'explicit', loadModel: ['b'] });
    servers.push(named.triton);
    assert.deepEqual(await index(named.base), [{ name: 'a' }, { name: 'b', version: '1', state: 'READY' }]);
    repo.write('a', undefined, 'model.mjs', tagModel(12));
    const all = await serveRepository(repo.root, { modelControlMode: 'explicit', loadModel: ['*'] });
    servers.push(all.triton);
    assert.deepEqual(await index(all.base), [
      { name: 'a', version: '1', state: 'READY' },
      { name: 'b', version: '1', state: 'READY' },
    ]);
    await assert.rejects(
      serveRepository(repo.root, { modelControlMode: 'explicit', loadModel: ['*', 'a'] }),
      /'\*' loads every model and must be the only entry/,
    );
    await assert.rejects(
      serveRepository(`${repo.root}/missing`),
      /TritonConfig\.modelRepository: cannot read the folder '.*missing'/,
    );
    await assert.rejects(
      serveRepository(repo.root, { modelControlMode: 'manual' as never }),
      /TritonConfig\.modelControlMode must be one of none, explicit, poll; got "manual"/,
    );
  });
});

describe('model repository: control mode poll', () => {
  const repo = repositoryFolder();
  let triton: Triton | undefined;
  after(async () => {
    await triton?.stop();
    repo.dispose();
  });

  it('scans every repositoryPollSecs: adds, reloads (with helper modules) and removes models; refuses the load API', async () => {
    repo.write('m', undefined, 'model.mjs', tagModel(0, 0, "import { TAG } from './tag.mjs';").replace('[0]', '[TAG]'));
    repo.write('m', undefined, 'tag.mjs', 'export const TAG = 1;\n');
    const served = await serveRepository(repo.root, { modelControlMode: 'poll', repositoryPollSecs: 1 });
    triton = served.triton;
    const { base } = served;
    assert.equal(await tagOf(base, 'm'), 1);

    const until = (what: string, check: () => Promise<boolean>): Promise<void> => untilHolds(check, 10_000, what, 50);
    repo.write('m', undefined, 'tag.mjs', 'export const TAG = 2;\n');
    await until('the helper change to be served', async () => (await tagOf(base, 'm')) === 2);

    repo.write('n', undefined, 'model.mjs', tagModel(5));
    await until('the new model to be served', async () => (await tagOf(base, 'n')) === 5);

    repo.remove('n');
    await until(
      'the removed model to leave the index',
      async () => !(await index(base)).some((e) => (e as { name: string }).name === 'n'),
    );
    assert.deepEqual(await tagOf(base, 'n'), { status: 404, error: "Request for unknown model: 'n' is not found" });

    const refused = await post(base, '/repository/models/m/load');
    assert.equal(refused.status, 503);
    assert.deepEqual(await refused.json(), { error: REFUSED });
  });
});

describe('model repository: reload under load', () => {
  const repo = repositoryFolder();
  let triton: Triton | undefined;
  after(async () => {
    await triton?.stop();
    repo.dispose();
  });

  it('swaps versions while requests are in flight: every request succeeds, the old version drains, the new serves', async () => {
    repo.write('slow', undefined, 'model.mjs', tagModel(1, 20));
    const served = await serveRepository(repo.root, { modelControlMode: 'poll', repositoryPollSecs: 0 });
    triton = served.triton;
    const { base } = served;
    const repository = triton.repository!;

    let stop = false;
    const seen: (number | { status: number; error: string })[] = [];
    const client = async (): Promise<void> => {
      while (!stop) seen.push(await tagOf(base, 'slow'));
    };
    const until = (what: string, check: () => boolean): Promise<void> => untilHolds(check, 10_000, what);
    const clients = Array.from({ length: 8 }, client);
    await until('the first version to answer', () => seen.includes(1));
    for (const tag of [2, 3, 4]) {
      repo.write('slow', undefined, 'model.mjs', tagModel(tag, 20));
      await repository.poll();
      const swappedAt = seen.length;
      await until(`version ${tag} to answer`, () => seen.slice(swappedAt).includes(tag));
      // 8 clients on one instance taking 20 ms a request: the old version held queued requests at the swap.
      assert.ok(seen.slice(swappedAt).includes(tag - 1), `version ${tag - 1} answered requests queued before the swap`);
    }
    stop = true;
    await within(Promise.all(clients), 10_000, 'the clients');

    assert.deepEqual(
      seen.filter((r) => typeof r !== 'number'),
      [],
      'no request failed during the reloads',
    );
    const tags = seen as number[];
    for (let i = 1; i < tags.length; i++) {
      // A response from an older version after a newer one is a request sent before the swap: at most the 8 in flight.
      if (tags[i]! < tags[i - 1]!) assert.ok(tags.slice(i).filter((t) => t < tags[i - 1]!).length <= 8);
    }
    // Requests queued on version 3 may still finish after version 4's first answers; a request sent now reaches 4.
    assert.equal(await tagOf(base, 'slow'), 4);
  });
});
