/**
 * The parsers behind Jaeger's query parameters, with Go's error messages (the query API repeats them in its 400
 * answers): `strconv.ParseInt`, `strconv.ParseBool`, `time.ParseDuration`, `json.Unmarshal` into a string map, and
 * Jaeger's trace id parsing (hex of up to 32 digits, or base64 of the 8 or 16 bytes).
 *
 * @module
 */

/** A value, or Go's error message. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** Go's `%q` for the ASCII strings query parameters usually are. */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}

/** `strconv.ParseInt(text, 10, bits)`. */
export function parseGoInt(text: string, bits = 64): Parsed<number> {
  if (!/^[+-]?[0-9]+$/.test(text)) return fail(`strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(text);
  const limit = 1n << BigInt(bits - 1);
  if (value >= limit || value < -limit) return fail(`strconv.ParseInt: parsing ${goQuote(text)}: value out of range`);
  return ok(Number(value));
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** `strconv.ParseBool(text)`. */
export function parseGoBool(text: string): Parsed<boolean> {
  if (TRUE.has(text)) return ok(true);
  if (FALSE.has(text)) return ok(false);
  return fail(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
}

/** Nanoseconds per unit of Go's duration strings. */
const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** `time.ParseDuration(text)`, in nanoseconds (e.g. `1.5ms`, `2h45m`, `-3s`, `0`). */
export function parseGoDuration(text: string): Parsed<number> {
  const invalid = fail<number>(`time: invalid duration ${goQuote(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return ok(0);
  if (rest === '') return invalid;
  let total = 0;
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest)!;
    if (number[0] === '' || number[0] === '.') return invalid;
    rest = rest.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === '') return fail(`time: missing unit in duration ${goQuote(text)}`);
    const nanos = UNIT_NANOS[unit];
    if (nanos === undefined) return fail(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`);
    rest = rest.slice(unit.length);
    total += Number(`${number[1] || '0'}.${number[2] ?? ''}0`) * nanos;
  }
  return ok(sign * total);
}

/**
 * `json.Unmarshal` of a JSON object of strings (`map[string]string`), with Go's messages for the usual mistakes.
 */
export function parseGoStringMap(text: string): Parsed<Record<string, string>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(jsonSyntaxMessage(text, error));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`json: cannot unmarshal ${goJsonType(value)} into Go value of type map[string]string`);
  }
  for (const entry of Object.values(value)) {
    if (typeof entry !== 'string' && entry !== null) {
      return fail(`json: cannot unmarshal ${goJsonType(entry)} into Go value of type string`);
    }
  }
  return ok(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, (v as string | null) ?? ''])));
}

function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value;
}

function jsonSyntaxMessage(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  if (text.trim() === '' || /end of JSON input|Unterminated/i.test(message)) return 'unexpected end of JSON input';
  const position = /position (\d+)/.exec(message)?.[1];
  const char = position === undefined ? (/token '?(.)/.exec(message)?.[1] ?? text.trim()[0]) : text[Number(position)];
  if (char === undefined) return 'unexpected end of JSON input';
  return `invalid character '${char}' looking for beginning of value`;
}

/**
 * Jaeger's trace id parsing for paths and `traceID` parameters: hex of 1 to 32 digits, else (up to 24
 * characters) base64 of 8 or 16 bytes. The value is the 32-digit lowercase hex id.
 */
export function parseTraceId(text: string): Parsed<string> {
  if (/^[0-9a-fA-F]{1,32}$/.test(text)) return ok(text.toLowerCase().padStart(32, '0'));
  const hexError =
    text.length > 32
      ? `TraceID cannot be longer than 32 hex characters: ${text}`
      : `strconv.ParseUint: parsing ${goQuote(text.length > 16 ? text.slice(0, text.length - 16) : text)}: invalid syntax`;
  if (text.length > 24) return fail(hexError);
  const bytes = decodeBase64(text);
  if (bytes === undefined) return fail(hexError);
  if (bytes.length !== 8 && bytes.length !== 16) return fail('invalid length for TraceID');
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return ok(hex.padStart(32, '0'));
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  const padded = standard.padEnd(Math.ceil(standard.length / 4) * 4, '=');
  try {
    const binary = atob(padded);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
