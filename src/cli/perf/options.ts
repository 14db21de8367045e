/**
 * `ts-triton perf` command-line options (perf_analyzer's names), parsed with `node:util` `parseArgs`.
 *
 * @module
 */

import { parseArgs } from 'node:util';
import { UsageError } from '../usage-error.ts';
import type { InputDataSource } from './input-data.ts';
import { parseRange, rangeValues } from './range.ts';

/** The load mode. */
export type LoadMode = 'concurrency' | 'request-rate';

/** Everything `perf` was asked to do. */
export interface PerfOptions {
  /** The server URL, with its scheme (`http://` or `grpc://`). */
  readonly url: string;
  /** The HTTP URL to fetch statistics from; undefined to use the server URL when it is HTTP. */
  readonly statsUrl: string | undefined;
  /** The model. */
  readonly modelName: string;
  /** Its version; the server's choice when undefined. */
  readonly modelVersion: string | undefined;
  /** Samples per request. */
  readonly batchSize: number;
  /** Sample shapes of inputs with variable dimensions. */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Where input data comes from. */
  readonly inputData: InputDataSource;
  /** Concurrency or request rate. */
  readonly mode: LoadMode;
  /** The concurrencies, or request rates (per second), to measure. */
  readonly levels: readonly number[];
  /** Length of a measurement window, ms. */
  readonly measurementIntervalMs: number;
  /** Most windows per level. */
  readonly maxTrials: number;
  /** Allowed spread of the last 3 windows, percent. */
  readonly stabilityPercentage: number;
  /** Print one JSON object instead of the console report. */
  readonly json: boolean;
  /** Write perf_analyzer's CSV here. */
  readonly csvFile: string | undefined;
}

/** The usage text of `ts-triton perf`. */
export const PERF_USAGE = `Usage: ts-triton perf -m <model> [options]

  -u, --url <url>                      server URL (default http://127.0.0.1:8000; grpc://host:port for gRPC)
  -i, --protocol <http|grpc>           protocol (replaces the URL's scheme)
  -m, --model-name <name>              model to measure (required)
  -x, --model-version <version>        model version (default: the server's choice)
  -b, --batch-size <n>                 samples per request (default 1)
      --shape <name:d1,d2,...>         shape of an input with variable dimensions (repeatable)
      --input-data <random|zero|file>  input values (default random); file: {"data":[{"<input>":[...]}]}
      --concurrency-range <s[:e[:st]]> outstanding requests (default 1)
      --request-rate-range <s[:e[:st]]> requests per second, constant intervals (instead of concurrency)
  -p, --measurement-interval <ms>      window length (default 5000)
      --max-trials <n>                 most windows per level (default 10)
  -s, --stability-percentage <pct>     allowed spread of the last 3 windows (default 10)
      --stats-url <http-url>           HTTP URL for server statistics (default: the URL when it is HTTP)
      --json                           print one JSON object with every measurement
  -f, --csv <file>                     write perf_analyzer's CSV
  -h, --help                           this text
`;

const OPTIONS = {
  url: { type: 'string', short: 'u' },
  protocol: { type: 'string', short: 'i' },
  'model-name': { type: 'string', short: 'm' },
  'model-version': { type: 'string', short: 'x' },
  'batch-size': { type: 'string', short: 'b', default: '1' },
  shape: { type: 'string', multiple: true, default: [] as string[] },
  'input-data': { type: 'string', default: 'random' },
  'concurrency-range': { type: 'string' },
  'request-rate-range': { type: 'string' },
  'measurement-interval': { type: 'string', short: 'p', default: '5000' },
  'max-trials': { type: 'string', default: '10' },
  'stability-percentage': { type: 'string', short: 's', default: '10' },
  'stats-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  csv: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const DEFAULT_URL = '127.0.0.1';

function positive(text: string, flag: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag} needs a positive ${integer ? 'whole ' : ''}number, not '${text}'`);
  }
  return value;
}

function parseShape(text: string): [string, number[]] {
  const colon = text.lastIndexOf(':');
  const dims =
    colon > 0
      ? text
          .slice(colon + 1)
          .split(',')
          .map(Number)
      : [];
  if (colon <= 0 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new UsageError(`--shape takes name:d1,d2,… with whole dimensions, not '${text}'`);
  }
  return [text.slice(0, colon), dims];
}

/** The URL with the protocol's scheme: `-i` replaces the scheme (an explicit port is kept). */
function serverUrl(url: string | undefined, protocol: string | undefined): string {
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'grpc') {
    throw new UsageError(`--protocol is http or grpc, not '${protocol}'`);
  }
  const given = url ?? DEFAULT_URL;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase();
  const rest = scheme ? given.slice(scheme.length + 3) : given;
  return `${protocol ?? scheme ?? 'http'}://${rest}`;
}

function inputData(text: string): InputDataSource {
  return text === 'random' || text === 'zero' ? text : { file: text };
}

function parse(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Whether `--help` was asked for (checked before the other options are validated). */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('-h') || args.includes('--help');
}

/**
 * Parses and checks the arguments after `perf`.
 * @throws {UsageError} for an unknown option or a missing or invalid value.
 */
export function parsePerfOptions(args: readonly string[]): PerfOptions {
  const values = parse(args);
  const modelName = values['model-name'];
  if (!modelName) throw new UsageError('-m/--model-name is required');
  if (values['concurrency-range'] !== undefined && values['request-rate-range'] !== undefined) {
    throw new UsageError('give --concurrency-range or --request-rate-range, not both');
  }
  const mode: LoadMode = values['request-rate-range'] === undefined ? 'concurrency' : 'request-rate';
  const range =
    mode === 'concurrency'
      ? parseRange(values['concurrency-range'] ?? '1', '--concurrency-range', true)
      : parseRange(values['request-rate-range']!, '--request-rate-range', false);
  return {
    url: serverUrl(values.url, values.protocol),
    statsUrl: values['stats-url'],
    modelName,
    modelVersion: values['model-version'],
    batchSize: positive(values['batch-size'], '-b/--batch-size', true),
    shapes: new Map(values.shape.map(parseShape)),
    inputData: inputData(values['input-data']),
    mode,
    levels: rangeValues(range),
    measurementIntervalMs: positive(values['measurement-interval'], '-p/--measurement-interval', false),
    maxTrials: positive(values['max-trials'], '--max-trials', true),
    stabilityPercentage: positive(values['stability-percentage'], '-s/--stability-percentage', false),
    json: values.json,
    csvFile: values.csv,
  };
}
