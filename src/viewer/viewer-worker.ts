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
import type { TraceViewerAddress } from './trace-viewer.ts';
import type { TraceViewerSettings } from './viewer-settings.ts';

/** What the server's thread knows of a viewer running in a worker. */
export interface EmbeddedTraceViewer extends TraceViewerAddress {
  /** Stops the viewer and ends its worker. Idempotent. */
  close(): Promise<void>;
}

/** Messages from the worker. */
export type FromWorker =
  | { readonly kind: 'started'; readonly address: TraceViewerAddress }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'closed' };

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
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('error', (error) => {
    // A failure inside the viewer (its heap bound reached, say) ends its worker only; the server goes on.
    log.warn(`trace viewer stopped: ${error.message}`);
  });
  return {
    ...first.address,
    close: () =>
      (closed ??= (async () => {
        worker.postMessage('close');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)));
        await Promise.race([exited, late]);
        clearTimeout(timer);
        await worker.terminate();
      })()),
  };
}
