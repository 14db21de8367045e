/**
 * Reading a bounded request body, for the viewer's HTTP server and its OTLP/HTTP receiver.
 *
 * @module
 */

import type { IncomingMessage } from 'node:http';

/** Reads the body, up to `limit` bytes; undefined (the connection is left to be closed) when longer. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
    // A client gone before the end of its body: nothing to answer, and nothing left waiting.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before the end of the body'));
    });
  });
}
