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
import { LOG_FORMATS, type LogFormat } from '../logger.ts';

/** The server's settings. */
export interface TritonConfig {
  /** Server id reported by server metadata. @default 'triton' */
  readonly id: string;
  /**
   * Address the HTTP frontend listens on. Loopback by default, so that nothing is reachable from the network
   * until asked for; a container sets `'0.0.0.0'` (`TS_TRITON_HTTP_ADDRESS=0.0.0.0`). @default '127.0.0.1'
   */
  readonly httpAddress: string;
  /** HTTP port; 0 picks a free port. @default 8000 */
  readonly httpPort: number;
  /** Address the gRPC frontend listens on (loopback, as `httpAddress`). @default '127.0.0.1' */
  readonly grpcAddress: string;
  /** gRPC port. @default 8001 */
  readonly grpcPort: number;
  /** Address the metrics endpoint listens on (loopback, as `httpAddress`). @default '127.0.0.1' */
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
  /**
   * Log line format: Triton's `default` and `ISO8601` (`--log-format`), or `json` (one object per line with
   * `time`, `level`, `pid`, `message`, and `trace_id`/`span_id` inside a traced span). @default 'default'
   */
  readonly logFormat: LogFormat;
  /** Largest HTTP request body accepted, in bytes. @default 67108864 (64 MiB) */
  readonly httpMaxInputSize: number;
  /**
   * Most open HTTP connections. Over it, a new connection closes the oldest one with no request in progress
   * (or is answered 503 when every one has a request in progress). 0 takes three quarters of the process's
   * open-file limit (`ulimit -n`), or 1024 where that cannot be read. @default 0
   */
  readonly httpMaxConnections: number;
  /** Seconds a client has to send a request's headers before the connection is answered 408 and closed; 0 for no limit. @default 10 */
  readonly httpHeadersTimeoutSecs: number;
  /** Seconds a client has to send a whole request (headers and body); 0 for no limit. @default 300 */
  readonly httpRequestTimeoutSecs: number;
  /** Seconds an idle keep-alive HTTP connection stays open. @default 65 */
  readonly httpKeepAliveTimeoutSecs: number;
  /**
   * Largest gRPC message received, in bytes: a message declaring more is refused RESOURCE_EXHAUSTED from its
   * length prefix, before its body is read. @default 67108864 (64 MiB, as httpMaxInputSize)
   */
  readonly grpcMaxInputSize: number;
  /** Largest gRPC message sent, and received when below grpcMaxInputSize, in bytes (Triton's gRPC limit). @default 2147483647 */
  readonly grpcMaxMessageSize: number;
  /**
   * Triton's `--metrics-config` entries: `['histogram_latencies=true']` adds latency histograms of request,
   * queue and compute durations, with trace exemplars in OpenMetrics (docs/metrics.md). @default []
   */
  readonly metricsConfig: readonly string[];
  /**
   * HTTP inference responses carry `Server-Timing` (queue, compute and total durations) and, when the request
   * is traced in OpenTelemetry mode, `traceparent` naming its root span (ts-triton's; Triton sends neither).
   * @default false
   */
  readonly responseTraceHeaders: boolean;
  /** Triton's `--cache-config` entries: `['local,size=<bytes>']` enables the response cache. @default [] */
  readonly cacheConfig: readonly string[];
  /**
   * Triton's `--http-restricted-api` entries `<group>[,<group>...]:<key>=<value>`: the endpoints of each group
   * answer only requests with header `<key>: <value>` (403 otherwise). Groups: `health`, `metadata`, `inference`,
   * `shared-memory`, `model-config`, `model-repository`, `statistics`, `trace`, `logging`. @default []
   */
  readonly httpRestrictedApi: readonly string[];
  /**
   * Triton's `--grpc-restricted-protocol` entries, as `httpRestrictedApi`: the RPCs of each group answer only
   * calls with metadata `triton-grpc-protocol-<key>: <value>` (UNAVAILABLE otherwise). @default []
   */
  readonly grpcRestrictedProtocol: readonly string[];
  /**
   * Serve requests that change the server (model load and unload, log and trace settings updates) on a
   * frontend bound to a non-loopback address even when their group is not restricted. Off: such a request is
   * refused (HTTP 403, gRPC PERMISSION_DENIED) unless its group is restricted, the header then being the key.
   * @default false
   */
  readonly allowRemoteAdmin: boolean;
  /** Serve gRPC over TLS (Triton's `--grpc-use-ssl`), with `grpcServerCert` and `grpcServerKey`. @default false */
  readonly grpcUseSsl: boolean;
  /** Require and verify client certificates, signed by `grpcRootCert`; implies `grpcUseSsl` (Triton's `--grpc-use-ssl-mutual`). @default false */
  readonly grpcUseSslMutual: boolean;
  /** File holding the PEM server certificate (chain) for gRPC (Triton's `--grpc-server-cert`). @default '' */
  readonly grpcServerCert: string;
  /** File holding the PEM private key of `grpcServerCert` (Triton's `--grpc-server-key`). @default '' */
  readonly grpcServerKey: string;
  /** File holding the PEM CA certificates that client certificates must chain to (Triton's `--grpc-root-cert`). @default '' */
  readonly grpcRootCert: string;
  /** Serve HTTP over TLS (HTTPS), with `httpServerCert` and `httpServerKey` (Triton's HTTP has no TLS). @default false */
  readonly httpUseSsl: boolean;
  /** Require and verify client certificates, signed by `httpRootCert`; implies `httpUseSsl`. @default false */
  readonly httpUseSslMutual: boolean;
  /** File holding the PEM server certificate (chain) for HTTPS. @default '' */
  readonly httpServerCert: string;
  /** File holding the PEM private key of `httpServerCert`. @default '' */
  readonly httpServerKey: string;
  /** File holding the PEM CA certificates that client certificates must chain to. @default '' */
  readonly httpRootCert: string;
  /** A model repository on disk (docs/deploy.md) whose models are served beside the bound ones; '' for none. @default '' */
  readonly modelRepository: string;
  /** How repository models are loaded: `none` (all at start), `explicit` (load API, `loadModel`), `poll`. @default 'none' */
  readonly modelControlMode: ModelControlMode;
  /** Repository models loaded at start in `explicit` mode; `['*']` loads them all. @default [] */
  readonly loadModel: readonly string[];
  /** Seconds between two scans of the repository in `poll` mode. @default 15 */
  readonly repositoryPollSecs: number;
  /** Ready only when every repository model that should serve does (a model unloaded on request does not count). @default true */
  readonly strictReadiness: boolean;
  /**
   * The built-in trace viewer: `true` (its defaults: page on 127.0.0.1:16686, OTLP receivers on 4318 and 4317),
   * settings such as `{ port: 16687, maxSpans: 100000 }`, or `false`. Resolved to `false` or every setting.
   * From the environment: `TS_TRITON_TRACE_VIEWER=true|false|<JSON object>`. @default false
   */
  readonly traceViewer: TraceViewerOption;
}

