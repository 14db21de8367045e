/**
 * What the OTLP receivers answer: `ExportTraceServiceResponse` (with `partial_success` when spans were refused)
 * and `google.rpc.Status` for a failed export, in protobuf or OTLP/JSON as the request was.
 *
 * @module
 */

import { putVarint, varintSize } from '../../wire/varint.ts';

/** google.rpc.Code values the receivers use. */
export const RpcCode = { INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

/** The encoding of a request, and so of its answer. */
export type OtlpEncoding = 'protobuf' | 'json';

/** `tag, length, bytes` of a length-delimited field. */
function delimited(field: number, content: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(content.length) + content.length);
  out[0] = (field << 3) | 2;
  const at = putVarint(out, 1, content.length);
  out.set(content, at);
  return out;
}

function varintField(field: number, value: number): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(value));
  out[0] = field << 3;
  putVarint(out, 1, value);
  return out;
}

/** An `ExportTraceServiceResponse`: empty, or with `partial_success` when `rejected` > 0. */
export function exportResponse(encoding: OtlpEncoding, rejected: number, message: string): Buffer {
  if (encoding === 'json') {
    const body = rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  if (rejected === 0) return Buffer.alloc(0);
  const partial = Buffer.concat([varintField(1, rejected), delimited(2, Buffer.from(message))]);
  return delimited(1, partial);
}

/** A `google.rpc.Status` with `code` and `message`. */
export function rpcStatus(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.concat([varintField(1, code), delimited(2, Buffer.from(message))]);
}

/** The Content-Type of an answer in `encoding`. */
export function contentType(encoding: OtlpEncoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}
