/**
 * Retries of an OTLP export, with the OpenTelemetry exporter specification's policy: up to five attempts, an
 * exponential backoff starting at one second (×1.5 each time, at most five seconds, ±20 % jitter) unless the
 * collector said when to come back, and never past the export's timeout. Waits do not keep the process alive.
 *
 * @module
 */

import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';

const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/** `transport`, with retryable outcomes retried. */
export function withRetries(transport: IExporterTransport): IExporterTransport {
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      const deadline = Date.now() + timeoutMillis;
      let backoff = INITIAL_BACKOFF_MS;
      let response = await transport.send(data, timeoutMillis);
      for (let attempt = 1; response.status === 'retryable' && attempt < MAX_ATTEMPTS; attempt++) {
        const wait =
          response.retryInMillis ?? Math.min(backoff * (1 + JITTER * (2 * Math.random() - 1)), MAX_BACKOFF_MS);
        backoff *= BACKOFF_MULTIPLIER;
        if (wait >= deadline - Date.now()) break;
        await new Promise((resolve) => setTimeout(resolve, wait).unref());
        response = await transport.send(data, deadline - Date.now());
      }
      return response;
    },
    shutdown: () => transport.shutdown(),
  };
}
