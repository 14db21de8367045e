/**
 * The HTTP frontend's listening socket: start with its connection cap and timeouts, and stop with accepted
 * requests answered.
 *
 * @module
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsFiles } from '../../config/tls-config.ts';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { nowMs, settledBy } from '../../core/clock.ts';
import { HttpConnections } from './connections.ts';
import { createHttpHandler, type HttpContext } from './handler.ts';

/** A listening HTTP frontend. */
export interface HttpFrontend {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  /**
   * Starts draining: requests that arrive later are answered 503 with `Connection: close`; requests in
   * progress go on and close their connection when answered.
   */
  stopAccepting(): void;
  /**
   * Waits until every accepted request is answered, at most until `deadline` (`performance.now()` time):
   * then the ones not yet answered get a 503, and every connection is closed. Resolves when the server is closed.
   */
  close(deadline?: number): Promise<void>;
}

/** Connection limits of the HTTP frontend. */
export interface HttpLimits {
  /** Most open connections. */
  readonly maxConnections: number;
  /** Most milliseconds for a request's headers to arrive; 0 for no limit. */
  readonly headersTimeoutMs: number;
  /** Most milliseconds for a whole request to arrive; 0 for no limit. */
  readonly requestTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
}

/** How often the header and request timeouts are checked. */
const TIMEOUT_CHECK_MS = 1000;

/** Time kept at the end of a shutdown to write the 503 of requests not answered by then. */
const FLUSH_MS = 100;

/**
 * Starts the HTTP frontend.
 * @param ctx - the data plane and limits.
 * @param address - address to listen on.
 * @param port - port to listen on; 0 picks a free one.
 * @param limits - the connection cap and timeouts.
 * @param tls - serve HTTPS with these files (and require client certificates when mutual).
 */
export async function startHttpFrontend(
  ctx: HttpContext,
  address: string,
  port: number,
  limits: HttpLimits,
  tls?: TlsFiles,
): Promise<HttpFrontend> {
  const handler = createHttpHandler(ctx);
  let connections: HttpConnections | undefined;
  const options = {
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    // Node answers an HTTP/1.1 request without Host with a bare 400; Triton serves it.
    requireHostHeader: false,
  };
  const admitted = (req: IncomingMessage, res: ServerResponse): void => {
    if (connections!.admit(req, res)) handler(req, res);
  };
  const server: Server = tls
    ? createTlsServer(
        {
          ...options,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          requestCert: tls.mutual,
          rejectUnauthorized: tls.mutual,
        },
        admitted,
      )
    : createServer(options, admitted);
  connections = new HttpConnections(server, limits.maxConnections, tls !== undefined);
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closed = new Promise<void>((resolve) => server.once('close', resolve));
  const stopAccepting = (): void => connections.drain();
  return {
    port: (server.address() as AddressInfo).port,
    stopAccepting,
    async close(deadline = nowMs()) {
      stopAccepting();
      const answered = await settledBy(connections.settled(), deadline - FLUSH_MS);
      if (!answered) {
        connections.answerRemaining(
          'Server is shutting down: the exit timeout expired before the request was answered',
        );
        await settledBy(connections.settled(), deadline);
      }
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Answers a request the HTTP parser rejects (malformed, headers too large, too slow) with a status and a JSON
 * message naming the parser's error, as every other rejection has, then closes the connection.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout']
        : [400, 'Bad Request'];
  const body = JSON.stringify({ error: `malformed HTTP request (${error.code ?? 'unknown'}): ${error.message}` });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
