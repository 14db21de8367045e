/**
 * The trace viewer's worker thread (started by viewer-worker.ts): starts the viewer with the settings it was
 * given, reports its ports, and closes it when asked.
 *
 * @module
 */

import { parentPort, workerData } from 'node:worker_threads';
import { startTraceViewer, type TraceViewer } from './trace-viewer.ts';
import type { TraceViewerSettings } from './viewer-settings.ts';
import type { FromWorker, ToWorker } from './viewer-worker.ts';
import { ingestInProcess } from './receivers/ingest.ts';

const port = parentPort!;
const settings = workerData as TraceViewerSettings;
let viewer: TraceViewer | undefined;
try {
  viewer = await startTraceViewer(settings);
} catch (error) {
  port.postMessage({ kind: 'failed', message: (error as Error).message } satisfies FromWorker);
}
if (viewer !== undefined) {
  const running = viewer;
  const { url, otlpHttpPort, otlpGrpcPort, otlpHttpUrl } = running;
  const address = { url, port: running.port, otlpHttpPort, otlpGrpcPort, otlpHttpUrl };
  port.postMessage({ kind: 'started', address } satisfies FromWorker);
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'ingest') {
      const result = ingestInProcess(running.store, settings.maxExportBytes, message.encoding, message.request);
      port.postMessage({ kind: 'ingested', id: message.id, result } satisfies FromWorker);
      return;
    }
    port.removeAllListeners('message');
    void running.close().then(() => {
      port.postMessage({ kind: 'closed' } satisfies FromWorker);
      port.close();
    });
  });
}
