import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/** A running example server started as its own process. */
export interface ExampleProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Everything the process wrote to stderr so far. */
  readonly log: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node <script>` on free ports (HTTP, gRPC and metrics port 0), without the built-in trace viewer (its
 * fixed ports), and resolves once it logs its HTTP port.
 * @param env - extra environment variables.
 * @param args - arguments after the script.
 * @param startMs - how long it may take to start; past it, the process is killed and the start fails.
 */
export async function startExample(
  script: string,
  env: Record<string, string> = {},
  args: readonly string[] = [],
  startMs = 15_000,
): Promise<ExampleProcess> {
  const child = spawn(process.execPath, [script, ...args], {
    env: {
      ...process.env,
      TS_TRITON_HTTP_PORT: '0',
      TS_TRITON_HTTP_ADDRESS: '127.0.0.1',
      TS_TRITON_METRICS_PORT: '0',
      TS_TRITON_METRICS_ADDRESS: '127.0.0.1',
      TS_TRITON_GRPC_PORT: '0',
      TS_TRITON_GRPC_ADDRESS: '127.0.0.1',
      TS_TRITON_TRACE_VIEWER: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within ${startMs} ms:\n${output}`));
    }, startMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Started HTTPService at [^:]+:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    log: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}
