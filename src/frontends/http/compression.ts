/**
 * HTTP content codings of `/infer` and `/generate` (triton-protocol.md §3.9): decompressing a gzip or deflate request body,
 * choosing a response coding from `Accept-Encoding` q-values, and compressing a response. Decompression, and
 * compression of all but small responses, runs on libuv's thread pool (`node:zlib` streams), not on the event
 * loop.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDeflate, createGzip, createUnzip, deflateSync, gzipSync } from 'node:zlib';
import { ErrorCode, invalidArg, TritonError } from '../../errors.ts';
import { joinChunks, tooLarge } from './body.ts';

/** A content coding the server reads and writes. */
export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/** The codings a request body may use, as the `Accept-Encoding` of a 501 lists them. */
const REQUEST_CODINGS = 'gzip, deflate';

const CHUNK_SIZE = 64 * 1024;

/**
 * Largest response compressed on the event loop: a small body compresses far faster in place than through
 * the thread pool, a large one would hold the event loop too long; this is about where the two cost the same
 * (docs/performance.md, "Figures behind design choices").
 */
export const SYNC_COMPRESSION_LIMIT = 8 * 1024;

const isCoding = (value: string): value is ContentCoding =>
  value === 'identity' || value === 'gzip' || value === 'deflate';

/**
 * The coding of a request body from its `Content-Encoding` header: none or empty is `identity`; undefined for
 * a coding the server cannot read.
 */
export function requestCoding(contentEncoding: string | undefined): ContentCoding | undefined {
  if (contentEncoding === undefined) return 'identity';
  const coding = contentEncoding.trim().toLowerCase();
  if (coding === '') return 'identity';
  return isCoding(coding) ? coding : undefined;
}

/**
 * Triton's 501 for a request body in a coding the server cannot read; sets the response's `Accept-Encoding`
 * header to the codings it can.
 */
export function unsupportedCoding(res: ServerResponse): TritonError {
  res.setHeader('accept-encoding', REQUEST_CODINGS);
  return new TritonError(ErrorCode.UNSUPPORTED, 'Unsupported compression type');
}

/**
 * Decompresses a gzip or deflate (zlib) body; like Triton, either coding's header is recognised whichever was
 * declared.
 * @param limit - most decompressed bytes accepted.
 * @param alignAt - a decompressed offset to place on an 8-byte boundary (see `joinChunks`).
 * @throws {TritonError} INVALID_ARG when the body is empty or corrupt, or decompresses to more than `limit`
 *   bytes (decompression stops there).
 */
export async function decompressBody(body: Uint8Array, limit: number, alignAt?: number): Promise<Buffer> {
  if (body.byteLength === 0) throw invalidArg('nothing to be decompressed');
  const unzip = createUnzip({ chunkSize: CHUNK_SIZE });
  unzip.end(body);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of unzip as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw tooLarge(size, limit);
      chunks.push(chunk);
    }
  } catch (error) {
    unzip.destroy();
    if (error instanceof TritonError) throw error;
    throw invalidArg(`unable to decompress the request body: ${(error as Error).message}`);
  }
  return joinChunks(chunks, size, alignAt);
}

/**
 * A request body with its `Content-Encoding` undone: the body itself when not encoded (synchronously), else
 * its decompressed bytes.
 * @param limit - most decompressed bytes accepted.
 * @param alignAt - a decompressed offset to place on an 8-byte boundary (see `joinChunks`).
 * @throws {TritonError} UNSUPPORTED for a coding the server cannot read (the response then carries
 *   `Accept-Encoding`); INVALID_ARG as {@link decompressBody} does.
 */
export function decodeContentCoding(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  limit: number,
  alignAt?: number,
): Buffer | Promise<Buffer> {
  const coding = requestCoding(req.headers['content-encoding']);
  if (coding === undefined) throw unsupportedCoding(res);
  return coding === 'identity' ? body : decompressBody(body, limit, alignAt);
}

/**
 * The response coding an `Accept-Encoding` header asks for, as Triton picks it: the identity, deflate or gzip
 * entry with the highest q-value (1 when not given; the first listed on a tie); identity when none is above 0.
 * Entries with an unreadable q-value and other codings are ignored.
 */
export function responseCoding(acceptEncoding: string | undefined): ContentCoding {
  if (!acceptEncoding) return 'identity';
  if (acceptEncoding === lastAcceptEncoding.header) return lastAcceptEncoding.coding;
  const coding = parseAcceptEncoding(acceptEncoding);
  lastAcceptEncoding = { header: acceptEncoding, coding };
  return coding;
}

/** The last header parsed: a client sends the same one with every request. */
let lastAcceptEncoding: { readonly header: string; readonly coding: ContentCoding } = {
  header: '',
  coding: 'identity',
};

function parseAcceptEncoding(acceptEncoding: string): ContentCoding {
  let best: ContentCoding = 'identity';
  let bestWeight = 0;
  for (const entry of acceptEncoding.split(',')) {
    const [name = '', ...params] = entry.split(';');
    const coding = name.trim().toLowerCase();
    if (!isCoding(coding)) continue;
    const weight = qValue(params);
    if (weight > bestWeight) {
      best = coding;
      bestWeight = weight;
    }
  }
  return best;
}

/** The q-value among an entry's parameters: 1 when absent, NaN (never chosen) when unreadable. */
function qValue(params: readonly string[]): number {
  for (const param of params) {
    const [key = '', value = ''] = param.split('=');
    if (key.trim().toLowerCase() !== 'q') continue;
    const text = value.trim();
    return text === '' ? NaN : Number(text);
  }
  return 1;
}

/**
 * Compresses the parts of a response body, in order, into one gzip or deflate (zlib) stream. Bodies up to
 * {@link SYNC_COMPRESSION_LIMIT} bytes are compressed on the spot, which is quicker than a trip to the thread pool.
 * @returns the compressed chunks, to be written one after another.
 */
export async function compressBody(parts: readonly Uint8Array[], coding: 'gzip' | 'deflate'): Promise<Buffer[]> {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  if (size <= SYNC_COMPRESSION_LIMIT) {
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    return [coding === 'gzip' ? gzipSync(whole) : deflateSync(whole)];
  }
  const stream = coding === 'gzip' ? createGzip({ chunkSize: CHUNK_SIZE }) : createDeflate({ chunkSize: CHUNK_SIZE });
  for (const part of parts) stream.write(part);
  stream.end();
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return chunks;
}
