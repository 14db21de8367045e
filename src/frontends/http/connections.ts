/**
 * The HTTP frontend's connections and requests in progress: a cap on open connections, and draining at
 * shutdown.
 *
 * - Cap: at most `maxConnections` connections are open. A new connection over the cap closes the oldest one
 *   with no request in progress (a client that connected and sends nothing, or trickles its headers, or an
 *   idle keep-alive connection), so clients that hold connections open cannot lock others out, and the
 *   process stays below its open-file limit (past it, the kernel's accept fails and every client is turned
 *   away). When every connection has a request in progress, the new one is answered 503 and closed.
 * - Draining: once `drain()` is called, responses in progress carry `Connection: close`, and every request
 *   that arrives later, on a new connection or an open one, is answered 503 with `Connection: close` (never
 *   reset); `settled()` resolves when every accepted request has been answered.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode, TritonError } from '../../errors.ts';
import { sendError } from './body.ts';

/** The answer to a connection over the cap when no connection can make room. */
const OVER_CAP_BODY = '{"error":"too many connections: every connection has a request in progress"}';
const OVER_CAP_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: application/json\r\n' +
  `content-length: ${Buffer.byteLength(OVER_CAP_BODY)}\r\n\r\n${OVER_CAP_BODY}`;

/** The error of a request that arrives while the server shuts down. */
const SHUTTING_DOWN = 'Server is shutting down: no new requests are accepted';

/** The connection cap when the open-file limit cannot be read. */
const FALLBACK_MAX_CONNECTIONS = 1024;

/**
 * The default connection cap: three quarters of the process's open-file limit (Linux's `/proc/self/limits`),
 * leaving the rest for the gRPC frontend, trace files and exporters; {@link FALLBACK_MAX_CONNECTIONS} when
 * the limit cannot be read or is unlimited.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return FALLBACK_MAX_CONNECTIONS;
  }
  const soft = /^Max open files\s+(\d+)/m.exec(text)?.[1];
  if (soft === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(Math.floor((Number(soft) * 3) / 4), 1);
}

/** A connection's response in progress; Node sets it (its own `closeIdleConnections` reads it). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * The connections of one HTTP server; see the module comment.
 *
 * Only counts are kept per request: a long-lived collection holding each response in progress made the young
 * generation's collections copy and promote far more (docs/performance.md).
 */
export class HttpConnections {
  readonly #max: number;
  /** Open connections, oldest first, with how many of their requests are in progress. */
  readonly #sockets = new Map<HttpSocket, number>();
  /** Requests accepted and not yet answered. */
  #inProgress = 0;
  #draining = false;
  #onSettled: (() => void) | undefined;

  /**
   * Watches `server`'s connections.
   * @param maxConnections - the cap (at least 1).
   * @param secure - an HTTPS server: its requests arrive on the TLS socket, which exists once the handshake is done.
   */
  constructor(server: Server, maxConnections: number, secure = false) {
    this.#max = Math.max(maxConnections, 1);
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => this.#onConnection(socket));
  }

  /** How many connections are open. */
  get size(): number {
    return this.#sockets.size;
  }

  #onConnection(socket: Socket): void {
    if (this.#sockets.size >= this.#max && !this.#evictOne()) {
      socket.end(OVER_CAP_RESPONSE);
      return;
    }
    this.#sockets.set(socket, 0);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Closes the oldest connection with no request in progress; false when there is none. */
  #evictOne(): boolean {
    for (const [socket, busy] of this.#sockets) {
      if (busy > 0) continue;
      this.#sockets.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  }

  /**
   * Registers a request; false when it was answered here (503 while draining) and must not be handled.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#draining) {
      res.shouldKeepAlive = false;
      sendError(res, new TritonError(ErrorCode.UNAVAILABLE, SHUTTING_DOWN), { connection: 'close' });
      req.resume();
      return false;
    }
    const socket = req.socket;
    const busy = this.#sockets.get(socket);
    if (busy !== undefined) this.#sockets.set(socket, busy + 1);
    this.#inProgress++;
    res.once('close', () => this.#answered(socket));
    return true;
  }

  #answered(socket: Socket): void {
    this.#inProgress--;
    const busy = this.#sockets.get(socket);
    if (busy !== undefined) this.#sockets.set(socket, busy - 1);
    if (this.#draining) {
      if (busy === 1) socket.end();
      if (this.#inProgress === 0) this.#onSettled?.();
    }
  }

  /** The responses in progress that are their connection's current one (pipelined ones wait behind them). */
  *#current(): Generator<ServerResponse> {
    for (const [socket, busy] of this.#sockets) {
      const res = socket._httpMessage;
      if (busy > 0 && res) yield res;
    }
  }

  /**
   * Starts draining: responses in progress will close their connection, and new requests are answered 503.
   * Idle connections stay open until the server closes, so that a request sent on one meanwhile gets its 503
   * rather than a reset.
   */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const res of this.#current()) {
      res.shouldKeepAlive = false;
      if (!res.headersSent) res.setHeader('connection', 'close');
    }
  }

  /** Resolves once every accepted request has been answered (call after {@link drain}). */
  settled(): Promise<void> {
    if (this.#inProgress === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#onSettled;
      this.#onSettled = () => {
        previous?.();
        resolve();
      };
    });
  }

  /**
   * Answers every request still in progress whose response has not started with 503 naming `reason`, and
   * closes their connections once that is written.
   */
  answerRemaining(reason: string): void {
    for (const res of this.#current()) {
      if (res.headersSent) continue;
      sendError(res, new TritonError(ErrorCode.UNAVAILABLE, reason), { connection: 'close' });
    }
  }
}