/** Triton's defaults, but for the addresses: loopback rather than Triton's `0.0.0.0`. */
export const DEFAULT_CONFIG: TritonConfig = Object.freeze({
  id: 'triton',
  httpAddress: '127.0.0.1',
  httpPort: 8000,
  grpcAddress: '127.0.0.1',
  grpcPort: 8001,
  metricsAddress: '127.0.0.1',
  metricsPort: 8002,
  allowHttp: true,
  allowGrpc: true,
  allowMetrics: true,
  traceConfig: Object.freeze([]),
  exitTimeoutSecs: 30,
  logVerbose: 0,
  logFormat: 'default',
  httpMaxInputSize: 64 * 1024 * 1024,
  httpMaxConnections: 0,
  httpHeadersTimeoutSecs: 10,
  httpRequestTimeoutSecs: 300,
  httpKeepAliveTimeoutSecs: 65,
  grpcMaxInputSize: 64 * 1024 * 1024,
  grpcMaxMessageSize: 2147483647,
  metricsConfig: Object.freeze([]),
  responseTraceHeaders: false,
  cacheConfig: Object.freeze([]),
  httpRestrictedApi: Object.freeze([]),
  grpcRestrictedProtocol: Object.freeze([]),
  allowRemoteAdmin: false,
  grpcUseSsl: false,
  grpcUseSslMutual: false,
  grpcServerCert: '',
  grpcServerKey: '',
  grpcRootCert: '',
  httpUseSsl: false,
  httpUseSslMutual: false,
  httpServerCert: '',
  httpServerKey: '',
  httpRootCert: '',
  modelRepository: '',
  modelControlMode: 'none',
  loadModel: Object.freeze([]),
  repositoryPollSecs: 15,
  strictReadiness: true,
  traceViewer: false,
});

