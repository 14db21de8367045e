/**
 * The bodies the query APIs answer with: Jaeger's envelope and its error body (sent as Go's `http.Error` sends it),
 * the v3 gateway's error body, and Go's plain-text 404 and 405.
 *
 * @module
 */

/** One answer of the query APIs, ready for an HTTP server to write. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Jaeger's `structuredError`: empty fields are left out. */
export interface StructuredError {
  readonly code?: number;
  readonly msg: string;
  readonly traceID?: string;
}

const JSON_TYPE = { 'content-type': 'application/json' } as const;
/** What Go's `http.Error` sets. */
const TEXT_TYPE = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } as const;

/** Jaeger's `prettyPrint` rule: any value but '' and 'false' indents by four spaces. */
export function wantsPrettyPrint(url: URL): boolean {
  const value = url.searchParams.get('prettyPrint');
  return value !== null && value !== '' && value !== 'false';
}

/** A 200 JSON answer; `pretty` indents as Jaeger does. */
export function json(value: unknown, pretty = false, status = 200): ApiResponse {
  return { status, headers: JSON_TYPE, body: pretty ? JSON.stringify(value, null, 4) : JSON.stringify(value) };
}

/** Jaeger's success envelope around `data`. */
export function envelope(
  data: unknown,
  url: URL,
  options: { readonly total?: number; readonly errors?: readonly StructuredError[] | null } = {},
): ApiResponse {
  const errors = options.errors === undefined || options.errors === null ? null : options.errors;
  const body = { data, total: options.total ?? 0, limit: 0, offset: 0, errors };
  return json(body, wantsPrettyPrint(url));
}

/** A Jaeger v1 failure: the envelope with `data: null` and one error, as text with a trailing newline. */
export function jaegerError(status: number, msg: string): ApiResponse {
  const body = JSON.stringify({ data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] });
  return { status, headers: TEXT_TYPE, body: `${body}\n` };
}

/** A v3 gateway failure (`GRPCGatewayError`), as text with a trailing newline. */
export function gatewayError(status: number, message: string): ApiResponse {
  return { status, headers: TEXT_TYPE, body: `${JSON.stringify({ error: { httpCode: status, message } })}\n` };
}

/** Go's ServeMux answer to a path no route serves. */
export function pageNotFound(): ApiResponse {
  return { status: 404, headers: TEXT_TYPE, body: '404 page not found\n' };
}

/** Go's ServeMux answer to a served path asked with another method. */
export function methodNotAllowed(allowed: readonly string[]): ApiResponse {
  return { status: 405, headers: { ...TEXT_TYPE, allow: allowed.join(', ') }, body: 'Method Not Allowed\n' };
}
