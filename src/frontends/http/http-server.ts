/**
 * The HTTP frontend's listening socket: start, and stop with in-flight requests drained.
 *
 * @module
 */

import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsFiles } from '../../config/tls-config.ts';
import type { AddressInfo } from 'node:net';
import { createHttpHandler, type HttpContext } from './handler.ts';

/** A listening HTTP frontend. */
export interface HttpFrontend {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections and closes idle keep-alive connections. */
  stopAccepting(): void;
  /** Closes every remaining connection and resolves when the server is closed. */
  close(): Promise<void>;
}

/**
 * Starts the HTTP frontend.
 * @param ctx - the data plane and limits.
 * @param address - address to listen on.
 * @param port - port to listen on; 0 picks a free one.
 * @param tls - serve HTTPS with these files (and require client certificates when mutual).
 */
export async function startHttpFrontend(ctx: HttpContext, address: string, port: number, tls?: TlsFiles): Promise<HttpFrontend> {
  const options = { keepAliveTimeout: 65_000 };
  const handler = createHttpHandler(ctx);
  const server: Server = tls
    ? createTlsServer({ ...options, cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.mutual, rejectUnauthorized: tls.mutual }, handler)
    : createServer(options, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  let accepting = true;
  const stopAccepting = (): void => {
    if (!accepting) return;
    accepting = false;
    server.close();
    server.closeIdleConnections();
  };
  return {
    port: (server.address() as AddressInfo).port,
    stopAccepting,
    async close() {
      stopAccepting();
      server.closeAllConnections();
      await closed;
    },
  };
}
