/**
 * Reading a request body with a size limit, and writing responses.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidArg, TritonError } from '../../errors.ts';
import { markRequestOwned } from '../../core/worker/transfer.ts';

/** Triton's error for a request body (or decompressed body) of `size` bytes over the `limit`. */
export function tooLarge(size: number, limit: number): TritonError {
  return invalidArg(
    `request JSON size of ${size} bytes exceeds the maximum allowed input size of ${limit} bytes. ` +
      'Use httpMaxInputSize (TS_TRITON_HTTP_MAX_INPUT_SIZE) to increase the limit.',
  );
}

/**
 * Reads the whole body of `req`.
 * @param limit - most bytes accepted.
 * @param alignAt - a body offset to place on an 8-byte boundary (see {@link joinChunks}).
 * @throws {TritonError} INVALID_ARG when the body is larger than `limit`.
 */
export function readBody(req: IncomingMessage, limit: number, alignAt?: number): Promise<Buffer> {
  return new Promise((resolve, reject) => collectBody(req, limit, alignAt, resolve, reject));
}

/**
 * {@link readBody} with callbacks: exactly one of `done` and `fail` is called, from the request's events (or
 * at once, for a declared length over the limit). Saves the inference path a promise hop per request.
 */
export function collectBody(
  req: IncomingMessage,
  limit: number,
  alignAt: number | undefined,
  done: (body: Buffer) => void,
  fail: (error: unknown) => void,
): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return fail(tooLarge(declared, limit));
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else {
      cleanup();
      req.resume();
      fail(tooLarge(size, limit));
    }
  };
  const onEnd = (): void => {
    cleanup();
    done(joinChunks(chunks, size, alignAt));
  };
  const onError = (error: Error): void => {
    cleanup();
    fail(error);
  };
  const cleanup = (): void => {
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
  };
  const onClose = (): void => onError(new Error('the client closed the connection before sending the whole request'));
  req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
}

/**
 * Joins a body's chunks into one buffer. With `alignAt` (where binary tensor data starts), the body is placed so
 * that its byte `alignAt` falls on an 8-byte boundary of the underlying memory, which lets typed arrays view the
 * tensors instead of copying them: a single chunk already placed so is returned as is, anything else is copied
 * once into fresh memory (as joining several chunks copies anyway).
 */
export function joinChunks(chunks: readonly Buffer[], size: number, alignAt?: number): Buffer {
  if (alignAt === undefined || alignAt > size)
    return chunks.length === 1 ? chunks[0]! : owned(Buffer.concat(chunks, size));
  if (chunks.length === 1 && (chunks[0]!.byteOffset + alignAt) % 8 === 0) return chunks[0]!;
  const pad = (8 - (alignAt % 8)) % 8;
  const memory = Buffer.allocUnsafeSlow(pad + size);
  memory.fill(0, 0, pad);
  const body = memory.subarray(pad);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return owned(body);
}

/** `body`, its memory marked as this request's alone (a worker instance may then take it without a copy). */
function owned(body: Buffer): Buffer {
  markRequestOwned(body.buffer);
  return body;
}

/**
 * Parses a JSON body.
 * @throws {TritonError} INVALID_ARG with the parser's message.
 */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw invalidArg(`failed to parse the request JSON buffer: ${(error as Error).message}`);
  }
}

/** Sends a JSON body (already serialized). */
export function sendJson(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** Sends a status with an empty body. */
export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}

/** Sends Triton's error body `{"error": message}` with the error's HTTP status. */
export function sendError(res: ServerResponse, error: unknown, extraHeaders?: Record<string, string>): void {
  const e = TritonError.from(error);
  const json = JSON.stringify({ error: e.message });
  if (res.headersSent) {
    // A response already answered (e.g. 503 at shutdown) stays as it is; one cut midway is cut off.
    if (!res.writableEnded) res.destroy(e);
    return;
  }
  res.writeHead(e.httpStatus, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    ...extraHeaders,
  });
  res.end(json);
}
