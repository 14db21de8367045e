/**
 * The tracing guide's traces, made for real: the example servers run as their own processes with the guide's
 * trace configuration, export over OTLP/HTTP protobuf to a small receiver here that decodes each export with the
 * viewer's decoder into a trace store; the client-propagation example adds its `upstream-service` spans.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpProtobuf } from '../../src/viewer/otlp/decode-protobuf.ts';
import type { SpanRecord } from '../../src/viewer/span-record.ts';
import type { TraceStore } from '../../src/viewer/store/trace-store.ts';
import { startExample } from '../helpers/example-process.ts';

const run = promisify(execFile);

/** The guide's trace configuration, exporting to `url` every 10 ms. */
function traceConfig(url: string): string {
  return JSON.stringify([
    'level=TIMESTAMPS',
    'rate=1',
    'mode=opentelemetry',
    `opentelemetry,url=${url}`,
    'opentelemetry,resource=service.name=test_server_with_passthrough',
    'opentelemetry,resource=test.key=test.value',
    'opentelemetry,bsp_schedule_delay=10',
  ]);
}

/** An OTLP/HTTP receiver that adds every export's spans to `store`. */
export async function storeReceiver(store: TraceStore): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      store.add(decodeOtlpProtobuf(body).spans);
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * Runs `script` (an example server) tracing into `store`, then either sends the guide's curl request or runs the
 * client-propagation example against it; stops the server (which flushes its spans) and returns the trace's spans.
 */
export async function guideTrace(store: TraceStore, script: string, withClient = false): Promise<SpanRecord[]> {
  const receiver = await storeReceiver(store);
  const before = new Set(store.search({ limit: 1_000_000 }).map((spans) => spans[0]!.traceId));
  try {
    const server = await startExample(script, { TS_TRITON_TRACE_CONFIG: traceConfig(receiver.url) });
    try {
      if (withClient) {
        await run(process.execPath, ['examples/client-propagation/client.ts'], {
          env: { ...process.env, SERVER_URL: server.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url },
          timeout: 20_000,
        });
      } else {
        const response = await fetch(`${server.url}/v2/models/passthrough/generate`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ sleep: 0.001, error: false }),
        });
        assert.equal(response.status, 200);
      }
    } finally {
      assert.equal(await server.stop(), 0, server.log());
    }
  } finally {
    await receiver.close();
  }
  const added = store.search({ limit: 1_000_000 }).filter((spans) => !before.has(spans[0]!.traceId));
  assert.equal(added.length, 1, 'one new trace');
  return added[0]!;
}
