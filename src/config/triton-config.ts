/**
 * TritonConfig: the server's settings, with Triton's names (in camelCase) and defaults. Every field can
 * also come from the environment as `TS_TRITON_<FIELD_NAME>`, which wins over code.
 *
 * @module
 */

import { invalidArg } from '../errors.ts';
import { resolveTraceViewer, traceViewerFromEnv, type TraceViewerSettings } from '../viewer/viewer-settings.ts';

/**
 * The `traceViewer` field: `true` runs the trace viewer (OTLP receivers, trace store, viewer page) in the server's
 * process with its defaults, an object changes some of its settings, `false` leaves it off.
 */
export type TraceViewerOption = boolean | Partial<TraceViewerSettings>;

/** The server's settings. */
export interface TritonConfig {
  /** Server id reported by server metadata. @default 'triton' */
  readonly id: string;
  /** Address the HTTP frontend listens on. @default '0.0.0.0' */
  readonly httpAddress: string;
  /** HTTP port; 0 picks a free port. @default 8000 */
  readonly httpPort: number;
  /** Address the gRPC frontend listens on. @default '0.0.0.0' */
  readonly grpcAddress: string;
  /** gRPC port. @default 8001 */
  readonly grpcPort: number;
  /** Address the metrics endpoint listens on. @default '0.0.0.0' */
  readonly metricsAddress: string;
  /** Prometheus metrics port. @default 8002 */
  readonly metricsPort: number;
  /** Serve HTTP. @default true */
  readonly allowHttp: boolean;
  /** Serve gRPC. @default true */
  readonly allowGrpc: boolean;
  /** Serve metrics. @default true */
  readonly allowMetrics: boolean;
  /** Triton's `--trace-config` entries, e.g. `['level=TIMESTAMPS', 'rate=1']`. @default [] */
  readonly traceConfig: readonly string[];
  /** Seconds `stop()` waits for in-flight requests. @default 30 */
  readonly exitTimeoutSecs: number;
  /** Verbose logging level; 0 is off. @default 0 */
  readonly logVerbose: number;
  /** Largest HTTP request body accepted, in bytes. @default 67108864 (64 MiB) */
  readonly httpMaxInputSize: number;
  /** Largest gRPC message received or sent, in bytes (Triton's gRPC limit). @default 2147483647 */
  readonly grpcMaxMessageSize: number;
  /** Triton's `--cache-config` entries: `['local,size=<bytes>']` enables the response cache. @default [] */
  readonly cacheConfig: readonly string[];
  /**
   * The built-in trace viewer: `true` (its defaults: page on 127.0.0.1:16686, OTLP receivers on 4318 and 4317),
   * settings such as `{ port: 16687, maxSpans: 100000 }`, or `false`. Resolved to `false` or every setting.
   * From the environment: `TS_TRITON_TRACE_VIEWER=true|false|<JSON object>`. @default false
   */
  readonly traceViewer: TraceViewerOption;
}

/** Triton's defaults. */
export const DEFAULT_CONFIG: TritonConfig = Object.freeze({
  id: 'triton',
  httpAddress: '0.0.0.0',
  httpPort: 8000,
  grpcAddress: '0.0.0.0',
  grpcPort: 8001,
  metricsAddress: '0.0.0.0',
  metricsPort: 8002,
  allowHttp: true,
  allowGrpc: true,
  allowMetrics: true,
  traceConfig: Object.freeze([]),
  exitTimeoutSecs: 30,
  logVerbose: 0,
  httpMaxInputSize: 64 * 1024 * 1024,
  grpcMaxMessageSize: 2147483647,
  cacheConfig: Object.freeze([]),
  traceViewer: false,
});

type Kind = 'string' | 'port' | 'count' | 'boolean' | 'list' | 'viewer';

const KIND: Readonly<Record<keyof TritonConfig, Kind>> = {
  id: 'string',
  httpAddress: 'string',
  httpPort: 'port',
  grpcAddress: 'string',
  grpcPort: 'port',
  metricsAddress: 'string',
  metricsPort: 'port',
  allowHttp: 'boolean',
  allowGrpc: 'boolean',
  allowMetrics: 'boolean',
  traceConfig: 'list',
  exitTimeoutSecs: 'count',
  logVerbose: 'count',
  httpMaxInputSize: 'count',
  grpcMaxMessageSize: 'count',
  cacheConfig: 'list',
  traceViewer: 'viewer',
};

const EXPECTED: Readonly<Record<Kind, string>> = {
  string: 'a string',
  port: 'an integer port from 0 to 65535',
  count: 'an integer >= 0',
  boolean: 'true or false',
  list: 'a list of strings',
  viewer: 'true, false or an object of trace viewer settings',
};

/** The environment variable of a field: `httpPort` → `TS_TRITON_HTTP_PORT`. */
export function envName(field: string): string {
  return `TS_TRITON_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function isValid(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'port':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
    case 'count':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    case 'list':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'viewer':
      return typeof value === 'boolean' || (typeof value === 'object' && value !== null && !Array.isArray(value));
  }
}

function fromEnv(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'string':
      return text;
    case 'boolean':
      return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
    case 'port':
    case 'count':
      return /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
    case 'list':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    case 'viewer':
      return traceViewerFromEnv(text);
  }
}

/**
 * Merges code settings over defaults and the environment over both, validates every field and freezes the result.
 * @param options - settings given in code.
 * @param env - the environment (`process.env` by default).
 * @throws {TritonError} INVALID_ARG naming the field (and variable) and the expected value.
 */
export function resolveConfig(
  options: Partial<TritonConfig> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): TritonConfig {
  for (const key of Object.keys(options)) {
    if (!(key in KIND)) throw invalidArg(`TritonConfig has no field '${key}'; fields are ${Object.keys(KIND).join(', ')}`);
  }
  const resolved: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [field, kind] of Object.entries(KIND) as [keyof TritonConfig, Kind][]) {
    const variable = envName(field);
    const text = env[variable];
    const fromCode = options[field];
    const value = text !== undefined && text !== '' ? fromEnv(kind, text) : (fromCode ?? DEFAULT_CONFIG[field]);
    if (!isValid(kind, value)) {
      const source = text !== undefined && text !== '' ? ` (from ${variable})` : '';
      const hint = kind === 'list' && source ? ' given as a JSON array' : '';
      throw invalidArg(`TritonConfig.${field}${source} must be ${EXPECTED[kind]}${hint}; got ${JSON.stringify(text ?? value)}`);
    }
    if (kind === 'viewer') {
      const source = text !== undefined && text !== '' ? ` (from ${variable})` : '';
      try {
        resolved[field] = resolveTraceViewer(value, `TritonConfig.${field}${source}`);
      } catch (error) {
        throw invalidArg((error as Error).message);
      }
      continue;
    }
    resolved[field] = kind === 'list' ? Object.freeze([...(value as string[])]) : value;
  }
  if (!resolved.allowHttp && !resolved.allowGrpc) {
    throw invalidArg('TritonConfig: allowHttp and allowGrpc cannot both be false');
  }
  return Object.freeze(resolved) as unknown as TritonConfig;
}
