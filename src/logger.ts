/**
 * The one logger of ts-triton. Library code logs through it and never prints directly.
 *
 * @module
 */

/** Log levels, most severe first. `verbose` lines are written only when the verbose level is above 0. */
export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

/** Where log lines go; replace it with {@link setLogSink} to route logs into an application's logger. */
export type LogSink = (level: LogLevel, message: string) => void;

const LEVEL_TAG: Readonly<Record<LogLevel, string>> = { error: 'E', warn: 'W', info: 'I', verbose: 'V' };

const state = {
  verbose: 0,
  enabled: { error: true, warn: true, info: true, verbose: true } as Record<LogLevel, boolean>,
  sink: defaultSink as LogSink,
};

function defaultSink(level: LogLevel, message: string): void {
  process.stderr.write(`${LEVEL_TAG[level]} ${new Date().toISOString()} ts-triton] ${message}\n`);
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

/** Routes log lines to `sink` instead of stderr; returns the previous sink. */
export function setLogSink(sink: LogSink): LogSink {
  const previous = state.sink;
  state.sink = sink;
  return previous;
}

function write(level: LogLevel, message: string): void {
  if (!state.enabled[level]) return;
  if (level === 'verbose' && state.verbose <= 0) return;
  state.sink(level, message);
}

/** The logger: `log.info('...')`. */
export const log = {
  error: (message: string): void => write('error', message),
  warn: (message: string): void => write('warn', message),
  info: (message: string): void => write('info', message),
  verbose: (message: string): void => write('verbose', message),
};
