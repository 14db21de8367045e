/**
 * `ts-triton serve` command-line flags, derived from the configuration's declaration (`KIND` in
 * src/config/triton-config.ts): each field is a flag in tritonserver's spelling (`httpPort` → `--http-port`), so a
 * field added there is a flag here with no second table.
 *
 * Precedence, highest first: a flag, then its `TS_TRITON_*` environment variable, then the default.
 *
 * @module
 */

import { DEFAULT_CONFIG, envName, KIND, type TritonConfig } from '../../config/triton-config.ts';
import { UsageError } from '../usage-error.ts';
import { traceViewerFromEnv } from '../../viewer/viewer-settings.ts';

type Field = keyof TritonConfig;

/** tritonserver's spelling of a field: `httpPort` → `http-port`. */
export function flagName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Flags that tritonserver also accepts under another name. */
const ALIASES: Readonly<Record<string, Field>> = { 'model-store': 'modelRepository' };

const FIELD_BY_FLAG: ReadonlyMap<string, Field> = new Map([
  ...(Object.keys(KIND) as Field[]).map((field): [string, Field] => [flagName(field), field]),
  ...Object.entries(ALIASES),
]);

const VALUE_HINT: Readonly<Record<(typeof KIND)[Field], string>> = {
  string: '<text>',
  port: '<port>',
  count: '<n>',
  boolean: '[true|false]',
  list: '<entry>',
  'control-mode': '<none|explicit|poll>',
  viewer: '[true|false|<JSON settings>]',
  'log-format': '<default|ISO8601|json>',
};

/** What the command line asked for. */
export interface ServeOptions {
  /** The settings given as flags (and the repository folder given as the argument). */
  readonly config: Partial<TritonConfig>;
  /** Whether `--help` was given. */
  readonly help: boolean;
}

function parseValue(flag: string, field: Field, text: string): unknown {
  switch (KIND[field]) {
    case 'port':
    case 'count':
      if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} expects an integer >= 0; got '${text}'`);
      return Number(text);
    case 'boolean':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw new UsageError(`--${flag} expects true or false; got '${text}'`);
    case 'viewer':
      return traceViewerFromEnv(text);
    default:
      return text;
  }
}

/**
 * Parses `serve`'s arguments: `[<model-repository>] [--flag[=value] | --flag value]...`. A list flag
 * (`--trace-config`, `--load-model`, `--cache-config`) may be repeated; a boolean flag alone means true.
 * @throws {UsageError} naming an unknown flag, a missing or wrong value, or a second folder.
 */
export function parseServeArgs(args: readonly string[]): ServeOptions {
  const config: Record<string, unknown> = {};
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (config.modelRepository !== undefined)
        throw new UsageError(`one model repository only; got '${config.modelRepository}' and '${arg}'`);
      config.modelRepository = arg;
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = arg.slice(2, equals < 0 ? undefined : equals);
    const field = FIELD_BY_FLAG.get(flag);
    if (!field) throw new UsageError(`unknown option '--${flag}'`);
    let text = equals < 0 ? undefined : arg.slice(equals + 1);
    if (text === undefined) {
      const next = args[i + 1];
      const takesNext = KIND[field] !== 'boolean' || next === 'true' || next === 'false';
      if (takesNext && next !== undefined) {
        text = next;
        i++;
      } else if (KIND[field] === 'boolean') text = 'true';
      else throw new UsageError(`--${flag} expects a value ${VALUE_HINT[KIND[field]]}`);
    }
    const value = parseValue(flag, field, text);
    if (KIND[field] === 'list') config[field] = [...((config[field] as string[] | undefined) ?? []), value];
    else config[field] = value;
  }
  return { config: config as Partial<TritonConfig>, help };
}

/**
 * The environment the server reads, without the variables of the fields given as flags (flags win); each variable
 * set but overridden is named in `overridden`.
 */
export function environmentUnderFlags(
  config: Partial<TritonConfig>,
  env: Readonly<Record<string, string | undefined>>,
): { env: Record<string, string | undefined>; overridden: string[] } {
  const filtered = { ...env };
  const overridden: string[] = [];
  for (const field of Object.keys(config)) {
    const variable = envName(field);
    if (filtered[variable] !== undefined && filtered[variable] !== '')
      overridden.push(`${variable} (--${flagName(field)} wins)`);
    delete filtered[variable];
  }
  return { env: filtered, overridden };
}

function defaultText(field: Field): string {
  const value = DEFAULT_CONFIG[field];
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(' ');
  return value === '' ? 'none' : String(value);
}

/** The usage text of `ts-triton serve`, listing every configuration field as its flag. */
export function serveUsage(): string {
  const rows = (Object.keys(KIND) as Field[]).map((field) => {
    const kind = KIND[field];
    const left = `  --${flagName(field)} ${VALUE_HINT[kind]}`;
    const repeat = kind === 'list' ? ', repeatable' : '';
    return `${left.padEnd(42)} default ${defaultText(field)}${repeat}; env ${envName(field)}`;
  });
  return `Usage: ts-triton serve [<model-repository>] [options]

Serves the models of a repository folder (one folder per model holding model.ts, model.js or numbered
version folders; docs/deploy.md) over HTTP, gRPC and Prometheus metrics, as tritonserver does. Runs until
SIGINT or SIGTERM, then drains requests in flight (at most --exit-timeout-secs) and exits.

A flag wins over its environment variable, which wins over the default. Booleans take =true or =false
(alone: true); list flags take one entry per occurrence. --model-store is accepted for --model-repository.

Options:
${rows.join('\n')}
  -h, --help                               this text
`;
}
