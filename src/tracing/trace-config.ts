/**
 * Triton's `--trace-config` options, parsed into one deeply frozen {@link TraceConfig}.
 *
 * The parser follows `tritonserver`'s command-line parser step by step, so that the same options
 * give the same values and the same start-up errors:
 *
 * 1. every entry is split into `[<mode>,]<setting>=<value>`; the first malformed entry aborts;
 * 2. the global settings (`rate`, `level`, `count`, `mode`) are applied in the order given;
 * 3. only the settings of the final mode are read: `triton,file` and `triton,log-frequency` in
 *    triton mode; `opentelemetry,url|resource|bsp_*` (Triton's), ts-triton's exporter settings
 *    (`otlp/exporter-settings.ts`) plus the `OTEL_*` environment in opentelemetry mode. Settings of the
 *    other mode are never validated.
 *
 * Error messages are the ones `tritonserver` prints when it refuses to start, trailing newlines
 * removed: a malformed entry gives `Bad option: "--trace-config".` followed by the reason on a
 * second line; a bad value gives `Bad option: "--trace-config <setting>".` (or
 * `"--trace-config <mode>,<setting>"`, or the environment variable's name) and the reason.
 *
 * @module
 */

import { invalidArg, TritonError } from '../errors.ts';
import { unknownNameWarning } from '../closest-name.ts';
import { log } from '../logger.ts';
import { readCxxInteger } from '../protocol/cxx-integer.ts';
import type { TraceSettingEcho } from '../protocol/trace-settings-json.ts';
import {
  EXPORTER_ENTRY_SETTINGS,
  type ExporterSettings,
  resolveExporterSettings,
  sdkDisabled,
} from './otlp/exporter-settings.ts';
import { MAX_PREVIEW_VALUES } from './tensor-summary.ts';
import { DEFAULT_SERVICE_NAME, resolveResourceAttributes } from './otel-resource.ts';
import {
  asciiLowerCase,
  combineTraceLevels,
  parseTraceLevel,
  type TraceLevelName,
  type TraceLevels,
} from '../protocol/trace-levels.ts';

/** Where traces go: Triton's JSON trace file, or OTLP/HTTP spans. */
export type TraceMode = 'triton' | 'opentelemetry';

/** The OpenTelemetry part of a {@link TraceConfig}. */
export interface OtelTraceConfig {
  /** OTLP/HTTP traces endpoint: the last `opentelemetry,url` given, else {@link DEFAULT_OTLP_TRACES_URL}. */
  readonly url: string;
  /** True when `opentelemetry,url` was given; the settings API echoes `url` only then. */
  readonly urlGiven: boolean;
  /** Every `opentelemetry,resource` value (`key=value`), as given and in order. */
  readonly resourceEntries: readonly string[];
  /**
   * The resource attributes to export with, lowest precedence first: `service.name` =
   * {@link DEFAULT_SERVICE_NAME}, then `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`,
   * then the `resource` entries in order (a later entry wins over an earlier one for the same key).
   */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** Batch span processor queue capacity, in spans. */
  readonly bspMaxQueueSize: number;
  /** Batch span processor delay between two exports, in milliseconds. */
  readonly bspScheduleDelayMillis: number;
  /** Most spans the batch span processor sends in one export. */
  readonly bspMaxExportBatchSize: number;
  /** The exporter: protocol, endpoint, headers, compression, timeout, TLS (see `otlp/exporter-settings.ts`). */
  readonly exporter: ExporterSettings;
  /** `OTEL_SDK_DISABLED=true`: OpenTelemetry mode traces nothing. */
  readonly sdkDisabled: boolean;
  /**
   * The kinds of the tree's spans (`opentelemetry,span_kinds`): `triton` (the default, Triton's choice) makes
   * every span SERVER; `standard` makes the root SERVER and the spans below it INTERNAL, as OpenTelemetry's
   * specification intends (one SERVER span per request the server receives).
   */
  readonly spanKinds: SpanKindsSetting;
  /**
   * Which spans of the tree are exported (`opentelemetry,detail`): `full` (the default: Triton's tree and
   * ts-triton's spans), `model` (the root and the model span) or `root` (the root only).
   */
  readonly detail: DetailSetting;
  /**
   * Whether a request whose `traceparent` has the sampled flag off is left untraced (`opentelemetry,honor_sampled`).
   * False by default: Triton traces it anyway.
   */
  readonly honorSampled: boolean;
  /**
   * At level TENSORS, how many values of each input and output the model span previews
   * (`opentelemetry,tensor_preview`, 0 to {@link MAX_PREVIEW_VALUES}); 0 (the default) previews none.
   */
  readonly tensorPreview: number;
  /** Whether the tree's spans carry their declared events (`opentelemetry,events`, true by default, as Triton). */
  readonly events: boolean;
}

