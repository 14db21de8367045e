/**
 * Builds the trace viewer's web page (src/viewer/ui) into dist/viewer-assets: index.html, assets/app.js and
 * assets/app.css, bundled and minified by esbuild, with nothing loaded from elsewhere at run time.
 *
 * Run: node scripts/build-viewer.ts   (npm run build, prestart and pretest run it)
 *
 * @module
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(root, 'src', 'viewer', 'ui');

/** The folder the viewer's HTTP server serves the page from. */
export const VIEWER_ASSETS_DIR = join(root, 'dist', 'viewer-assets');

/** Bundles the page into `outDir` (default {@link VIEWER_ASSETS_DIR}); returns the files written, relative to it. */
export async function buildViewer(outDir: string = VIEWER_ASSETS_DIR): Promise<string[]> {
  const assets = join(outDir, 'assets');
  await mkdir(assets, { recursive: true });
  await build({
    // main.ts imports app.css, so esbuild writes assets/app.css beside assets/app.js.
    entryPoints: { app: join(ui, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    outdir: assets,
    entryNames: '[name]',
    logLevel: 'warning',
    legalComments: 'none',
  });
  await writeFile(join(outDir, 'index.html'), await readFile(join(ui, 'index.html'), 'utf8'));
  return ['index.html', 'assets/app.js', 'assets/app.css'];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  await buildViewer();
  console.log(`viewer page built into ${VIEWER_ASSETS_DIR} (${Math.round(performance.now() - started)} ms)`);
}
