/**
 * The trace viewer's worker thread (started by viewer-worker.ts): starts the viewer with the settings it was
 * given, reports its ports, and closes it when asked.
 *
 * @module
 */

import { parentPort, workerData } from 'node:worker_threads';
import { startTraceViewer, type TraceViewer } from './trace-viewer.ts';
import type { TraceViewerSettings } from './viewer-settings.ts';
import type { FromWorker } from './viewer-worker.ts';

const port = parentPort!;
let viewer: TraceViewer | undefined;
try {
  viewer = await startTraceViewer(workerData as TraceViewerSettings);
} catch (error) {
  port.postMessage({ kind: 'failed', message: (error as Error).message } satisfies FromWorker);
}
if (viewer !== undefined) {
  const running = viewer;
  const { url, otlpHttpPort, otlpGrpcPort, otlpHttpUrl } = running;
  const address = { url, port: running.port, otlpHttpPort, otlpGrpcPort, otlpHttpUrl };
  port.postMessage({ kind: 'started', address } satisfies FromWorker);
  port.once('message', () => {
    void running.close().then(() => {
      port.postMessage({ kind: 'closed' } satisfies FromWorker);
      port.close();
    });
  });
}
