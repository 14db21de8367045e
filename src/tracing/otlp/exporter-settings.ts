/**
 * The exporter settings of OpenTelemetry mode, resolved once at start-up from the `--trace-config
 * opentelemetry,<setting>` entries and the standard OpenTelemetry environment: `OTEL_TRACES_EXPORTER`,
 * `OTEL_SDK_DISABLED` and the `OTEL_EXPORTER_OTLP_TRACES_*` / `OTEL_EXPORTER_OTLP_*` variables.
 *
 * Precedence, for every setting: the trace config entry, then the traces-specific variable, then the generic
 * one, then the default. The generic `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL: the HTTP protocols append
 * `v1/traces` to it, as the OpenTelemetry exporter specification says; a traces-specific endpoint is used as
 * given. A bad value stops the start with a message naming the entry or variable, in Triton's `Bad option`
 * form.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { invalidArg } from '../../errors.ts';

/** The OTLP transports. */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** Where finished spans go (`OTEL_TRACES_EXPORTER`). */
export type TracesExporterName = 'otlp' | 'console';

/** Resolved exporter settings. */
export interface ExporterSettings {
  /** Where spans go; empty when `OTEL_TRACES_EXPORTER=none` (spans are recorded, then dropped). */
  readonly exporters: readonly TracesExporterName[];
  readonly protocol: OtlpProtocol;
  /** The collector URL: the traces endpoint for the HTTP protocols, `http(s)://host:port` for gRPC. */
  readonly url: string;
  /** Where {@link ExporterSettings.url} came from: an entry, a variable's name, or `default`. */
  readonly urlSource: string;
  /** Extra request headers (gRPC metadata): the generic variable's, overridden by the traces-specific one's. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'none' | 'gzip';
  /** How long one export, retries included, may take. */
  readonly timeoutMillis: number;
  /** PEM trust roots for an `https://` collector, instead of Node's. */
  readonly certificate?: string;
  /** PEM client certificate chain and key, for a collector that asks for one (mutual TLS). */
  readonly clientCertificate?: string;
  readonly clientKey?: string;
}

/** An `opentelemetry,<setting>=<value>` entry. */
export interface ExporterEntry {
  readonly setting: string;
  readonly value: string;
}

/** The OTLP/HTTP endpoint used when nothing names one. */
export const DEFAULT_OTLP_HTTP_URL = 'http://localhost:4318/v1/traces';
/** The OTLP/gRPC endpoint used when nothing names one. */
export const DEFAULT_OTLP_GRPC_URL = 'http://localhost:4317';
/**
 * ts-triton's export timeout when none is set (the specification's default is 10 s). The JS exporter's
 * transport keeps the process alive while it waits to retry, so this also bounds how long a process lingers
 * after stopping while an `https://` or gzip collector is down.
 */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3_000;

/**
 * The `opentelemetry,<setting>` entries this module reads, beside Triton's `url`, `resource` and `bsp_*`.
 * Triton has none of them (its exporter is OTLP/HTTP with defaults); they are named after the variables.
 */
export const EXPORTER_ENTRY_SETTINGS = [
  'protocol',
  'compression',
  'timeout',
  'certificate',
  'client_certificate',
  'client_key',
] as const;

type Env = Record<string, string | undefined>;

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];
const COMPRESSIONS = ['none', 'gzip'] as const;

/** Whether `OTEL_SDK_DISABLED` is `true` (any case); any other value but empty and `false` is an error. */
export function sdkDisabled(env: Env): boolean {
  const value = env.OTEL_SDK_DISABLED?.trim().toLowerCase();
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw badOption('OTEL_SDK_DISABLED', `expected true or false, got "${env.OTEL_SDK_DISABLED}"`);
}

/**
 * Resolves the exporter settings (see the module comment).
 * @param entries - the `opentelemetry,…` entries in the order given (the last of a setting wins).
 * @param urlEntry - the last `opentelemetry,url`, already given a scheme.
 * @param env - the environment.
 * @throws TritonError INVALID_ARG naming the entry or variable with a bad value.
 */
