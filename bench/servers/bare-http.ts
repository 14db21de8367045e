/**
 * The bare `node:http` baselines (BENCH_HTTP_PORT):
 *   POST /v2/models/passthrough/infer  parses the request JSON and writes the same response JSON ts-triton writes
 *                                      (outputs copied from the inputs), no model, no validation;
 *   POST /echo                         echoes the request body bytes with the same headers ts-triton sends for a
 *                                      binary response (the 4 MB binary round-trip baseline).
 * Prints `READY` on stdout once listening.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface JsonTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  // A client that stops mid-body (wrk at the end of a window) must not take the process down.
  readBody(req).then(
    (body) => handle(req, res, body),
    () => res.destroy(),
  );
});

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  if (req.url === '/echo') {
    const headerLength = req.headers['inference-header-content-length'];
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.byteLength,
      ...(headerLength !== undefined && { 'inference-header-content-length': headerLength }),
    });
    res.end(body);
    return;
  }
  const request = JSON.parse(body.toString('utf8')) as { id?: string; inputs: JsonTensor[] };
  const out = JSON.stringify({
    ...(request.id !== undefined && { id: request.id }),
    model_name: 'passthrough',
    model_version: '1',
    outputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data })),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
}
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.BENCH_HTTP_PORT ?? 8000), '127.0.0.1', () => process.stdout.write('READY\n'));
process.on('SIGTERM', () => process.exit(0));
