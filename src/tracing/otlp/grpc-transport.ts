/**
 * The OTLP/gRPC transport: each export is one unary call of
 * `opentelemetry.proto.collector.trace.v1.TraceService/Export` carrying the `ExportTraceServiceRequest` bytes
 * ts-triton's encoder wrote, passed through as they are (no protobuf library in between). The response bytes
 * are handed back for the exporter to read its partial success.
 *
 * Outcomes follow the OTLP specification: OK is success; UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED,
 * DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE and DATA_LOSS are retryable; any other status fails.
 *
 * grpc-js is imported when the transport is made, so a server exporting over HTTP does not load it.
 *
 * @module
 */

import type { Client, Metadata, ServiceError } from '@grpc/grpc-js';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { VERSION } from '../../version.ts';

/** The full method name of the trace export RPC. */
export const TRACE_EXPORT_METHOD = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** Options of {@link createGrpcTransport}. */
export interface GrpcTransportOptions {
  /** `http://host:port` (plaintext) or `https://host:port` (TLS); a path is ignored. */
  readonly url: string;
  /** Metadata sent with every call. */
  readonly headers: Readonly<Record<string, string>>;
  readonly compression: 'none' | 'gzip';
  /** TLS trust roots, client certificate chain and key (PEM), for `https://`. */
  readonly certificate?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
}

/** CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS. */
const RETRYABLE = new Set<number>([1, 4, 8, 10, 11, 14, 15]);

/** grpc-js's number for gzip in `grpc.default_compression_algorithm`. */
const GZIP_ALGORITHM = 2;

const pem = (text: string | undefined): Buffer | null => (text === undefined ? null : Buffer.from(text, 'utf8'));

const passThrough = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A transport sending OTLP export requests over gRPC (see the module comment). */
export function createGrpcTransport(options: GrpcTransportOptions): IExporterTransport {
  const channel = import('@grpc/grpc-js').then((grpc) => openChannel(grpc, options));
  channel.catch(() => {}); // reported by the first send
  let closed = false;
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      let client: Client;
      let metadata: Metadata;
      try {
        ({ client, metadata } = await channel);
      } catch (error) {
        return { status: 'failure', error: error as Error };
      }
      if (closed) return { status: 'failure', error: new Error('the exporter transport is shut down') };
      return new Promise((resolve) => {
        client.makeUnaryRequest(
          TRACE_EXPORT_METHOD,
          passThrough,
          (bytes: Buffer) => bytes,
          data,
          metadata.clone(),
          { deadline: Date.now() + timeoutMillis },
          (error: ServiceError | null, response?: Buffer) => {
            if (error === null) resolve({ status: 'success', data: response ?? new Uint8Array(0) });
            else if (RETRYABLE.has(error.code)) resolve({ status: 'retryable', error });
            else resolve({ status: 'failure', error });
          },
        );
      });
    },
    shutdown() {
      closed = true;
      void channel.then(
        ({ client }) => client.close(),
        () => {},
      );
    },
  };
}

function openChannel(
  grpc: typeof import('@grpc/grpc-js'),
  options: GrpcTransportOptions,
): { client: Client; metadata: Metadata } {
  const url = new URL(options.url);
  const credentials =
    url.protocol === 'https:'
      ? grpc.credentials.createSsl(pem(options.certificate), pem(options.clientKey), pem(options.clientCertificate))
      : grpc.credentials.createInsecure();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const client = new grpc.Client(`${url.hostname}:${port}`, credentials, {
    'grpc.primary_user_agent': `ts-triton/${VERSION}`,
    ...(options.compression === 'gzip' && { 'grpc.default_compression_algorithm': GZIP_ALGORITHM }),
  });
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(options.headers)) {
    const key = name.toLowerCase();
    // gRPC carries `-bin` metadata as bytes: the variable's value is their base64, as on the wire.
    metadata.set(key, key.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
  }
  return { client, metadata };
}
