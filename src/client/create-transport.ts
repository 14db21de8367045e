/**
 * The transport of a URL's protocol.
 *
 * @module
 */

import { GrpcTransport } from './grpc-transport.ts';
import { HttpTransport } from './http-transport.ts';
import type { ClientTlsOptions } from './client-options.ts';
import { ClientValueError } from './errors.ts';
import type { ServerUrl } from './url.ts';

/** Either transport. */
export type AnyTransport = HttpTransport | GrpcTransport;

/**
 * A new transport for `url` (HTTP or gRPC, over TLS for `https://` and `grpcs://`), sending `headers` with every call.
 * @throws {ClientValueError} for TLS settings with a URL that does not use TLS, or a certificate without its key.
 */
export function createTransport(
  url: ServerUrl,
  tls?: ClientTlsOptions,
  headers?: Readonly<Record<string, string>>,
): AnyTransport {
  if (tls && !url.tls)
    throw new ClientValueError(`TLS settings need an https:// or grpcs:// URL; got ${url.protocol}://${url.authority}`);
  if (tls && (tls.cert === undefined) !== (tls.key === undefined))
    throw new ClientValueError('TLS settings need both cert and key, or neither');
  const secure = url.tls ? (tls ?? {}) : undefined;
  return url.protocol === 'http'
    ? new HttpTransport(url.target, secure, headers)
    : new GrpcTransport(url.target, secure, headers);
}
