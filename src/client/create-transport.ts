/**
 * The transport of a URL's protocol.
 *
 * @module
 */

import { GrpcTransport } from './grpc-transport.ts';
import { HttpTransport } from './http-transport.ts';
import type { ServerUrl } from './url.ts';

/** Either transport. */
export type AnyTransport = HttpTransport | GrpcTransport;

/** A new transport for `url` (HTTP or gRPC). */
export function createTransport(url: ServerUrl): AnyTransport {
  return url.protocol === 'http' ? new HttpTransport(url.target) : new GrpcTransport(url.target);
}
