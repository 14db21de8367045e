/**
 * The OTLP/HTTP transport to a collector in this process (the embedded trace viewer): each export request's bytes
 * are handed to it without a socket, so neither side pays for loopback TCP and HTTP framing. Chosen when the
 * configured URL is where that collector's OTLP/HTTP receiver listens; answers mean what the receiver's HTTP
 * statuses would (a malformed or oversized export fails, a collector that stopped or did not answer in time is
 * retryable).
 *
 * @module
 */

import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';

/** The encodings of OTLP/HTTP. */
export type LocalEncoding = 'protobuf' | 'json';

/** What a {@link LocalCollector} answers to one export. */
export type LocalExportResult =
  | { readonly ok: true; readonly response: Uint8Array }
  | { readonly ok: false; readonly retryable: boolean; readonly message: string };

/** A collector in this process, reached without a socket. */
export interface LocalCollector {
  /** Whether exports posted to `url` would reach this collector's OTLP/HTTP receiver. */
  receivesAt(url: URL): boolean;
  /** Takes one `ExportTraceServiceRequest` in `encoding` (the collector keeps a copy of `request`, not it). */
  send(request: Uint8Array, encoding: LocalEncoding): Promise<LocalExportResult>;
  /** Where it is, for the start-up log. */
  readonly name: string;
}

/** A transport that hands each export to `collector`, failing it (retryable) past `timeoutMillis`. */
export function createLocalTransport(collector: LocalCollector, encoding: LocalEncoding): IExporterTransport {
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<LocalExportResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, retryable: true, message: `${collector.name} did not answer in time` }),
          timeoutMillis,
        );
      });
      const result = await Promise.race([collector.send(data, encoding), late]).finally(() => clearTimeout(timer));
      if (result.ok) return { status: 'success', data: result.response };
      const error = new Error(result.message);
      return result.retryable ? { status: 'retryable', error } : { status: 'failure', error };
    },
    shutdown: () => {},
  };
}