export function resolveExporterSettings(
  entries: readonly ExporterEntry[],
  urlEntry: string | undefined,
  env: Env,
): ExporterSettings {
  const entry = (setting: string): { label: string; value: string } | undefined => {
    const last = entries.findLast((candidate) => candidate.setting === setting);
    return last && { label: `--trace-config opentelemetry,${setting}`, value: last.value };
  };
  const variable = (suffix: string): { label: string; value: string } | undefined => {
    for (const name of [`OTEL_EXPORTER_OTLP_TRACES_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`]) {
      const value = env[name]?.trim();
      if (value !== undefined && value !== '') return { label: name, value };
    }
    return undefined;
  };
  const source = (setting: string, suffix: string) => entry(setting) ?? variable(suffix);

  const protocol = oneOf(source('protocol', 'PROTOCOL'), PROTOCOLS, 'http/protobuf');
  const { url, urlSource } = resolveUrl(protocol, urlEntry, env);
  const certificate = readPem(source('certificate', 'CERTIFICATE'));
  const clientCertificate = readPem(source('client_certificate', 'CLIENT_CERTIFICATE'));
  const clientKey = readPem(source('client_key', 'CLIENT_KEY'));
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw invalidArg(
      'OpenTelemetry exporter: a client certificate needs its key and a key its certificate ' +
        '(OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY, or their TRACES_ or trace config forms)',
    );
  }
  return {
    exporters: tracesExporters(env),
    protocol,
    url,
    urlSource,
    headers: {
      ...parseHeaders('OTEL_EXPORTER_OTLP_HEADERS', env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseHeaders('OTEL_EXPORTER_OTLP_TRACES_HEADERS', env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    compression: oneOf(source('compression', 'COMPRESSION'), COMPRESSIONS, 'none'),
    timeoutMillis: parseTimeout(source('timeout', 'TIMEOUT')),
    ...(certificate && { certificate }),
    ...(clientCertificate && { clientCertificate }),
    ...(clientKey && { clientKey }),
  };
}

/** `OTEL_TRACES_EXPORTER`: a comma-separated list of `otlp`, `console`, or `none` alone. */
function tracesExporters(env: Env): TracesExporterName[] {
  const raw = env.OTEL_TRACES_EXPORTER?.trim();
  if (raw === undefined || raw === '') return ['otlp'];
  const names = [...new Set(raw.split(',').map((name) => name.trim().toLowerCase()))];
  if (names.length === 1 && names[0] === 'none') return [];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'console') {
      throw badOption(
        'OTEL_TRACES_EXPORTER',
        `expected otlp, console (or both, comma-separated) or none, got "${raw}"`,
      );
    }
  }
  return names as TracesExporterName[];
}

function resolveUrl(
  protocol: OtlpProtocol,
  urlEntry: string | undefined,
  env: Env,
): { url: string; urlSource: string } {
  if (urlEntry !== undefined)
    return { url: checkedUrl('--trace-config opentelemetry,url', urlEntry), urlSource: 'trace config' };
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) {
    return {
      url: checkedUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific),
      urlSource: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    };
  }
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (generic) {
    const base = checkedUrl('OTEL_EXPORTER_OTLP_ENDPOINT', generic);
    const url = protocol === 'grpc' ? base : `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
    return { url, urlSource: 'OTEL_EXPORTER_OTLP_ENDPOINT' };
  }
  return { url: protocol === 'grpc' ? DEFAULT_OTLP_GRPC_URL : DEFAULT_OTLP_HTTP_URL, urlSource: 'default' };
}

/** `value`, checked to be an `http://` or `https://` URL. */
function checkedUrl(label: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badOption(label, `expected an http:// or https:// URL such as http://localhost:4318, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badOption(label, `expected an http:// or https:// URL such as http://localhost:4318, got "${value}"`);
  }
  return value;
}

function oneOf<T extends string>(
  given: { label: string; value: string } | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (given === undefined) return fallback;
  const value = given.value.trim().toLowerCase() as T;
  if (allowed.includes(value)) return value;
  throw badOption(given.label, `expected one of ${allowed.join(', ')}, got "${given.value}"`);
}

function parseTimeout(given: { label: string; value: string } | undefined): number {
  if (given === undefined) return DEFAULT_EXPORT_TIMEOUT_MS;
  const ms = /^\d+$/.test(given.value.trim()) ? Number(given.value.trim()) : Number.NaN;
  if (Number.isSafeInteger(ms) && ms > 0) return ms;
  throw badOption(given.label, `expected a positive whole number of milliseconds, got "${given.value}"`);
}

/** W3C Baggage-like `key=value,key=value` headers, values percent-decoded (as the specification says). */
function parseHeaders(name: string, raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === undefined || raw.trim() === '') return headers;
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const equals = pair.indexOf('=');
    const key = equals < 0 ? '' : pair.slice(0, equals).trim();
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw badOption(name, `expected key=value pairs separated by commas, got "${pair.trim()}"`);
    }
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(equals + 1).trim());
    } catch {
      throw badOption(name, `the value of header ${key} is not valid percent-encoding`);
    }
    if (/[\r\n\0]/.test(value)) throw badOption(name, `the value of header ${key} contains a line break or NUL`);
    headers[key] = value;
  }
  return headers;
}

function readPem(given: { label: string; value: string } | undefined): string | undefined {
  if (given === undefined) return undefined;
  try {
    return readFileSync(given.value, 'utf8');
  } catch (error) {
    throw badOption(given.label, `cannot read ${given.value}: ${(error as Error).message}`);
  }
}

function badOption(label: string, reason: string): Error {
  return invalidArg(`Bad option: "${label}".\n${reason}`);
}
