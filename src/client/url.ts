/**
 * Server URLs: `http://host:port` or `grpc://host:port` (`https://` and `grpcs://` over TLS), with PyTriton's
 * defaults (a bare `host` is HTTP, port 8000 for HTTP and 8001 for gRPC).
 *
 * @module
 */

import { ClientValueError } from './errors.ts';

/** The protocol a client speaks. */
export type Protocol = 'http' | 'grpc';

/** A parsed server URL. */
export interface ServerUrl {
  /** `http` or `grpc`. */
  readonly protocol: Protocol;
  /** `host:port` (IPv6 hosts in brackets). */
  readonly authority: string;
  /** `http[s]://host:port` (HTTP) or `host:port` (gRPC), what the transport connects to. */
  readonly target: string;
  /** Whether the connection uses TLS (`https://`, `grpcs://`). */
  readonly tls: boolean;
}

const DEFAULT_PORT: Readonly<Record<Protocol, number>> = { http: 8000, grpc: 8001 };

/**
 * Parses a server URL; without a scheme it is HTTP, without a port the protocol's default port.
 * @throws {ClientValueError} for another scheme or a URL that does not parse.
 */
export function parseServerUrl(url: string): ServerUrl {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new ClientValueError(`invalid server URL '${url}'`);
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  const tls = scheme === 'https' || scheme === 'grpcs';
  const protocol = tls ? (scheme.slice(0, -1) as Protocol) : scheme;
  if (protocol !== 'http' && protocol !== 'grpc') {
    throw new ClientValueError(
      `unsupported scheme '${scheme}' in '${url}': use http://, https://, grpc:// or grpcs://`,
    );
  }
  const port = parsed.port === '' ? DEFAULT_PORT[protocol] : Number(parsed.port);
  const authority = `${parsed.hostname}:${port}`;
  return { protocol, authority, target: protocol === 'http' ? `${scheme}://${authority}` : authority, tls };
}
