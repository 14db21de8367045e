/**
 * `npm test`: the static checks (typecheck, then lint) run beside the test runner instead of before it, so they
 * add little to the wall time. The runner's output streams as usual; each check's output is printed when it ends
 * (in full only when it fails). Exits non-zero when any of them fails.
 *
 * @module
 */

import { spawn } from 'node:child_process';

interface Outcome {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

/** Runs an npm script; its output is collected (`quiet`) or passed through. */
function run(script: string, quiet: boolean): Promise<Outcome> {
  const started = performance.now();
  const child = spawn('npm', ['run', '--silent', script], {
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.on('error', (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString('utf8'), seconds });
    });
  });
}

/** Runs the checks in order, stopping at the first that fails, and reports each as it ends. */
async function checks(names: readonly string[]): Promise<number> {
  for (const name of names) {
    const outcome = await run(name, true);
    const mark = outcome.code === 0 ? '✔' : '✖';
    process.stdout.write(`${mark} npm run ${name} (${outcome.seconds.toFixed(1)} s)\n`);
    if (outcome.code !== 0) {
      process.stdout.write(outcome.output);
      return outcome.code;
    }
  }
  return 0;
}

const [checked, tested] = await Promise.all([checks(['typecheck', 'lint']), run('test:node', false)]);
if (checked !== 0) process.stdout.write('✖ npm test: a static check failed (see its output above)\n');
process.exitCode = checked !== 0 ? checked : tested.code;
