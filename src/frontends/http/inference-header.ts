/**
 * The `Inference-Header-Content-Length` request header of the binary tensor data extension: how many bytes at
 * the start of the body are the JSON header (0 for a raw binary request).
 *
 * @module
 */

import type { IncomingHttpHeaders } from 'node:http';
import { invalidArg } from '../../errors.ts';
import { requestCoding } from './compression.ts';

/** The header's name, as `node:http` lower-cases it. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

const INTEGER = /^\s*[+-]?\d+\s*$/;

/**
 * The JSON header's length, checked against the (decompressed) body: undefined when the header is absent (the
 * whole body is JSON), 0 for a raw binary request (the whole body is the one input's data).
 * @param value - the header's value.
 * @param bodyLength - the body's length in bytes.
 * @throws {TritonError} INVALID_ARG with Triton's message when the value is not an integer or is outside
 *   [0, bodyLength].
 */
export function inferenceHeaderLength(value: string | undefined, bodyLength: number): number | undefined {
  if (value === undefined) return undefined;
  if (!INTEGER.test(value)) throw invalidArg(`Unable to parse Inference-Header-Content-Length, got: ${value}`);
  const length = Number(value);
  if (length < 0 || length > bodyLength) {
    throw invalidArg(`inference header size should be in range (0, ${bodyLength}), got: ${value}`);
  }
  return length;
}

/**
 * Where binary tensor data starts in a request body, to read the body aligned for it: the header's value when it
 * is a plain non-negative integer; undefined when the header is absent or malformed (decoding reports that).
 * @param decompressed - whether the offset is wanted for the decompressed body (the header counts decompressed
 *   bytes) rather than for the body as it arrives; undefined when the body is not in that state.
 */
export function binaryDataOffset(headers: IncomingHttpHeaders, decompressed = false): number | undefined {
  const value = headers[INFERENCE_HEADER_CONTENT_LENGTH];
  if (typeof value !== 'string' || !INTEGER.test(value)) return undefined;
  const compressed = requestCoding(headers['content-encoding']) !== 'identity';
  if (compressed !== decompressed) return undefined;
  const offset = Number(value);
  return offset >= 0 ? offset : undefined;
}
