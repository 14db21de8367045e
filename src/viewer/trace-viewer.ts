/**
 * The trace viewer as one component: a trace store, the OTLP receivers that fill it (HTTP and gRPC) and the HTTP
 * server of its page and query APIs. `ts-triton viewer` runs it alone; `traceViewer` in TritonConfig runs it in
 * the server's process.
 *
 * @module
 */

import type { Server } from 'node:http';
import { startOtlpGrpcReceiver, type OtlpGrpcReceiver } from './receivers/otlp-grpc.ts';
import { closeServer, listen, startOtlpHttpReceiver, type OtlpHttpReceiver } from './receivers/otlp-http.ts';
import { openStore } from './store/open-store.ts';
import type { TraceStore } from './store/trace-store.ts';
import type { TraceViewerSettings } from './viewer-settings.ts';
import { createViewerHttpServer } from './viewer-http.ts';

/** Where a running trace viewer listens. */
export interface TraceViewerAddress {
  /** The page's URL, e.g. `http://127.0.0.1:16686/`. */
  readonly url: string;
  /** The ports bound (the real ones when 0 was asked for). */
  readonly port: number;
  readonly otlpHttpPort: number;
  readonly otlpGrpcPort: number;
  /** Where an OTLP/HTTP exporter sends traces, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly otlpHttpUrl: string;
}

/** A running trace viewer. */
export interface TraceViewer extends TraceViewerAddress {
  readonly store: TraceStore;
  /** Stops the receivers and the page, then closes the store. Idempotent. */
  close(): Promise<void>;
}

/** `host:port` in a URL, with an IPv6 address in brackets; a wildcard address becomes the loopback one. */
function urlHost(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return shown.includes(':') ? `[${shown}]:${port}` : `${shown}:${port}`;
}

/** Names the setting of a port that could not be bound, so the error says what to change. */
function bindError(error: unknown, what: string, setting: string, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const inUse = code === 'EADDRINUSE' || /address already in use|EADDRINUSE/i.test(String((error as Error).message));
  const why = inUse
    ? `is in use (by Jaeger or an OpenTelemetry Collector?)`
    : `could not be bound (${(error as Error).message})`;
  return new Error(
    `trace viewer: the ${what} port ${host}:${port} ${why}; choose another with ${setting}, or turn the viewer off`,
  );
}

/**
 * Starts the viewer: opens its store, then listens with the page and the two receivers. On any failure what was
 * started is stopped again.
 * @throws {Error} naming the port (and its setting) that could not be bound, or the store that could not be opened.
 */
export async function startTraceViewer(settings: TraceViewerSettings): Promise<TraceViewer> {
  const store = await openStore(settings.store, settings);
  const { host } = settings;
  let page: Server | undefined;
  let http: OtlpHttpReceiver | undefined;
  let grpc: OtlpGrpcReceiver | undefined;
  const closeAll = async (): Promise<void> => {
    await Promise.all([page && closeServer(page), http?.close(), grpc?.close()]);
    store.close();
  };
  try {
    page = createViewerHttpServer(store, { maxBodyBytes: settings.maxExportBytes });
    const port = await listen(page, host, settings.port).catch((error: unknown) => {
      throw bindError(error, 'viewer page', 'port (--port)', host, settings.port);
    });
    http = await startOtlpHttpReceiver(store, host, settings.otlpHttpPort, {
      maxBodyBytes: settings.maxExportBytes,
    }).catch((error: unknown) => {
      throw bindError(error, 'OTLP/HTTP', 'otlpHttpPort (--otlp-http-port)', host, settings.otlpHttpPort);
    });
    grpc = await startOtlpGrpcReceiver(store, host, settings.otlpGrpcPort, {
      maxMessageBytes: settings.maxExportBytes,
    }).catch((error: unknown) => {
      throw bindError(error, 'OTLP/gRPC', 'otlpGrpcPort (--otlp-grpc-port)', host, settings.otlpGrpcPort);
    });
    let closed: Promise<void> | undefined;
    const otlpHttpPort = http.port;
    return {
      url: `http://${urlHost(host, port)}/`,
      port,
      otlpHttpPort,
      otlpGrpcPort: grpc.port,
      otlpHttpUrl: `http://${urlHost(host, otlpHttpPort)}/v1/traces`,
      store,
      close: () => (closed ??= closeAll()),
    };
  } catch (error) {
    if (page && !page.listening) page = undefined;
    await closeAll();
    throw error;
  }
}
