/**
 * What a model reload leaves in memory (docs/deploy.md, "Reloaded modules stay in memory"):
 * `node --expose-gc bench/reload-memory.ts`. Reloads two repository models 200 times each through the explicit
 * load API — one trivial, one whose infer function closes over a 1 MiB table — and prints the growth of the heap,
 * the external memory and the resident set per reload, after full collections.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Triton } from '../src/index.ts';

const RELOADS = 200;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const model = (tag: number, table: boolean): string => `import { ModelConfig, Tensor } from 'ts-triton';
${table ? 'const TABLE = new Float64Array(131072).fill(1);' : ''}
export default {
  inferFunc: (requests) => requests.map(() => ({ y: new Int32Array([${table ? 'TABLE[0] + ' : ''}${tag}]) })),
  inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
  outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
  config: ModelConfig({ maxBatchSize: 0 }),
};
`;

const root = mkdtempSync(join(tmpdir(), 'ts-triton-reload-'));
let mtime = Date.now() / 1000;
const write = (name: string, text: string): void => {
  mkdirSync(join(root, name), { recursive: true });
  writeFileSync(join(root, name, 'model.mjs'), text);
  mtime += 2;
  utimesSync(join(root, name, 'model.mjs'), mtime, mtime);
};
write('trivial', model(0, false));
write('table', model(0, true));

const triton = new Triton({
  config: {
    httpPort: 0,
    httpAddress: '127.0.0.1',
    allowGrpc: false,
    allowMetrics: false,
    modelRepository: root,
    modelControlMode: 'explicit',
    loadModel: ['*'],
  },
  env: {},
});
await triton.run();
const memory = (): NodeJS.MemoryUsage => {
  gc();
  gc();
  return process.memoryUsage();
};
const kib = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${(bytes / RELOADS / 1024).toFixed(1)} KiB`;
for (const [name, table] of [
  ['trivial', false],
  ['table', true],
] as const) {
  const before = memory();
  for (let i = 1; i <= RELOADS; i++) {
    write(name, model(i, table));
    await triton.repository!.load(name);
  }
  const after = memory();
  console.log(
    `${name}: per reload heapUsed ${kib(after.heapUsed - before.heapUsed)}, external ${kib(after.external - before.external)}, rss ${kib(after.rss - before.rss)}`,
  );
}
await triton.stop();
rmSync(root, { recursive: true, force: true });
