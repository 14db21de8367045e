/**
 * One `POST /v2/models/{m}/infer` exchange: reads the body in whichever form the client sent it (plain or
 * gzip/deflate; JSON, JSON followed by binary tensor data, or raw binary) and writes the response in the form
 * the request asked for (JSON, or JSON followed by binary outputs; compressed when `Accept-Encoding` asks).
 *
 * For a plain JSON request the extra work is a few header lookups: decoding and writing stay synchronous unless
 * a body is to be decompressed or compressed.
 *
 * @module
 */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { InferenceRequest, InferenceResult } from '../../core/inference-request.ts';
import type { ModelInfo } from '../../core/request.ts';
import { log } from '../../logger.ts';
import { BinaryBlobs } from '../../protocol/binary-blobs.ts';
import {
  BINARY_OUTPUTS,
  type BinaryOutputChoice,
  decodeBinaryOutputChoice,
  JSON_OUTPUTS,
} from '../../protocol/binary-outputs.ts';
import { decodeInferRequest, encodeInferResponseParts, type InferTarget } from '../../protocol/json-infer.ts';
import { decodeRawBinaryRequest } from '../../protocol/raw-binary-request.ts';
import { parseJsonBody, sendJson } from './body.ts';
import { compressBody, decodeContentCoding, responseCoding } from './compression.ts';
import { binaryDataOffset, INFERENCE_HEADER_CONTENT_LENGTH, inferenceHeaderLength } from './inference-header.ts';

/** Reads an `/infer` request body and writes its response, keeping what the request asked for in between. */
export class InferExchange {
  readonly #model: ModelInfo;
  readonly #target: InferTarget;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #maxInputSize: number;
  #outputs: BinaryOutputChoice = JSON_OUTPUTS;

  /**
   * @param model - the model the request is for (a raw binary request's shape comes from it).
   * @param target - the model name and version from the URL.
   * @param maxInputSize - most bytes a decompressed body may have.
   */
  constructor(model: ModelInfo, target: InferTarget, req: IncomingMessage, res: ServerResponse, maxInputSize: number) {
    this.#model = model;
    this.#target = target;
    this.#req = req;
    this.#res = res;
    this.#maxInputSize = maxInputSize;
  }

  /**
   * Decodes the request body, remembering which outputs the response sends as binary. Synchronous unless the
   * body is compressed.
   * @throws {TritonError} UNSUPPORTED for a coding the server cannot read (the response then carries
   *   `Accept-Encoding`); INVALID_ARG for a body that is too large, malformed or whose binary data does not add up.
   */
  decode(body: Buffer): InferenceRequest | Promise<InferenceRequest> {
    const alignAt = binaryDataOffset(this.#req.headers, true);
    const plain = decodeContentCoding(this.#req, this.#res, body, this.#maxInputSize, alignAt);
    return plain instanceof Promise ? plain.then((decoded) => this.#decodePlain(decoded)) : this.#decodePlain(plain);
  }

  #decodePlain(body: Buffer): InferenceRequest {
    const header = this.#req.headers[INFERENCE_HEADER_CONTENT_LENGTH] as string | undefined;
    const headerLength = inferenceHeaderLength(header, body.byteLength);
    if (headerLength === 0) {
      this.#outputs = BINARY_OUTPUTS;
      return decodeRawBinaryRequest(body, this.#model, this.#target);
    }
    const json = parseJsonBody(headerLength === undefined ? body : body.subarray(0, headerLength));
    const blobs = headerLength === undefined ? undefined : new BinaryBlobs(body, headerLength, this.#target.modelName);
    const request = decodeInferRequest(json, this.#target, blobs);
    blobs?.finish();
    this.#outputs = decodeBinaryOutputChoice(json);
    return request;
  }

  /**
   * Writes the response: the JSON, then the binary outputs' bytes straight from their arrays (never joined into
   * one buffer), compressed when the client accepts gzip or deflate (and sent uncompressed if that fails).
   * Synchronous unless compressing.
   * @throws {TritonError} for an FP16/BF16 output left in JSON (before anything is written).
   */
  send(result: InferenceResult): void | Promise<void> {
    const { json, blobs, hasBinary } = encodeInferResponseParts(result, this.#outputs);
    const coding = responseCoding(this.#req.headers['accept-encoding']);
    if (!hasBinary && coding === 'identity') return sendJson(this.#res, 200, json);
    const jsonBytes = Buffer.from(json);
    const headers: OutgoingHttpHeaders = {
      'content-type': hasBinary ? 'application/octet-stream' : 'application/json',
    };
    if (hasBinary) headers[INFERENCE_HEADER_CONTENT_LENGTH] = jsonBytes.byteLength;
    const parts = blobs.length === 0 ? [jsonBytes] : [jsonBytes, ...blobs];
    if (coding === 'identity') return writeParts(this.#res, headers, parts);
    return this.#sendCompressed(headers, parts, coding);
  }

  async #sendCompressed(
    headers: OutgoingHttpHeaders,
    parts: readonly Uint8Array[],
    coding: 'gzip' | 'deflate',
  ): Promise<void> {
    let body = parts;
    try {
      body = await compressBody(parts, coding);
      headers['content-encoding'] = coding;
    } catch (error) {
      log.verbose(`unable to compress response: ${(error as Error).message}`);
    }
    writeParts(this.#res, headers, body);
  }
}

/** Writes a 200 response whose body is `parts` one after another, in as few socket writes as Node allows. */
function writeParts(res: ServerResponse, headers: OutgoingHttpHeaders, parts: readonly Uint8Array[]): void {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  res.writeHead(200, { ...headers, 'content-length': length });
  if (parts.length === 1) {
    res.end(parts[0]);
    return;
  }
  res.cork();
  for (const part of parts) res.write(part);
  res.end();
}
