/**
 * The OTLP/HTTP transport for `http://` collectors: each export is one `POST` written on a kept-alive TCP
 * connection, and the answer read with {@link HttpResponseReader}.
 *
 * Why not `node:http` (what the OpenTelemetry JS exporter uses): on the benchmark's traced server its client
 * costs more server CPU per traced request than this transport, and merely having `node:http`'s client active
 * in the process makes the server's own `node:http` responses slower (the two share code that then stops
 * being monomorphic). undici measured slower still inside the server. The figures are in docs/performance.md
 * ("Figures behind design choices"). `https://` collectors and gzip compression keep the OpenTelemetry JS transport.
 *
 * Outcomes follow the OpenTelemetry exporter's: 2xx is success, 429/502/503/504 and network errors are
 * retryable (with the collector's `Retry-After`), any other status fails.
 *
 * @module
 */

import { connect, type Socket } from 'node:net';
import { type ExportResponse, type IExporterTransport, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { VERSION } from '../../version.ts';
import { type HttpResponse, HttpResponseReader } from './http-response-reader.ts';

/** Options of {@link createSocketHttpTransport}. */
export interface SocketHttpTransportOptions {
  /** The collector's `http://` URL. */
  readonly url: URL;
  /** The request headers (the OpenTelemetry exporter configuration's, which include `Content-Type`). */
  readonly headers: () => Promise<Record<string, string>>;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);
/** Idle connections kept for the next exports. */
const MAX_IDLE_CONNECTIONS = 2;

/** A transport that sends OTLP requests to an `http://` collector over raw TCP connections. */
export function createSocketHttpTransport(options: SocketHttpTransportOptions): IExporterTransport {
  if (options.url.protocol !== 'http:')
    throw new Error(`the socket transport sends to http:// URLs only, not ${options.url.href}`);
  return new SocketHttpTransport(options);
}

class SocketHttpTransport implements IExporterTransport {
  readonly #url: URL;
  readonly #headers: () => Promise<Record<string, string>>;
  readonly #idle: Socket[] = [];
  #closed = false;

  constructor(options: SocketHttpTransportOptions) {
    this.#url = options.url;
    this.#headers = options.headers;
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this.#closed) return { status: 'failure', error: new Error('the exporter transport is shut down') };
    let head: Buffer;
    try {
      head = requestHead(this.#url, await this.#headers(), data.byteLength);
    } catch (error) {
      return { status: 'failure', error: error as Error };
    }
    return new Promise((resolve) => this.#exchange(head, data, timeoutMillis, resolve));
  }

  shutdown(): void {
    this.#closed = true;
    for (const socket of this.#idle.splice(0)) socket.destroy();
  }

  #exchange(head: Buffer, data: Uint8Array, timeoutMillis: number, resolve: (response: ExportResponse) => void): void {
    const socket = this.#idle.pop() ?? this.#connect();
    const reader = new HttpResponseReader();
    const finish = (response: ExportResponse, reusable: boolean): void => {
      clearTimeout(timer);
      socket.off('data', onData).off('error', onError).off('close', onClose);
      if (reusable && !this.#closed && this.#idle.length < MAX_IDLE_CONNECTIONS) {
        socket.unref();
        this.#idle.push(socket);
      } else socket.destroy();
      resolve(response);
    };
    const onData = (bytes: Buffer): void => {
      let response: HttpResponse | undefined;
      try {
        response = reader.push(bytes);
      } catch (error) {
        finish({ status: 'failure', error: error as Error }, false);
        return;
      }
      if (response !== undefined) finish(exportResponse(response), response.keepAlive);
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      const retryable = error.code !== undefined && RETRYABLE_NETWORK_ERRORS.has(error.code);
      finish(retryable ? { status: 'retryable', error } : { status: 'failure', error }, false);
    };
    const onClose = (): void => {
      const response = reader.end();
      if (response !== undefined) finish(exportResponse(response), false);
      else
        finish(
          { status: 'retryable', error: new Error('the collector closed the connection before answering') },
          false,
        );
    };
    const timer = setTimeout(
      () => finish({ status: 'retryable', error: new Error('Request timed out') }, false),
      timeoutMillis,
    );
    socket.ref();
    socket.on('data', onData).on('error', onError).on('close', onClose);
    socket.cork();
    socket.write(head);
    socket.write(data);
    socket.uncork();
  }

  #connect(): Socket {
    const socket = connect({ host: this.#url.hostname.replace(/^\[|\]$/g, ''), port: Number(this.#url.port || 80) });
    socket.setNoDelay(true);
    // While idle, a socket only needs to leave the pool when it closes; errors then are expected and ignored.
    socket.on('error', () => {});
    socket.on('close', () => {
      const at = this.#idle.indexOf(socket);
      if (at >= 0) this.#idle.splice(at, 1);
    });
    return socket;
  }
}

/** The request line and headers of a `POST` of `length` bytes. */
function requestHead(url: URL, headers: Record<string, string>, length: number): Buffer {
  let head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`;
  let userAgent = `ts-triton/${VERSION}`;
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      throw new Error(`invalid OTLP exporter header name ${JSON.stringify(name)}`);
    if (/[\r\n\0]/.test(String(value)))
      throw new Error(`invalid characters in the value of OTLP exporter header ${name}`);
    const lower = name.toLowerCase();
    if (lower === 'user-agent') userAgent = `${value} ${userAgent}`;
    else if (
      lower !== 'host' &&
      lower !== 'content-length' &&
      lower !== 'connection' &&
      lower !== 'transfer-encoding'
    ) {
      head += `${name}: ${value}\r\n`;
    }
  }
  return Buffer.from(`${head}User-Agent: ${userAgent}\r\nContent-Length: ${length}\r\n\r\n`, 'latin1');
}

function exportResponse(response: HttpResponse): ExportResponse {
  if (response.status >= 200 && response.status <= 299) return { status: 'success', data: response.body };
  const error = new OTLPExporterError(response.statusText, response.status, response.body.toString('utf8'));
  if (RETRYABLE_STATUSES.has(response.status)) {
    const retryInMillis = retryAfterMillis(response.headers.get('retry-after'));
    return retryInMillis === undefined ? { status: 'retryable', error } : { status: 'retryable', retryInMillis, error };
  }
  return { status: 'failure', error };
}

/** A `Retry-After` value (seconds, or an HTTP date) in milliseconds from now. */
export function retryAfterMillis(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
