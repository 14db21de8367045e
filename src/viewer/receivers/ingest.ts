/**
 * What both OTLP receivers do with an export's bytes: decode them and add the spans to the store.
 *
 * @module
 */

import { log } from '../../logger.ts';
import type { DecodedExport } from '../otlp/decode-error.ts';
import { OtlpDecodeError } from '../otlp/decode-error.ts';
import { decodeOtlpJsonText } from '../otlp/decode-json.ts';
import { decodeOtlpProtobuf } from '../otlp/decode-protobuf.ts';
import { exportResponse, type OtlpEncoding } from '../otlp/export-response.ts';
import type { TraceStore } from '../store/trace-store.ts';

/** The outcome of one export. */
export type IngestResult =
  | { readonly ok: true; readonly accepted: number; readonly rejected: number; readonly message: string }
  | { readonly ok: false; readonly malformed: boolean; readonly message: string };

/** Decodes an export in `encoding` and stores its spans; never throws. */
export function ingest(store: TraceStore, encoding: OtlpEncoding, body: Buffer): IngestResult {
  let decoded: DecodedExport;
  try {
    decoded = encoding === 'json' ? decodeOtlpJsonText(body.toString('utf8')) : decodeOtlpProtobuf(body);
  } catch (error) {
    if (error instanceof OtlpDecodeError) {
      return { ok: false, malformed: true, message: `invalid ExportTraceServiceRequest: ${error.message}` };
    }
    log.error(`trace viewer: decoding an export failed: ${(error as Error).stack ?? String(error)}`);
    return { ok: false, malformed: false, message: 'the export could not be decoded (internal error)' };
  }
  try {
    if (decoded.spans.length > 0) store.add(decoded.spans);
  } catch (error) {
    log.error(`trace viewer: storing ${decoded.spans.length} spans failed: ${(error as Error).message}`);
    return { ok: false, malformed: false, message: `the spans could not be stored: ${(error as Error).message}` };
  }
  if (decoded.rejected > 0) log.verbose(`trace viewer: ${decoded.rejected} spans refused: ${decoded.rejectionMessage}`);
  return { ok: true, accepted: decoded.spans.length, rejected: decoded.rejected, message: decoded.rejectionMessage };
}

/** The answer to an export handed over in process, meaning what the OTLP/HTTP receiver's statuses would. */
export type InProcessExportResult =
  | { readonly ok: true; readonly response: Uint8Array }
  | { readonly ok: false; readonly retryable: boolean; readonly message: string };

/** The message for an export over the receivers' size limit (413 over HTTP). */
export function tooLargeMessage(maxBytes: number): string {
  return `the export is larger than the receiver's limit of ${maxBytes} bytes; send smaller batches`;
}

/**
 * Ingests an export handed over in process (by the server that embeds the viewer), with the OTLP/HTTP receiver's
 * size limit and answers: the `ExportTraceServiceResponse` bytes, or why it failed (not retryable, as a 400, 413 or
 * 500 is not).
 */
export function ingestInProcess(
  store: TraceStore,
  maxBytes: number,
  encoding: OtlpEncoding,
  request: Uint8Array,
): InProcessExportResult {
  if (request.byteLength > maxBytes) return { ok: false, retryable: false, message: tooLargeMessage(maxBytes) };
  const result = ingest(store, encoding, Buffer.from(request.buffer, request.byteOffset, request.byteLength));
  if (!result.ok) return { ok: false, retryable: false, message: result.message };
  return { ok: true, response: exportResponse(encoding, result.rejected, result.message) };
}
