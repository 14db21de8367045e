/**
 * The trace viewer's settings, declared once with their defaults and checks: the `traceViewer` field of
 * TritonConfig (and its `TS_TRITON_TRACE_VIEWER` form) and the `ts-triton viewer` options resolve through here.
 * Loads nothing of the viewer itself.
 *
 * @module
 */

/** Where the viewer listens and what it keeps. */
export interface TraceViewerSettings {
  /** Address the viewer page, its API and the OTLP receivers listen on. @default '127.0.0.1' */
  readonly host: string;
  /** Port of the viewer page and its query API (Jaeger's). @default 16686 */
  readonly port: number;
  /** Port of the OTLP/HTTP receiver (`POST /v1/traces`). @default 4318 */
  readonly otlpHttpPort: number;
  /** Port of the OTLP/gRPC receiver. @default 4317 */
  readonly otlpGrpcPort: number;
  /** `memory`, or `sqlite:<path>` to keep traces in a SQLite file across restarts. @default 'memory' */
  readonly store: string;
  /** Most spans kept; the oldest traces are evicted past it. @default 500000 */
  readonly maxSpans: number;
  /** Most bytes of spans kept (estimated); the oldest traces are evicted past it. @default 268435456 (256 MiB) */
  readonly maxBytes: number;
  /** Largest export (request body or gRPC message, after gunzip) accepted, in bytes. @default 20971520 (20 MiB) */
  readonly maxExportBytes: number;
}

export const DEFAULT_TRACE_VIEWER: TraceViewerSettings = Object.freeze({
  host: '127.0.0.1',
  port: 16686,
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  store: 'memory',
  maxSpans: 500_000,
  maxBytes: 256 * 1024 * 1024,
  maxExportBytes: 20 * 1024 * 1024,
});

type Check = 'string' | 'port' | 'positive' | 'store';

const CHECKS: Readonly<Record<keyof TraceViewerSettings, Check>> = {
  host: 'string',
  port: 'port',
  otlpHttpPort: 'port',
  otlpGrpcPort: 'port',
  store: 'store',
  maxSpans: 'positive',
  maxBytes: 'positive',
  maxExportBytes: 'positive',
};

const EXPECTED: Readonly<Record<Check, string>> = {
  string: 'a non-empty string',
  port: 'an integer port from 0 to 65535',
  positive: 'an integer >= 1',
  store: "'memory' or 'sqlite:<path>'",
};

function isValid(check: Check, value: unknown): boolean {
  switch (check) {
    case 'string':
      return typeof value === 'string' && value !== '';
    case 'port':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
    case 'positive':
      return Number.isSafeInteger(value) && (value as number) >= 1;
    case 'store':
      return value === 'memory' || (typeof value === 'string' && /^sqlite:.+/.test(value));
  }
}

/** The names of the settings, for messages. */
export const TRACE_VIEWER_FIELDS: readonly string[] = Object.keys(CHECKS);

/**
 * Resolves a `traceViewer` value: `false` (off), `true` (on with the defaults) or an object of settings over the
 * defaults.
 * @param name - how the value is named in messages (e.g. `TritonConfig.traceViewer`).
 * @returns the settings, frozen, or `false` when off.
 * @throws {Error} naming the setting and the expected value; the caller turns it into its own error type.
 */
export function resolveTraceViewer(value: unknown, name: string): TraceViewerSettings | false {
  if (value === false || value === undefined) return false;
  if (value === true) return DEFAULT_TRACE_VIEWER;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${name} must be true, false or an object of settings (${TRACE_VIEWER_FIELDS.join(', ')}); got ${JSON.stringify(value)}`,
    );
  }
  const settings: Record<string, unknown> = { ...DEFAULT_TRACE_VIEWER };
  for (const [key, given] of Object.entries(value)) {
    const check = CHECKS[key as keyof TraceViewerSettings];
    if (check === undefined)
      throw new Error(`${name} has no setting '${key}'; settings are ${TRACE_VIEWER_FIELDS.join(', ')}`);
    if (given === undefined) continue;
    if (!isValid(check, given))
      throw new Error(`${name}.${key} must be ${EXPECTED[check]}; got ${JSON.stringify(given)}`);
    settings[key] = given;
  }
  return Object.freeze(settings) as unknown as TraceViewerSettings;
}

/** A settings value from its environment form: `true`/`1`, `false`/`0`, or a JSON object. */
export function traceViewerFromEnv(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true' || trimmed === '1') return true;
  if (trimmed === 'false' || trimmed === '0') return false;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}
