/** Runs `server.ts` as a child process: its ports, its memory on request, whether and how it exited. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

/** Memory of the server process, in bytes, read after a full garbage collection. */
export interface ServerMemory {
  readonly rss: number;
  readonly heapUsed: number;
}

/** A running reliability server. */
export interface ReliabilityServer {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The exit code or signal once the process exited on its own (a crash), else undefined. */
  crashed(): string | undefined;
  /** The last 64 KiB the server wrote to stderr. */
  log(): string;
  memory(): Promise<ServerMemory>;
  /** Stops the server (stdin closed; killed after 10 s). */
  stop(): Promise<void>;
}

const LOG_KEPT = 64 * 1024;

/**
 * Starts the server with `env` added to the environment (TS_TRITON_* settings).
 * @throws when it does not report its ports within 30 s.
 */
export async function startReliabilityServer(env: Record<string, string> = {}): Promise<ReliabilityServer> {
  const child: ChildProcess = spawn(process.execPath, ['--expose-gc', SERVER], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let log = '';
  let exit: string | undefined;
  let stopping = false;
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-LOG_KEPT);
  });
  child.on('exit', (code, signal) => {
    if (!stopping) exit = `exit code ${code}${signal ? `, signal ${signal}` : ''}`;
  });
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  const nextLine = (what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not report ${what}:\n${log}`)), 30_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ports = JSON.parse(await nextLine('its ports')) as { http: number; grpc: number };
  return {
    httpPort: ports.http,
    grpcPort: ports.grpc,
    crashed: () => exit,
    log: () => log,
    async memory() {
      const line = nextLine('its memory');
      child.stdin!.write('stats\n');
      return JSON.parse(await line) as ServerMemory;
    },
    async stop() {
      stopping = exit === undefined;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
