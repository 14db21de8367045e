/**
 * The OTLP/HTTP collector for the traced runs (BENCH_OTLP_PORT), in its own process on the load generator's core.
 *
 * It answers every POST /v1/traces with an empty ExportTraceServiceResponse and counts requests, bytes and (while
 * verifying) spans. While verifying it decodes each export with `decodeExportRequest` from the repository's test
 * receiver (test/fixtures/otlp-receiver.ts, an independent protobufjs reading of the wire format) and records
 * span names per service; during the measured rounds decoding is off, so the collector's CPU does not eat into
 * the load generator's core.
 *   POST /verify/on | /verify/off   switch decoding;   GET /stats   counts and span names per service.
 */
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decodeExportRequest } from '../../test/fixtures/otlp-receiver.ts';

let verify = false;
let requests = 0;
let bytes = 0;
let decodeErrors = 0;
const spanNames: Record<string, Record<string, number>> = {};

const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ requests, bytes, decodeErrors, spanNames }));
    return;
  }
  if (req.url === '/verify/on' || req.url === '/verify/off') {
    verify = req.url === '/verify/on';
    if (verify) for (const k of Object.keys(spanNames)) delete spanNames[k];
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => {
    bytes += c.byteLength;
    if (verify) chunks.push(c);
  });
  req.on('end', () => {
    requests++;
    if (verify) {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        for (const span of decodeExportRequest(body)) {
          const service = String(span.resource['service.name'] ?? '?');
          const names = (spanNames[service] ??= {});
          names[span.name] = (names[span.name] ?? 0) + 1;
        }
      } catch {
        decodeErrors++;
      }
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
    res.end();
  });
});
server.listen(Number(process.env.BENCH_OTLP_PORT ?? 4318), '127.0.0.1', () => process.stdout.write('READY\n'));
process.on('SIGTERM', () => process.exit(0));
