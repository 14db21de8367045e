/**
 * The one logger of ts-triton. Library code logs through it and never prints directly.
 *
 * @module
 */

/** Log levels, most severe first. `verbose` lines are written only when the verbose level is above 0. */
export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

/** The trace and span a log line was written in (W3C ids in lowercase hex). */
export interface LogTraceContext {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Where log lines go; replace it with {@link setLogSink} to route logs into an application's logger. `trace`
 * is given when the line was written inside a traced request's span (in OpenTelemetry mode).
 */
export type LogSink = (level: LogLevel, message: string, trace?: LogTraceContext) => void;

const LEVEL_TAG: Readonly<Record<LogLevel, string>> = { error: 'E', warn: 'W', info: 'I', verbose: 'V' };

/** Line formats: Triton's `--log-format` values, and `json` (one JSON object per line). */
export const LOG_FORMATS = ['default', 'ISO8601', 'json'] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The level names of the `json` format. */
const LEVEL_NAME: Readonly<Record<LogLevel, string>> = {
  error: 'ERROR',
  warn: 'WARNING',
  info: 'INFO',
  verbose: 'VERBOSE',
};

const state = {
  verbose: 0,
  format: 'default' as LogFormat,
  enabled: { error: true, warn: true, info: true, verbose: true } as Record<LogLevel, boolean>,
  sink: defaultSink as LogSink,
  traceContext: undefined as (() => LogTraceContext | undefined) | undefined,
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `I1124 15:32:05.123456 4242 ts-triton] ` (Triton's default) or `2026-11-24T15:32:05Z I ts-triton] ` (ISO8601). */
function prefix(level: LogLevel, now: Date): string {
  const tag = LEVEL_TAG[level];
  if (state.format === 'ISO8601') return `${now.toISOString().slice(0, 19)}Z ${tag} ts-triton] `;
  const date = `${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}000`;
  return `${tag}${date} ${time} ${process.pid} ts-triton] `;
}

/** A line of the `json` format: time, level, pid, message, and the trace and span ids inside a traced span. */
function jsonLine(level: LogLevel, message: string, now: Date, trace: LogTraceContext | undefined): string {
  const line = { time: now.toISOString(), level: LEVEL_NAME[level], pid: process.pid, message };
  return JSON.stringify(trace === undefined ? line : { ...line, trace_id: trace.traceId, span_id: trace.spanId });
}

/** A line of Triton's formats, with ` trace_id=… span_id=…` after the message inside a traced span. */
function textLine(level: LogLevel, message: string, now: Date, trace: LogTraceContext | undefined): string {
  const ids = trace === undefined ? '' : ` trace_id=${trace.traceId} span_id=${trace.spanId}`;
  return `${prefix(level, now)}${message}${ids}`;
}

/** A log line in the format in force (no trailing newline). */
export function formatLogLine(level: LogLevel, message: string, trace?: LogTraceContext, now = new Date()): string {
  return state.format === 'json' ? jsonLine(level, message, now, trace) : textLine(level, message, now, trace);
}

function defaultSink(level: LogLevel, message: string, trace?: LogTraceContext): void {
  process.stderr.write(`${formatLogLine(level, message, trace)}\n`);
}

/** The logging settings in force (Triton's logging extension). */
export interface LogSettings {
  readonly info: boolean;
  readonly warning: boolean;
  readonly error: boolean;
  readonly verboseLevel: number;
  readonly format: LogFormat;
}

/** The logging settings in force. */
export function logSettings(): LogSettings {
  return {
    info: state.enabled.info,
    warning: state.enabled.warn,
    error: state.enabled.error,
    verboseLevel: state.verbose,
    format: state.format,
  };
}

/** Sets the line format of the default sink. */
export function setLogFormat(format: LogFormat): void {
  state.format = format;
}

/** Sets the verbose level (Triton's `--log-verbose`): 0 turns verbose lines off. */
export function setVerboseLevel(level: number): void {
  state.verbose = level;
}

/** The current verbose level. */
export function verboseLevel(): number {
  return state.verbose;
}

/** Turns one level on or off (Triton's `--log-info`, `--log-warning`, `--log-error`). */
export function setLevelEnabled(level: LogLevel, enabled: boolean): void {
  state.enabled[level] = enabled;
}

/**
 * Routes log lines to `sink` instead of stderr; returns the previous sink. Messages reach it with control
 * characters escaped ({@link escapeControlCharacters}), one line each.
 */
export function setLogSink(sink: LogSink): LogSink {
  const previous = state.sink;
  state.sink = sink;
  return previous;
}

/** Characters that could break a log line or forge one: C0 and C1 controls, DEL, and Unicode line separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `message` with every control character written as an escape (`\n`, `\r`, `\t`, `\u001b`, ...), so that text
 * from clients or model code (an error message with CR/LF) cannot forge a log line or drive a terminal.
 */
export function escapeControlCharacters(message: string): string {
  if (!CONTROL.test(message)) return message;
  return message.replace(CONTROLS, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Sets what tells the logger the trace and span the running code is in (OpenTelemetry mode sets one reading
 * the active context); undefined: lines carry no trace ids. Returns the previous one.
 */
export function setLogTraceContext(
  source: (() => LogTraceContext | undefined) | undefined,
): (() => LogTraceContext | undefined) | undefined {
  const previous = state.traceContext;
  state.traceContext = source;
  return previous;
}

function write(level: LogLevel, message: string): void {
  if (!state.enabled[level]) return;
  if (level === 'verbose' && state.verbose <= 0) return;
  const escaped = escapeControlCharacters(message);
  const trace = state.traceContext?.();
  if (trace === undefined) state.sink(level, escaped);
  else state.sink(level, escaped, trace);
}

/**
 * The logger: `log.info('...')`. Model code may use it too: inside `request.tracedSpan(...)` (or any span made
 * active through the OpenTelemetry API) its lines carry the span's trace and span ids.
 */
export const log = {
  error: (message: string): void => write('error', message),
  warn: (message: string): void => write('warn', message),
  info: (message: string): void => write('info', message),
  verbose: (message: string): void => write('verbose', message),
};

/** Applies a logging settings update (Triton's logging extension); fields not given are left as they are. */
export function updateLogSettings(update: Partial<LogSettings>): LogSettings {
  if (update.info !== undefined) state.enabled.info = update.info;
  if (update.warning !== undefined) state.enabled.warn = update.warning;
  if (update.error !== undefined) state.enabled.error = update.error;
  if (update.verboseLevel !== undefined) state.verbose = update.verboseLevel;
  if (update.format !== undefined) state.format = update.format;
  return logSettings();
}
