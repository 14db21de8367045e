/**
 * The trace viewer in a worker thread, as a server embeds it: its receivers' decoding, its store and its page
 * run beside the server's event loop rather than on it, with their own heap (whose major collections do not walk
 * the server's objects, nor the server's the stored spans) and a bound on that heap's size.
 *
 * The worker runs viewer-worker-main.ts.
 *
 * @module
 */

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { log } from '../logger.ts';
import type { OtlpEncoding } from './otlp/export-response.ts';
import type { InProcessExportResult } from './receivers/ingest.ts';
import { TRACES_PATH } from './receivers/otlp-http.ts';
import type { TraceViewerAddress } from './trace-viewer.ts';
import type { TraceViewerSettings } from './viewer-settings.ts';

/**
 * What the server's thread knows of a viewer running in a worker. It is also a collector of this process: the
 * server's exporter hands exports posted to the viewer's OTLP/HTTP URL straight to it ({@link send}), without
 * loopback TCP and HTTP on either thread.
 */
export interface EmbeddedTraceViewer extends TraceViewerAddress {
  /** What the start-up log calls it. */
  readonly name: string;
  /** Whether an OTLP/HTTP export to `url` would reach this viewer's receiver. */
  receivesAt(url: URL): boolean;
  /** Ingests one `ExportTraceServiceRequest` as its OTLP/HTTP receiver would (a copy of `request` is moved). */
  send(request: Uint8Array, encoding: OtlpEncoding): Promise<InProcessExportResult>;
  /** Stops the viewer and ends its worker. Idempotent. */
  close(): Promise<void>;
}

/** Messages to the worker. */
export type ToWorker =
  | { readonly kind: 'close' }
  | {
      readonly kind: 'ingest';
      readonly id: number;
      readonly encoding: OtlpEncoding;
      readonly request: Uint8Array;
    };

/** Messages from the worker. */
export type FromWorker =
  | { readonly kind: 'started'; readonly address: TraceViewerAddress }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'ingested'; readonly id: number; readonly result: InProcessExportResult }
  | { readonly kind: 'closed' };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** Whether `url` names the OTLP/HTTP receiver bound at `host:port` (a loopback name matches a loopback or wildcard host). */
function isReceiverUrl(url: URL, host: string, port: number): boolean {
  if (url.protocol !== 'http:' || url.pathname !== TRACES_PATH || Number(url.port || 80) !== port) return false;
  const named = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (named === host) return true;
  return LOOPBACK.has(named) && (LOOPBACK.has(host) || host === '0.0.0.0' || host === '::');
}

const STOPPED: InProcessExportResult = { ok: false, retryable: true, message: 'the trace viewer has stopped' };

/** The worker's heap: room for the store's byte budget (an estimate), twice over, and the viewer's own needs. */
function heapLimitMb(settings: TraceViewerSettings): number {
  return Math.ceil((2 * settings.maxBytes) / (1024 * 1024)) + 256;
}

/**
 * Starts the viewer in a worker thread.
 * @throws {Error} the viewer's own start error (a port in use, a store that cannot be opened).
 */
export async function startTraceViewerWorker(settings: TraceViewerSettings): Promise<EmbeddedTraceViewer> {
  // The worker's module beside this one, as source (.ts) or built (.js).
  const extension = extname(fileURLToPath(import.meta.url));
  const worker = new Worker(new URL(`./viewer-worker-main${extension}`, import.meta.url), {
    workerData: settings,
    // The thread's name in the OS too (`top -H`, /proc/<pid>/task/*/comm; cut to 15 characters on Linux).
    name: 'ts-triton-viewer',
    resourceLimits: { maxOldGenerationSizeMb: heapLimitMb(settings) },
  });
  const first = await new Promise<FromWorker>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`trace viewer: its worker exited with code ${code} before it started`)),
    );
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  if (first.kind !== 'started') {
    await worker.terminate();
    throw new Error(first.kind === 'failed' ? first.message : 'trace viewer: its worker closed before it started');
  }
  let closed: Promise<void> | undefined;
  let stopped = false;
  const pending = new Map<number, (result: InProcessExportResult) => void>();
  let lastId = 0;
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      stopped = true;
      for (const answer of pending.values()) answer(STOPPED);
      pending.clear();
      resolve();
    }),
  );
  worker.on('error', (error) => {
    // A failure inside the viewer (its heap bound reached, say) ends its worker only; the server goes on.
    log.warn(`trace viewer stopped: ${error.message}`);
  });
  worker.on('message', (message: FromWorker) => {
    if (message.kind !== 'ingested') return;
    pending.get(message.id)?.(message.result);
    pending.delete(message.id);
  });
  const post = (message: ToWorker, transfer?: ArrayBuffer[]): void => worker.postMessage(message, transfer);
  return {
    ...first.address,
    name: `the trace viewer at ${first.address.url}`,
    receivesAt: (url) => isReceiverUrl(url, settings.host, first.address.otlpHttpPort),
    send: (request, encoding) => {
      if (stopped || closed !== undefined) return Promise.resolve(STOPPED);
      const copy = new Uint8Array(request); // the exporter reuses its buffers; the copy's memory is moved
      const id = ++lastId;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        post({ kind: 'ingest', id, encoding, request: copy }, [copy.buffer]);
      });
    },
    close: () =>
      (closed ??= (async () => {
        post({ kind: 'close' });
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
        await Promise.race([exited, late]);
        clearTimeout(timer);
        await worker.terminate();
      })()),
  };
}
