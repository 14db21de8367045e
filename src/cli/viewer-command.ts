/**
 * `ts-triton viewer`: the trace viewer alone (OTLP receivers, trace store, viewer page and query API), for the
 * traces of any service, until SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { log } from '../logger.ts';
import { DEFAULT_TRACE_VIEWER, resolveTraceViewer, type TraceViewerSettings } from '../viewer/viewer-settings.ts';
import { UsageError } from './usage-error.ts';

const d = DEFAULT_TRACE_VIEWER;

/** The usage text of `ts-triton viewer`. */
export const VIEWER_USAGE = `Usage: ts-triton viewer [options]

Receives traces over OTLP (HTTP and gRPC), keeps them, and shows them at http://<host>:<port>/ with
Jaeger's query API under /api/.

      --host <address>             address to listen on (default ${d.host})
      --port <port>                viewer page and query API port (default ${d.port})
      --otlp-http-port <port>      OTLP/HTTP receiver port, POST /v1/traces (default ${d.otlpHttpPort})
      --otlp-grpc-port <port>      OTLP/gRPC receiver port (default ${d.otlpGrpcPort})
      --store <memory|sqlite:<path>>  where traces are kept (default ${d.store}); sqlite keeps them across restarts
      --max-spans <n>              most spans kept; the oldest traces are evicted past it (default ${d.maxSpans})
      --max-bytes <n>              most bytes of spans kept, estimated (default ${d.maxBytes})
  -h, --help                       this text
`;

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'otlp-http-port': { type: 'string' },
  'otlp-grpc-port': { type: 'string' },
  store: { type: 'string' },
  'max-spans': { type: 'string' },
  'max-bytes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The setting each numeric option sets. */
const NUMERIC: Readonly<Record<string, keyof TraceViewerSettings>> = {
  port: 'port',
  'otlp-http-port': 'otlpHttpPort',
  'otlp-grpc-port': 'otlpGrpcPort',
  'max-spans': 'maxSpans',
  'max-bytes': 'maxBytes',
};

/**
 * The settings a command line asks for, or undefined for `--help`.
 * @throws {UsageError} naming a wrong option or value.
 */
export function parseViewerArgs(args: readonly string[]): TraceViewerSettings | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const settings: Record<string, unknown> = {};
  if (values.host !== undefined) settings.host = values.host;
  if (values.store !== undefined) settings.store = values.store;
  for (const [option, setting] of Object.entries(NUMERIC)) {
    const text = values[option];
    if (typeof text !== 'string') continue;
    if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${option} must be an integer; got '${text}'`);
    settings[setting] = Number(text);
  }
  try {
    const resolved = resolveTraceViewer(settings, 'the viewer');
    return resolved === false ? undefined : resolved;
  } catch (error) {
    // Name the option rather than the setting: "the viewer.otlpHttpPort" → "--otlp-http-port".
    const message = (error as Error).message.replace(
      /the viewer\.(\w+)/,
      (_, name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    );
    throw new UsageError(message);
  }
}

/** Runs the viewer until SIGINT or SIGTERM. */
export async function runViewer(args: readonly string[]): Promise<void> {
  const settings = parseViewerArgs(args);
  if (settings === undefined) {
    process.stdout.write(VIEWER_USAGE);
    return;
  }
  const { startTraceViewer } = await import('../viewer/trace-viewer.ts');
  const viewer = await startTraceViewer(settings);
  log.info(`Trace viewer at ${viewer.url}`);
  log.info(
    `OTLP/HTTP receiver at ${viewer.otlpHttpUrl}, OTLP/gRPC receiver at ${settings.host}:${viewer.otlpGrpcPort}`,
  );
  log.info(`Store: ${settings.store}, at most ${settings.maxSpans} spans and ${settings.maxBytes} bytes`);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string): void => {
      log.info(`Received ${signal}, stopping`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await viewer.close();
}