/** The values of `opentelemetry,detail`. */
export const DETAIL_SETTINGS = ['full', 'model', 'root'] as const;
export type DetailSetting = (typeof DETAIL_SETTINGS)[number];

/** The values of `opentelemetry,span_kinds`. */
export const SPAN_KINDS_SETTINGS = ['triton', 'standard'] as const;
export type SpanKindsSetting = (typeof SPAN_KINDS_SETTINGS)[number];

/** The start-up trace configuration: what `tritonserver` holds after parsing its options. */
export interface TraceConfig {
  /** The trace level; off unless a `level` was given, and off whenever any `level` said off. */
  readonly levels: TraceLevels;
  /**
   * Trace every `rate`-th request; 0 traces only requests that carry a trace context.
   * Parsed as a C++ `int` and kept as Triton's `uint32` (so `-1` reads as 4294967295).
   */
  readonly rate: number;
  /** How many more traces to collect; -1 is unlimited. */
  readonly count: number;
  /** Where traces go. */
  readonly mode: TraceMode;
  /** Triton mode: the trace file (with `logFrequency` > 0, the prefix of `<file>.<n>`); "" when not given. */
  readonly file: string;
  /** Triton mode: write the trace file every this many traces; 0 writes only at shutdown. Kept as `uint32`. */
  readonly logFrequency: number;
  /**
   * The active mode's own settings, as `GET /v2/trace/setting` lists them after `trace_mode`.
   *
   * Order: every `<mode>,<setting>=<value>` entry of the active mode in the order given (unknown
   * settings included, `file` and `log-frequency` left out). In opentelemetry mode a `bsp_*`
   * value is shown as its parsed number, and each `bsp_*` setting not given is appended, in the
   * order `bsp_max_queue_size`, `bsp_schedule_delay`, `bsp_max_export_batch_size`, with the value
   * taken from the environment or the default. (Triton appends those from a hash map, so its own
   * order is unspecified; this is the order of Triton's documented example.)
   */
  readonly settingsEcho: readonly TraceSettingEcho[];
  /** OpenTelemetry settings; read only in opentelemetry mode, the defaults otherwise. */
  readonly otel: OtelTraceConfig;
}

/** The OTLP/HTTP endpoint used when `opentelemetry,url` is not given. */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

const DEFAULT_RATE = 1000;
const DEFAULT_COUNT = -1;
const GLOBAL_MODE = '';
const INT32_RANGE = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const UINT32_RANGE = { min: 0n, max: 2n ** 32n - 1n };
/** Settings of a mode-specific map that the settings API never echoes. */
const UNECHOED_SETTINGS: ReadonlySet<string> = new Set(['file', 'log-frequency']);

