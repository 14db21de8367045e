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
import type { OtlpEncoding } from '../otlp/export-response.ts';
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
