/**
 * The viewer's HTTP server: the query API under /api/, the built page (index.html for client routes, /assets/*),
 * the 503 page when the page is not built, and paths that try to leave the assets folder.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeServer, listen } from '../../src/viewer/receivers/otlp-http.ts';
import { MemoryStore } from '../../src/viewer/store/memory-store.ts';
import { createViewerHttpServer, VIEWER_ASSETS_DIR } from '../../src/viewer/viewer-http.ts';
import { decodeOtlpJson } from '../../src/viewer/otlp/decode-json.ts';

describe('viewer HTTP server', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const store = new MemoryStore();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viewer-assets-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>viewer</title>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'app.css'), 'body{}');
    await writeFile(join(dir, '..', `${dir.split('/').pop()}-secret.txt`), 'secret');
    server = createViewerHttpServer(store, { maxBodyBytes: 1000, assetsDir: dir });
    base = `http://127.0.0.1:${await listen(server, '127.0.0.1', 0)}`;
    store.add(
      decodeOtlpJson({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
            scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'op' }] }],
          },
        ],
      }).spans,
    );
  });
  after(async () => {
    await closeServer(server);
    await rm(dir, { recursive: true });
    await rm(join(dir, '..', `${dir.split('/').pop()}-secret.txt`));
  });

  test('the page: index.html at / and for client routes; assets with their types', async () => {
    for (const path of ['/', '/search?service=svc', '/trace/abc', '/compare/a...b']) {
      const response = await fetch(base + path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await response.text(), '<!doctype html><title>viewer</title>');
    }
    const js = await fetch(`${base}/assets/app.js`);
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await js.text(), 'console.log(1)');
    assert.equal((await fetch(`${base}/assets/app.css`)).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await fetch(`${base}/assets/missing.js`)).status, 404);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(`${base}/`, { method: 'DELETE' })).status, 405);
  });

  test('asset paths cannot leave the assets folder', async () => {
    const secret = `${dir.split('/').pop()}-secret.txt`;
    for (const path of [`/assets/..%2F..%2F${secret}`, '/assets/%00', '/assets/%E0%A4%A']) {
      const response = await fetch(base + path);
      assert.equal(response.status, 404, path);
      assert.notEqual(await response.text(), 'secret', path);
    }
    // The URL parser resolves dot segments itself: this one names a page route, not a file.
    const dotted = await fetch(`${base}/assets/%2e%2e/%2e%2e/${secret}`);
    assert.equal(await dotted.text(), '<!doctype html><title>viewer</title>');
  });

  test('the query API answers under /api/ from the store', async () => {
    const response = await fetch(`${base}/api/services`);
    assert.equal(response.status, 200);
    assert.deepEqual(((await response.json()) as { data: string[] }).data, ['svc']);
    assert.equal((await fetch(`${base}/api/no-such-route`)).status, 404);
    const big = await fetch(`${base}/api/transform`, { method: 'POST', body: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
  });

  test('the page is found two levels above the module, in dist/viewer-assets', () => {
    assert.equal(VIEWER_ASSETS_DIR, fileURLToPath(new URL('../../dist/viewer-assets/', import.meta.url)));
  });

  test('without a built page: 503 saying how to build it; the API still answers', async () => {
    const empty = createViewerHttpServer(store, { maxBodyBytes: 1000, assetsDir: join(dir, 'nothing-here') });
    const url = `http://127.0.0.1:${await listen(empty, '127.0.0.1', 0)}`;
    try {
      const page = await fetch(`${url}/trace/abc`);
      assert.equal(page.status, 503);
      assert.match(await page.text(), /npm run build:viewer/);
      assert.equal((await fetch(`${url}/api/services`)).status, 200);
    } finally {
      await closeServer(empty);
    }
  });
});
