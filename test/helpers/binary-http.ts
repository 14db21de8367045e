/**
 * Test helpers for the binary tensor data extension: raw HTTP exchanges (no automatic Accept-Encoding, the body
 * as bytes) and little-endian tensor encoders written independently of the server's own.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';

/** A response with its body as bytes. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** POSTs `body` to `http://127.0.0.1:{port}{path}` with exactly `headers` (plus Host and Content-Length). */
export function postRaw(
  port: number,
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request body of a JSON header followed by `blobs`, and the header value giving the JSON's length. */
export function binaryBody(
  json: unknown,
  blobs: readonly Uint8Array[],
  padJsonTo?: number,
): { body: Buffer; headers: Record<string, string> } {
  let text = JSON.stringify(json);
  if (padJsonTo !== undefined) text = text.padEnd(padJsonTo, ' ');
  const header = Buffer.from(text, 'utf8');
  return {
    body: Buffer.concat([header, ...blobs]),
    headers: { 'inference-header-content-length': String(header.length), 'content-type': 'application/octet-stream' },
  };
}

/** The parts of a response: its JSON header (parsed) and the blob of each binary output, by name. */
export interface BinaryResponse {
  readonly json: {
    outputs: {
      name: string;
      datatype: string;
      shape: number[];
      data?: unknown;
      parameters?: { binary_data_size: number };
    }[];
  } & Record<string, unknown>;
  readonly blobs: ReadonlyMap<string, Buffer>;
}

/** Splits a response body at `Inference-Header-Content-Length` (the whole body is JSON without it). */
export function splitBinaryResponse(response: RawResponse): BinaryResponse {
  const header = response.headers['inference-header-content-length'];
  const jsonLength = header === undefined ? response.body.length : Number(header);
  const json = JSON.parse(response.body.subarray(0, jsonLength).toString('utf8')) as BinaryResponse['json'];
  const blobs = new Map<string, Buffer>();
  let offset = jsonLength;
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs.set(output.name, response.body.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== response.body.length) throw new Error(`response has ${response.body.length - offset} unclaimed bytes`);
  return { json, blobs };
}

type Writer = (buffer: Buffer, value: never, offset: number) => void;

const WRITERS: Readonly<Record<string, { size: number; write: Writer }>> = {
  BOOL: { size: 1, write: (b, v: boolean, o) => b.writeUInt8(v ? 1 : 0, o) },
  UINT8: { size: 1, write: (b, v: number, o) => b.writeUInt8(v, o) },
  UINT16: { size: 2, write: (b, v: number, o) => b.writeUInt16LE(v, o) },
  UINT32: { size: 4, write: (b, v: number, o) => b.writeUInt32LE(v, o) },
  UINT64: { size: 8, write: (b, v: bigint, o) => b.writeBigUInt64LE(v, o) },
  INT8: { size: 1, write: (b, v: number, o) => b.writeInt8(v, o) },
  INT16: { size: 2, write: (b, v: number, o) => b.writeInt16LE(v, o) },
  INT32: { size: 4, write: (b, v: number, o) => b.writeInt32LE(v, o) },
  INT64: { size: 8, write: (b, v: bigint, o) => b.writeBigInt64LE(v, o) },
  FP16: { size: 2, write: (b, v: number, o) => b.writeUInt16LE(v, o) },
  BF16: { size: 2, write: (b, v: number, o) => b.writeUInt16LE(v, o) },
  FP32: { size: 4, write: (b, v: number, o) => b.writeFloatLE(v, o) },
  FP64: { size: 8, write: (b, v: number, o) => b.writeDoubleLE(v, o) },
};

/**
 * Little-endian bytes of `values` as `dtype` (FP16/BF16 values are bit patterns; BYTES values are strings or
 * byte arrays, each behind a 4-byte length).
 */
export function tensorBytes(dtype: string, values: readonly unknown[]): Buffer {
  if (dtype === 'BYTES') {
    return Buffer.concat(
      values.map((v) => {
        const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v as Uint8Array);
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return Buffer.concat([length, bytes]);
      }),
    );
  }
  const { size, write } = WRITERS[dtype]!;
  const out = Buffer.alloc(size * values.length);
  values.forEach((v, i) => write(out, v as never, i * size));
  return out;
}
