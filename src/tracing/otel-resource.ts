/**
 * The OpenTelemetry resource attributes of OpenTelemetry mode: `opentelemetry,resource=` entries over
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`, over Triton's default service name.
 *
 * @module
 */

import { log } from '../logger.ts';

/** The `service.name` resource attribute used when none is given. */
export const DEFAULT_SERVICE_NAME = 'triton-inference-server';

const ENV_RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';
const ENV_SERVICE_NAME = 'OTEL_SERVICE_NAME';
const ENV_ATTRIBUTE_MAX_LENGTH = 255;

/**
 * Merges the resource attributes, lowest precedence first: the default service name, the
 * environment (`OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`), then the entries in order.
 *
 * Triton's C++ build would let its default `service.name` hide the environment's; here the
 * default only applies when neither the environment nor an entry names the service.
 */
export function resolveResourceAttributes(
  entries: readonly string[],
  env: Record<string, string | undefined>,
): Record<string, string> {
  const attributes = new Map<string, string>([['service.name', DEFAULT_SERVICE_NAME]]);
  for (const [key, value] of readEnvResourceAttributes(env)) attributes.set(key, value);
  const serviceName = env[ENV_SERVICE_NAME];
  if (serviceName !== undefined && serviceName.trim() !== '') attributes.set('service.name', serviceName);
  for (const entry of entries) {
    const [key, value] = splitResourceEntry(entry);
    attributes.set(key, value);
  }
  return Object.fromEntries(attributes);
}

/**
 * Splits `key=value` at the first `=`. An entry without `=` gives the whole entry as both key
 * and value: that is what Triton's `substr(0, npos)` / `substr(npos + 1)` arithmetic yields.
 */
function splitResourceEntry(entry: string): [key: string, value: string] {
  const equals = entry.indexOf('=');
  if (equals < 0) return [entry, entry];
  return [entry.slice(0, equals), entry.slice(equals + 1)];
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` read as the OpenTelemetry JS SDK reads it: comma-separated
 * `key=value` pairs, each part trimmed and percent-decoded. One malformed pair (no `=` or more
 * than one, an empty key, bad percent-encoding, a key or value over 255 characters) discards
 * the whole variable, with a warning.
 */
function readEnvResourceAttributes(env: Record<string, string | undefined>): [string, string][] {
  const raw = env[ENV_RESOURCE_ATTRIBUTES];
  if (raw === undefined || raw.trim() === '') return [];
  const pairs: [string, string][] = [];
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const pair = decodeEnvResourcePair(item);
    if (pair === undefined) {
      log.warn(`${ENV_RESOURCE_ATTRIBUTES} ignored: cannot read the attribute "${item}"`);
      return [];
    }
    pairs.push(pair);
  }
  return pairs;
}

/** One `key=value` item of `OTEL_RESOURCE_ATTRIBUTES`, or undefined when it is malformed. */
function decodeEnvResourcePair(item: string): [string, string] | undefined {
  const parts = item.split('=');
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) return undefined;
  const key = percentDecode(parts[0].trim());
  const value = percentDecode(parts[1].trim());
  if (key === undefined || value === undefined || key === '') return undefined;
  if (key.length > ENV_ATTRIBUTE_MAX_LENGTH || value.length > ENV_ATTRIBUTE_MAX_LENGTH) return undefined;
  return [key, value];
}

/** Percent-decodes text, or gives undefined when the encoding is broken. */
function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
