import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Triton, type TritonConfig } from '../../src/index.ts';

/** A temporary model repository folder. */
export interface RepositoryFolder {
  readonly root: string;
  /** Writes `<root>/<name>[/<version>]/<file>`; a later write of the same file gets a later modification time. */
  write(name: string, version: number | undefined, file: string, text: string): void;
  remove(name: string): void;
  dispose(): void;
}

let clock = Date.now() / 1000;

export function repositoryFolder(): RepositoryFolder {
  const root = mkdtempSync(join(tmpdir(), 'ts-triton-repo-'));
  return {
    root,
    write(name, version, file, text) {
      const dir = version === undefined ? join(root, name) : join(root, name, String(version));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, file);
      writeFileSync(path, text);
      clock += 2; // a distinct modification time, whatever the file system's resolution
      utimesSync(path, clock, clock);
    },
    remove(name) {
      rmSync(join(root, name), { recursive: true, force: true });
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * A model module (JavaScript) answering `y = [tag]` for input `x`, after `delayMs`. It imports from 'ts-triton',
 * which the repository resolves to the server's own copy.
 */
export function tagModel(tag: number, delayMs = 0, extra = ''): string {
  return `import { ModelConfig, Tensor } from 'ts-triton';
${extra}
export default {
  inferFunc: async (requests) => {
    ${delayMs > 0 ? `await new Promise((resolve) => setTimeout(resolve, ${delayMs}));` : ''}
    return requests.map(() => ({ y: new Int32Array([${tag}]) }));
  },
  inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
  outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
  config: ModelConfig({ maxBatchSize: 0 }),
};
`;
}

/** Starts a server on the repository, HTTP only, on a free port. */
export async function serveRepository(
  root: string,
  config: Partial<TritonConfig> = {},
): Promise<{ triton: Triton; base: string }> {
  const triton = new Triton({
    config: {
      httpPort: 0,
      httpAddress: '127.0.0.1',
      allowGrpc: false,
      allowMetrics: false,
      modelRepository: root,
      ...config,
    },
    env: {},
  });
  await triton.run();
  return { triton, base: `http://127.0.0.1:${triton.httpPort}/v2` };
}

/** POSTs JSON (or nothing) to `base + path`. */
export function post(base: string, path: string, body?: object): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
}

/** The repository index. */
export async function index(base: string): Promise<object[]> {
  return (await (await post(base, '/repository/index')).json()) as object[];
}

/** Infers `model` (optionally at `version`); resolves with the `y` it answered, or the error body and status. */
export async function tagOf(
  base: string,
  model: string,
  version?: number,
): Promise<number | { status: number; error: string }> {
  const path = version === undefined ? `/models/${model}/infer` : `/models/${model}/versions/${version}/infer`;
  const res = await post(base, path, { inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [0] }] });
  const body = (await res.json()) as { outputs?: { data: number[] }[]; error?: string };
  if (res.status !== 200) return { status: res.status, error: body.error ?? '' };
  return body.outputs![0]!.data[0]!;
}
