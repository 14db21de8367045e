/**
 * The trace of one request as a frontend sees it: the core's hooks plus the frontend's own timestamps.
 *
 * @module
 */

import type { RequestTrace } from '../core/trace-hooks.ts';

/** Which frontend received the request; it decides the names of the root span's events. */
export type FrontendProtocol = 'HTTP' | 'GRPC';

/** A traced request, from receipt to the last byte of its response. */
export interface FrontendTrace extends RequestTrace {
  /** The whole request was read (HTTP_RECV_END / GRPC_WAITREAD_END). */
  received(ns: bigint): void;
  /** The response is ready (INFER_RESPONSE_COMPLETE, then REQUEST_END on the model span). */
  responseComplete(ns: bigint): void;
  /** Writing the response starts (HTTP_SEND_START / GRPC_SEND_START). */
  sendStart(ns: bigint): void;
  /** The response was written (HTTP_SEND_END / GRPC_SEND_END); the trace is complete. */
  sendEnd(ns: bigint): void;
  /**
   * The request failed (answered with an error, refused, cancelled, timed out) at `ns`: its spans that are
   * still open end in error. Reported before `responseComplete`.
   */
  failed?(error: unknown, ns: bigint): void;
  /** Where the request came in (called once, right after the trace starts, by frontends that know it). */
  describe?(endpoint: RequestEndpoint): void;
  /** The status the request was answered with (HTTP status, or gRPC status code), before `sendEnd`. */
  answered?(status: number): void;
}

/** Where a request came in, as the frontend saw it (the OpenTelemetry HTTP and RPC server attributes). */
export interface RequestEndpoint {
  /** HTTP: the method, the route template, the URL's path. */
  readonly method?: string;
  readonly route?: string;
  readonly path?: string;
  /** gRPC: the service and method called. */
  readonly rpcService?: string;
  readonly rpcMethod?: string;
  /** The server's address and port as the client named them, and the client's address. */
  readonly serverAddress?: string;
  readonly serverPort?: number;
  readonly clientAddress?: string;
}

const NO_HOST = Object.freeze({ address: undefined, port: undefined });
/** Split `host[:port]` values, by value (a server sees few). */
const splitHosts = new Map<string, { readonly address: string | undefined; readonly port: number | undefined }>();
const KEPT_HOSTS = 64;

/**
 * `host[:port]` (or `[v6]:port`, or grpc-js's `ipv4:`/`ipv6:` forms) split into its address and port (the
 * port undefined when absent or not a number).
 */
export function splitHostPort(value: string | undefined): {
  readonly address: string | undefined;
  readonly port: number | undefined;
} {
  if (!value) return NO_HOST;
  let split = splitHosts.get(value);
  if (split === undefined) {
    split = Object.freeze(splitOnce(value));
    if (splitHosts.size < KEPT_HOSTS) splitHosts.set(value, split);
  }
  return split;
}

function splitOnce(value: string): { address: string | undefined; port: number | undefined } {
  const text = value.replace(/^ipv[46]:/, '');
  const match = /^\[([^\]]*)\](?::(\d+))?$/.exec(text) ?? /^([^:]*)(?::(\d+))?$/.exec(text);
  if (match === null) return { address: text, port: undefined };
  return { address: match[1], port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** Triton's event names for each protocol. */
export const FRONTEND_EVENTS: Readonly<
  Record<FrontendProtocol, { recvStart: string; recvEnd: string; sendStart: string; sendEnd: string }>
> = {
  HTTP: {
    recvStart: 'HTTP_RECV_START',
    recvEnd: 'HTTP_RECV_END',
    sendStart: 'HTTP_SEND_START',
    sendEnd: 'HTTP_SEND_END',
  },
  GRPC: {
    recvStart: 'GRPC_WAITREAD_START',
    recvEnd: 'GRPC_WAITREAD_END',
    sendStart: 'GRPC_SEND_START',
    sendEnd: 'GRPC_SEND_END',
  },
};
