import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (path: string) => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

describe('the npm package', () => {
  const pkg = read('package.json') as { scripts: Record<string, string>; files: string[] };
  const build = (read('tsconfig.build.json') as { compilerOptions: Record<string, unknown> }).compilerOptions;

  it('builds dist/ before packing, so a fresh clone packs it', () => {
    assert.match(pkg.scripts.prepack ?? '', /\bnpm run build\b/);
    assert.ok(pkg.files.includes('dist'));
  });

  it('ships the sources its source maps name', () => {
    if (!build.sourceMap && !build.declarationMap) return;
    assert.equal(build.rootDir, 'src');
    assert.ok(pkg.files.includes('src'), 'source maps point into src/, which the package must hold');
  });
});
