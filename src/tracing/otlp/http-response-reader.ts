/**
 * Reads one HTTP/1.1 response from the bytes of a connection, as they arrive: the status line, the headers,
 * and a body delimited by `content-length`, by chunked transfer coding, or by the end of the connection.
 * Interim (1xx) responses are skipped. What the OTLP exporter's own socket transport needs of HTTP, no more.
 *
 * @module
 */

/** A complete response. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Header values by lowercase name (repeated headers joined with `, `). */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** Whether the connection can carry another request. */
  readonly keepAlive: boolean;
}

/** The most header bytes a response may have. */
const MAX_HEAD_BYTES = 64 * 1024;
/** The largest body read (the OpenTelemetry JS exporter's limit too). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

type BodyFraming = { readonly kind: 'length'; readonly length: number } | { readonly kind: 'chunked' | 'close' };

interface Head {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Map<string, string>;
  readonly keepAlive: boolean;
  readonly framing: BodyFraming;
}

/** Parses one response; throws an `Error` saying what is wrong when the bytes are not HTTP/1.x. */
export class HttpResponseReader {
  #pending: Buffer = Buffer.alloc(0);
  #head: Head | undefined;
  readonly #body: Buffer[] = [];
  #bodyBytes = 0;
  /** Chunked coding: all chunks read, the trailer section is next. */
  #inTrailers = false;

  /** Takes the next bytes of the connection; returns the response once it is complete. */
  push(bytes: Buffer): HttpResponse | undefined {
    this.#pending = this.#pending.length === 0 ? bytes : Buffer.concat([this.#pending, bytes]);
    for (;;) {
      if (this.#head === undefined && !this.#readHead()) return undefined;
      const head = this.#head!;
      if (head.status >= 100 && head.status < 200) {
        this.#head = undefined;
        continue;
      }
      switch (head.framing.kind) {
        case 'length':
          return this.#readLengthBody(head, head.framing.length);
        case 'chunked':
          return this.#readChunks(head);
        case 'close':
          this.#append(this.#pending);
          this.#pending = Buffer.alloc(0);
          return undefined;
      }
    }
  }

  /** The connection ended: the response, if the bytes so far complete one. */
  end(): HttpResponse | undefined {
    const head = this.#head;
    return head?.framing.kind === 'close' ? this.#response(head) : undefined;
  }

  #readHead(): boolean {
    const end = this.#pending.indexOf(HEAD_END);
    if (end > MAX_HEAD_BYTES || (end < 0 && this.#pending.length > MAX_HEAD_BYTES)) {
      throw new Error('HTTP response headers are too large');
    }
    if (end < 0) return false;
    const lines = this.#pending.toString('latin1', 0, end).split('\r\n');
    this.#pending = this.#pending.subarray(end + HEAD_END.length);
    const match = STATUS_LINE.exec(lines[0]!);
    if (match === null) throw new Error(`not an HTTP/1.x response: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed HTTP response header: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const previous = headers.get(name);
      headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
    }
    const status = Number(match[2]);
    const connection = headers.get('connection')?.toLowerCase() ?? '';
    const keepAlive = match[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const framing = bodyFraming(status, headers);
    this.#head = {
      status,
      statusText: match[3] ?? '',
      headers,
      keepAlive: keepAlive && framing.kind !== 'close',
      framing,
    };
    return true;
  }

  #readLengthBody(head: Head, length: number): HttpResponse | undefined {
    if (length > MAX_BODY_BYTES)
      throw new Error(`HTTP response body of ${length} bytes exceeds the limit of ${MAX_BODY_BYTES}`);
    if (this.#pending.length < length) return undefined;
    this.#append(this.#pending.subarray(0, length));
    return this.#response(head);
  }

  #readChunks(head: Head): HttpResponse | undefined {
    for (;;) {
      const lineEnd = this.#pending.indexOf(LINE_END);
      if (lineEnd < 0) return undefined;
      if (this.#inTrailers) {
        this.#pending = this.#pending.subarray(lineEnd + LINE_END.length);
        if (lineEnd === 0) return this.#response(head);
        continue;
      }
      const sizeText = this.#pending.toString('latin1', 0, lineEnd).split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText))
        throw new Error(`malformed chunk size in HTTP response: ${JSON.stringify(sizeText)}`);
      const size = Number.parseInt(sizeText, 16);
      if (size === 0) {
        this.#pending = this.#pending.subarray(lineEnd + LINE_END.length);
        this.#inTrailers = true;
        continue;
      }
      const dataStart = lineEnd + LINE_END.length;
      if (this.#pending.length < dataStart + size + LINE_END.length) return undefined;
      this.#append(this.#pending.subarray(dataStart, dataStart + size));
      this.#pending = this.#pending.subarray(dataStart + size + LINE_END.length);
    }
  }

  #append(bytes: Buffer): void {
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > MAX_BODY_BYTES)
      throw new Error(`HTTP response body exceeds the limit of ${MAX_BODY_BYTES} bytes`);
    if (bytes.length > 0) this.#body.push(bytes);
  }

  #response(head: Head): HttpResponse {
    return {
      status: head.status,
      statusText: head.statusText,
      headers: head.headers,
      body: this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body),
      keepAlive: head.keepAlive,
    };
  }
}

function bodyFraming(status: number, headers: ReadonlyMap<string, string>): BodyFraming {
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return { kind: 'length', length: 0 };
  if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) return { kind: 'chunked' };
  const contentLength = headers.get('content-length');
  if (contentLength === undefined) return { kind: 'close' };
  if (!/^\d+$/.test(contentLength))
    throw new Error(`malformed content-length in HTTP response: ${JSON.stringify(contentLength)}`);
  return { kind: 'length', length: Number(contentLength) };
}