/** The batch span processor settings, in the order their defaults are echoed. */
const BSP_SETTINGS = [
  { setting: 'bsp_max_queue_size', envName: 'OTEL_BSP_MAX_QUEUE_SIZE', fallback: '2048' },
  { setting: 'bsp_schedule_delay', envName: 'OTEL_BSP_SCHEDULE_DELAY', fallback: '5000' },
  { setting: 'bsp_max_export_batch_size', envName: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', fallback: '512' },
] as const;

type BspSettingName = (typeof BSP_SETTINGS)[number]['setting'];

/** One split `--trace-config` entry; `mode` is "" for a global setting. */
interface TraceConfigEntry {
  readonly mode: TraceMode | typeof GLOBAL_MODE;
  readonly setting: string;
  readonly value: string;
}

/**
 * Parses Triton's `--trace-config` option values into the start-up trace configuration.
 *
 * @param entries - the option values without the `--trace-config` flag, in command-line order,
 *   e.g. `["level=TIMESTAMPS", "rate=1", "mode=opentelemetry", "opentelemetry,url=http://c:4318/v1/traces"]`.
 * @param env - the environment to read `OTEL_BSP_*`, `OTEL_RESOURCE_ATTRIBUTES` and
 *   `OTEL_SERVICE_NAME` from (opentelemetry mode only).
 * @returns a deeply frozen configuration.
 * @throws TritonError INVALID_ARG with `tritonserver`'s start-up error message.
 */
export function parseTraceConfig(
  entries: readonly string[],
  env: Record<string, string | undefined> = process.env,
): TraceConfig {
  const split = entries.map((entry) => inOptionContext('--trace-config', () => splitTraceConfigEntry(entry)));
  warnAboutUnknownSettings(split);
  const global = readGlobalSettings(split.filter((entry) => entry.mode === GLOBAL_MODE));
  const triton = split.filter((entry) => entry.mode === 'triton');
  const otel = split.filter((entry) => entry.mode === 'opentelemetry');
  const config: TraceConfig =
    global.mode === 'opentelemetry'
      ? { ...global, file: '', logFrequency: 0, ...readOtelSettings(otel, env) }
      : { ...global, ...readTritonSettings(triton), otel: inactiveOtelConfig() };
  if (config.mode === 'opentelemetry') warnAboutOtelModeLimits(config, triton);
  return deepFreeze(config);
}

/**
 * Reads one trace mode name, case-insensitively.
 *
 * @param value - `triton` or `opentelemetry` in any case.
 * @throws TritonError INVALID_ARG `invalid value for trace mode option: <lowercased value>. Available options are "triton" and "opentelemetry"`.
 */
export function parseTraceMode(value: string): TraceMode {
  const lowered = asciiLowerCase(value);
  if (lowered === 'triton' || lowered === 'opentelemetry') return lowered;
  throw invalidArg(
    `invalid value for trace mode option: ${lowered}. Available options are "triton" and "opentelemetry"`,
  );
}

/** Splits one entry at the first `,` and the first `=` after it, as `ParseTraceConfigOption` does. */
function splitTraceConfigEntry(arg: string): TraceConfigEntry {
  const comma = arg.indexOf(',');
  const equals = arg.indexOf('=', comma + 1);
  if (comma === 0) {
    throw invalidArg(
      'No trace mode specified. --trace-config option format is <trace mode>,<setting>=<value> or ' +
        `<setting>=<value>. Got ${arg}`,
    );
  }
  const mode = comma > 0 ? parseTraceMode(arg.slice(0, comma)) : GLOBAL_MODE;
  const setting = equals < 0 ? '' : arg.slice(comma + 1, equals);
  const value = equals < 0 ? '' : arg.slice(equals + 1);
  if (setting === '' || value === '') {
    throw invalidArg(`--trace-config option format is '<trace mode>,<setting>=<value>'. Got ${arg}`);
  }
  return { mode, setting, value };
}

/** The global settings; unknown global settings are ignored, as in Triton. */
function readGlobalSettings(
  entries: readonly TraceConfigEntry[],
): Pick<TraceConfig, 'levels' | 'rate' | 'count' | 'mode'> {
  let rate = DEFAULT_RATE;
  let count = DEFAULT_COUNT;
  let mode: TraceMode = 'triton';
  const levels: TraceLevelName[] = [];
  for (const { setting, value } of entries) {
    const label = `--trace-config ${setting}`;
    if (setting === 'rate') rate = inOptionContext(label, () => parseIntegerOption(value, INT32_RANGE)) >>> 0;
    if (setting === 'level') levels.push(inOptionContext(label, () => parseTraceLevel(value)));
    if (setting === 'mode') mode = inOptionContext(label, () => parseTraceMode(value));
    if (setting === 'count') count = inOptionContext(label, () => parseIntegerOption(value, INT32_RANGE));
  }
  return { levels: combineTraceLevels(levels), rate, count, mode };
}

/** The triton-mode settings, last value winning; unknown ones are only echoed. */
function readTritonSettings(
  entries: readonly TraceConfigEntry[],
): Pick<TraceConfig, 'file' | 'logFrequency' | 'settingsEcho'> {
  let file = '';
  let logFrequency = 0;
  for (const { setting, value } of entries) {
    const label = `--trace-config triton,${setting}`;
    if (setting === 'file') file = value;
    if (setting === 'log-frequency') {
      logFrequency = inOptionContext(label, () => parseIntegerOption(value, INT32_RANGE)) >>> 0;
    }
  }
  const settingsEcho = entries
    .filter((entry) => !UNECHOED_SETTINGS.has(entry.setting))
    .map(({ setting, value }): TraceSettingEcho => [setting, value]);
  return { file, logFrequency, settingsEcho };
}

/** The opentelemetry-mode settings, with the `OTEL_*` environment filling the gaps. */
function readOtelSettings(
  entries: readonly TraceConfigEntry[],
  env: Record<string, string | undefined>,
): Pick<TraceConfig, 'settingsEcho' | 'otel'> {
  const settingsEcho: TraceSettingEcho[] = [];
  const bsp = new Map<BspSettingName, number>();
  for (const { setting, value } of entries) {
    if (UNECHOED_SETTINGS.has(setting)) continue;
    const bspSetting = BSP_SETTINGS.find((candidate) => candidate.setting === setting);
    if (bspSetting === undefined) {
      settingsEcho.push([setting, value]);
      continue;
    }
    const label = `--trace-config opentelemetry,${setting}`;
    const parsed = inOptionContext(label, () => parseIntegerOption(value, UINT32_RANGE));
    bsp.set(bspSetting.setting, parsed);
    settingsEcho.push([setting, String(parsed)]);
  }
  for (const { setting, envName, fallback } of BSP_SETTINGS) {
    if (bsp.has(setting)) continue;
    const parsed = inOptionContext(envName, () => parseIntegerOption(env[envName] ?? fallback, UINT32_RANGE));
    bsp.set(setting, parsed);
    settingsEcho.push([setting, String(parsed)]);
  }
  const urls = entries.filter((entry) => entry.setting === 'url').map((entry) => entry.value);
  const resourceEntries = entries.filter((entry) => entry.setting === 'resource').map((entry) => entry.value);
  let spanKinds: SpanKindsSetting = 'triton';
  let detail: DetailSetting = 'full';
  let honorSampled = false;
  let tensorPreview = 0;
  let events = true;
  for (const { setting, value } of entries) {
    const label = `--trace-config opentelemetry,${setting}`;
    if (setting === 'span_kinds')
      spanKinds = inOptionContext(label, () => parseChoice(setting, value, SPAN_KINDS_SETTINGS));
    if (setting === 'detail') detail = inOptionContext(label, () => parseChoice(setting, value, DETAIL_SETTINGS));
    if (setting === 'honor_sampled') {
      honorSampled = inOptionContext(label, () => parseChoice(setting, value, ['false', 'true'] as const)) === 'true';
    }
    if (setting === 'events')
      events = inOptionContext(label, () => parseChoice(setting, value, ['true', 'false'] as const)) === 'true';
    if (setting === 'tensor_preview') {
      tensorPreview = inOptionContext(label, () =>
        parseIntegerOption(value, { min: 0n, max: BigInt(MAX_PREVIEW_VALUES) }),
      );
    }
  }
  const otel: OtelTraceConfig = {
    url: urls.at(-1) ?? DEFAULT_OTLP_TRACES_URL,
    urlGiven: urls.length > 0,
    resourceEntries,
    resourceAttributes: resolveResourceAttributes(resourceEntries, env),
    bspMaxQueueSize: bsp.get('bsp_max_queue_size') ?? 0,
    bspScheduleDelayMillis: bsp.get('bsp_schedule_delay') ?? 0,
    bspMaxExportBatchSize: bsp.get('bsp_max_export_batch_size') ?? 0,
    exporter: resolveExporterSettings(entries, urls.length > 0 ? withHttpScheme(urls.at(-1)!) : undefined, env),
    sdkDisabled: sdkDisabled(env),
    spanKinds,
    detail,
    honorSampled,
    tensorPreview,
    events,
  };
  return { settingsEcho, otel };
}

/** Reads one of the `choices` of ts-triton's setting `setting` (exact case). */
function parseChoice<T extends string>(setting: string, value: string, choices: readonly T[]): T {
  const known = choices.find((candidate) => candidate === value);
  if (known !== undefined) return known;
  const listed = choices.map((choice) => `"${choice}"`);
  throw invalidArg(
    `invalid value for ${setting}: ${value}. Available options are ${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}`,
  );
}

/** The OpenTelemetry part of a triton-mode configuration: built-in defaults, nothing read. */
function inactiveOtelConfig(): OtelTraceConfig {
  return {
    url: DEFAULT_OTLP_TRACES_URL,
    urlGiven: false,
    resourceEntries: [],
    resourceAttributes: { 'service.name': DEFAULT_SERVICE_NAME },
    bspMaxQueueSize: Number(BSP_SETTINGS[0].fallback),
    bspScheduleDelayMillis: Number(BSP_SETTINGS[1].fallback),
    bspMaxExportBatchSize: Number(BSP_SETTINGS[2].fallback),
    exporter: resolveExporterSettings([], undefined, {}),
    sdkDisabled: false,
    spanKinds: 'triton',
    detail: 'full',
    honorSampled: false,
    tensorPreview: 0,
    events: true,
  };
}

/** The settings each mode reads ('' for the global ones); Triton accepts and ignores (or echoes) any other. */
const KNOWN_SETTINGS: Readonly<Record<TraceMode | typeof GLOBAL_MODE, readonly string[]>> = {
  [GLOBAL_MODE]: ['level', 'rate', 'count', 'mode'],
  triton: ['file', 'log-frequency'],
  opentelemetry: [
    'url',
    'resource',
    ...BSP_SETTINGS.map((bsp) => bsp.setting),
    ...EXPORTER_ENTRY_SETTINGS,
    'span_kinds',
    'detail',
    'honor_sampled',
    'tensor_preview',
    'events',
  ],
};

/** Logs a warning for every setting no mode reads: it is accepted, as in Triton, but has no effect. */
function warnAboutUnknownSettings(entries: readonly TraceConfigEntry[]): void {
  for (const { mode, setting, value } of entries) {
    const known = KNOWN_SETTINGS[mode];
    if (known.includes(setting)) continue;
    const entry = `${mode === GLOBAL_MODE ? '' : `${mode},`}${setting}=${value}`;
    const what = mode === GLOBAL_MODE ? 'global trace setting' : `${mode} trace setting`;
    log.warn(`--trace-config ${entry}: ${unknownNameWarning(what, setting, known)}`);
  }
}

/**
 * `url` with `http://` in front when it has no scheme: Triton's collector URLs are often written
 * `localhost:4318/v1/traces` (its exporter reads them as HTTP).
 */
function withHttpScheme(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
}

/** Logs what opentelemetry mode ignores or cannot do. */
function warnAboutOtelModeLimits(config: TraceConfig, tritonEntries: readonly TraceConfigEntry[]): void {
  for (const { setting } of tritonEntries) {
    if (setting === 'file' || setting === 'log-frequency') {
      log.warn(`--trace-config triton,${setting} has no effect in opentelemetry trace mode and is ignored`);
    }
  }
  if (config.otel.tensorPreview > 0 && !config.levels.tensors) {
    log.warn(
      '--trace-config opentelemetry,tensor_preview applies only to requests traced at level TENSORS, ' +
        'and the start-up level is not TENSORS (a model setting may still set it)',
    );
  }
}

/**
 * Reads an integer option value, throwing the reason `ParseOption` gives (the caller adds the
 * `Bad option` line).
 */
function parseIntegerOption(text: string, range: { readonly min: bigint; readonly max: bigint }): number {
  const result = readCxxInteger(text, range);
  if (result.ok) return result.value;
  if (result.problem === 'invalid') throw invalidArg(`Invalid option value. Got ${text}`);
  throw invalidArg(`Provided option value is out of bound. Got ${text}`);
}

/** Runs `parse`, turning its error into `Bad option: "<label>".` followed by the reason. */
function inOptionContext<T>(label: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof TritonError) throw invalidArg(`Bad option: "${label}".\n${error.message}`);
    throw error;
  }
}

/** Freezes a plain object or array and everything reachable from it. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const member of Object.values(value)) deepFreeze(member);
  return Object.freeze(value);
}