type Kind = 'string' | 'port' | 'count' | 'boolean' | 'list' | 'control-mode' | 'viewer' | 'log-format';

/** Each field's kind of value: what the environment, the command line (`ts-triton serve`) and code may give. */
export const KIND: Readonly<Record<keyof TritonConfig, Kind>> = {
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
  logFormat: 'log-format',
  httpMaxInputSize: 'count',
  httpMaxConnections: 'count',
  httpHeadersTimeoutSecs: 'count',
  httpRequestTimeoutSecs: 'count',
  httpKeepAliveTimeoutSecs: 'count',
  grpcMaxInputSize: 'count',
  grpcMaxMessageSize: 'count',
  metricsConfig: 'list',
  responseTraceHeaders: 'boolean',
  cacheConfig: 'list',
  httpRestrictedApi: 'list',
  grpcRestrictedProtocol: 'list',
  allowRemoteAdmin: 'boolean',
  grpcUseSsl: 'boolean',
  grpcUseSslMutual: 'boolean',
  grpcServerCert: 'string',
  grpcServerKey: 'string',
  grpcRootCert: 'string',
  httpUseSsl: 'boolean',
  httpUseSslMutual: 'boolean',
  httpServerCert: 'string',
  httpServerKey: 'string',
  httpRootCert: 'string',
  modelRepository: 'string',
  modelControlMode: 'control-mode',
  loadModel: 'list',
  repositoryPollSecs: 'count',
  strictReadiness: 'boolean',
  traceViewer: 'viewer',
};

/** Triton's model control modes. */
export const MODEL_CONTROL_MODES = ['none', 'explicit', 'poll'] as const;

/** One of {@link MODEL_CONTROL_MODES}. */
export type ModelControlMode = (typeof MODEL_CONTROL_MODES)[number];

const EXPECTED: Readonly<Record<Kind, string>> = {
  string: 'a string',
  port: 'an integer port from 0 to 65535',
  count: 'an integer >= 0',
  boolean: 'true or false',
  list: 'a list of strings',
  'control-mode': `one of ${MODEL_CONTROL_MODES.join(', ')}`,
  viewer: 'true, false or an object of trace viewer settings',
  'log-format': `one of ${LOG_FORMATS.join(', ')}`,
};

/** The environment variable of a field: `httpPort` → `TS_TRITON_HTTP_PORT`. */
export function envName(field: string): string {
  return `TS_TRITON_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function isValid(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'control-mode':
      return (MODEL_CONTROL_MODES as readonly unknown[]).includes(value);
    case 'log-format':
      return (LOG_FORMATS as readonly unknown[]).includes(value);
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
    case 'control-mode':
    case 'log-format':
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
    if (!(key in KIND))
      throw invalidArg(`TritonConfig has no field '${key}'; fields are ${Object.keys(KIND).join(', ')}`);
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
      throw invalidArg(
        `TritonConfig.${field}${source} must be ${EXPECTED[kind]}${hint}; got ${JSON.stringify(text ?? value)}`,
      );
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
  const { httpHeadersTimeoutSecs: headers, httpRequestTimeoutSecs: request } = resolved as Record<string, number>;
  if (request! > 0 && headers! > request!) {
    throw invalidArg(
      `TritonConfig.httpHeadersTimeoutSecs (${headers}) cannot be more than httpRequestTimeoutSecs (${request}), which includes the headers`,
    );
  }
  if (!resolved.allowHttp && !resolved.allowGrpc) {
    throw invalidArg('TritonConfig: allowHttp and allowGrpc cannot both be false');
  }
  const loadModel = resolved.loadModel as readonly string[];
  if (loadModel.includes('*') && loadModel.length > 1) {
    throw invalidArg(
      `TritonConfig.loadModel: '*' loads every model and must be the only entry; got ${JSON.stringify(loadModel)}`,
    );
  }
  return Object.freeze(resolved) as unknown as TritonConfig;
}
