/**
 * The OTLP exporter's own HTTP transport: the response reader, the socket transport against real servers,
 * the retry policy around it, and the protobuf writer's length and 64-bit sum helpers.
 */
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import protobuf from 'protobufjs';
import { HttpResponseReader, MAX_BODY_BYTES, type HttpResponse } from '../../src/tracing/otlp/http-response-reader.ts';
import { ProtoWriter, WIRE_LEN, words64 } from '../../src/wire/proto-writer.ts';
import { withRetries } from '../../src/tracing/otlp/retrying-transport.ts';
import { createSocketHttpTransport, retryAfterMillis } from '../../src/tracing/otlp/socket-http-transport.ts';
import { within } from '../helpers/within.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Pushes `text` one byte at a time; asserts nothing completes before the last byte, returns the response. */
function pushByteByByte(reader: HttpResponseReader, text: string): HttpResponse | undefined {
  const all = bytes(text);
  for (let i = 0; i < all.length - 1; i++) {
    assert.equal(reader.push(all.subarray(i, i + 1)), undefined, `complete after only ${i + 1} of ${all.length} bytes`);
  }
  return reader.push(all.subarray(all.length - 1));
}

describe('HttpResponseReader', () => {
  it('reads a content-length body pushed one byte at a time', () => {
    const reader = new HttpResponseReader();
    const response = pushByteByByte(
      reader,
      'HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 11\r\n\r\nhello world',
    );
    assert.ok(response);
    assert.equal(response.status, 200);
    assert.equal(response.statusText, 'OK');
    assert.equal(response.headers.get('content-type'), 'application/x-protobuf');
    assert.equal(response.body.toString(), 'hello world');
    assert.equal(response.keepAlive, true);
  });

  it('reads a chunked body with chunk extensions and trailers, split byte by byte', () => {
    const reader = new HttpResponseReader();
    const response = pushByteByByte(
      reader,
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '5;name=value\r\nhello\r\n' +
        '1 ; a=b;c\r\n \r\n' +
        'A\r\n0123456789\r\n' +
        '0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n',
    );
    assert.ok(response);
    assert.equal(response.body.toString(), 'hello 0123456789');
    assert.equal(response.keepAlive, true);
  });

  it('reads a chunked body delivered in one piece, and a zero-length chunked body', () => {
    const one = new HttpResponseReader().push(
      bytes('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n'),
    );
    assert.equal(one?.body.toString(), 'abcdef');
    const empty = new HttpResponseReader().push(
      bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
    );
    assert.ok(empty);
    assert.equal(empty.body.length, 0);
  });

  it('reads a body delimited by the end of the connection', () => {
    const reader = new HttpResponseReader();
    assert.equal(reader.push(bytes('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ')), undefined);
    assert.equal(reader.push(bytes('second')), undefined);
    const response = reader.end();
    assert.ok(response);
    assert.equal(response.body.toString(), 'first second');
    assert.equal(response.keepAlive, false, 'a close-delimited body leaves nothing to reuse');
  });

  it('has no response at the end of the connection when the body or head is incomplete', () => {
    const partialBody = new HttpResponseReader();
    partialBody.push(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    assert.equal(partialBody.end(), undefined);
    const partialHead = new HttpResponseReader();
    partialHead.push(bytes('HTTP/1.1 200 OK\r\nContent-'));
    assert.equal(partialHead.end(), undefined);
  });

  it('completes a 204 without a body at the end of its head', () => {
    const response = new HttpResponseReader().push(bytes('HTTP/1.1 204 No Content\r\nDate: now\r\n\r\n'));
    assert.ok(response);
    assert.equal(response.status, 204);
    assert.equal(response.body.length, 0);
    assert.equal(response.keepAlive, true);
  });

  it('skips a 100 Continue interim response', () => {
    const reader = new HttpResponseReader();
    assert.equal(reader.push(bytes('HTTP/1.1 100 Continue\r\n\r\n')), undefined);
    const response = reader.push(bytes('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'));
    assert.ok(response);
    assert.equal(response.status, 201);
    assert.equal(response.body.toString(), 'ok');
    const together = new HttpResponseReader().push(
      bytes(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
      ),
    );
    assert.equal(together?.status, 200);
    assert.equal(together?.body.toString(), 'x');
  });

  it('applies the keep-alive rules of HTTP/1.0 and HTTP/1.1', () => {
    const keepAlive = (head: string): boolean => {
      const response = new HttpResponseReader().push(bytes(`${head}Content-Length: 0\r\n\r\n`));
      assert.ok(response);
      return response.keepAlive;
    };
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\n'), true);
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\nConnection: close\r\n'), false);
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\nconnection: Close\r\n'), false);
    assert.equal(keepAlive('HTTP/1.0 200 OK\r\n'), false);
    assert.equal(keepAlive('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n'), true);
    assert.equal(keepAlive('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n'), true);
  });

  it('joins repeated headers with ", " under the lowercase name, and trims values', () => {
    const response = new HttpResponseReader().push(
      bytes('HTTP/1.1 200\r\nX-Thing:  a \r\nx-thing: b\r\nX-THING:c\r\nContent-Length: 0\r\n\r\n'),
    );
    assert.ok(response);
    assert.equal(response.headers.get('x-thing'), 'a, b, c');
    assert.equal(response.statusText, '');
  });

  it('throws an Error saying what is wrong for malformed responses', () => {
    const failure = (text: string): Error => {
      try {
        new HttpResponseReader().push(bytes(text));
      } catch (error) {
        assert.ok(error instanceof Error);
        return error;
      }
      assert.fail(`no error for ${JSON.stringify(text)}`);
    };
    assert.match(failure('HTTP/2 200 OK\r\n\r\n').message, /not an HTTP\/1\.x response.*HTTP\/2 200 OK/);
    assert.match(failure('SSH-2.0-OpenSSH\r\n\r\n').message, /not an HTTP\/1\.x response/);
    assert.match(
      failure('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n').message,
      /malformed HTTP response header.*no colon here/,
    );
    assert.match(failure('HTTP/1.1 200 OK\r\n: empty name\r\n\r\n').message, /malformed HTTP response header/);
    assert.match(
      failure('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n').message,
      /malformed chunk size.*zz/,
    );
    assert.match(
      failure('HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n').message,
      /malformed content-length.*12abc/,
    );
    assert.match(failure('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n').message, /malformed content-length/);
    assert.match(
      failure('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n').message,
      /malformed content-length.*1, 1/,
    );
  });

  it('rejects a header section over 64 KiB arriving in pieces', () => {
    const reader = new HttpResponseReader();
    reader.push(bytes('HTTP/1.1 200 OK\r\n'));
    const line = bytes(`X-Filler: ${'f'.repeat(1000)}\r\n`);
    assert.throws(
      () => {
        for (let i = 0; i < 70; i++) reader.push(line);
      },
      (error: Error) => /headers are too large/.test(error.message),
    );
  });

  it('rejects a header section over 64 KiB that completes within one push', () => {
    const head = bytes(`HTTP/1.1 200 OK\r\nX-Filler: ${'f'.repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`);
    assert.throws(() => new HttpResponseReader().push(head), /too large/);
    const reader = new HttpResponseReader();
    reader.push(head.subarray(0, 65536));
    assert.throws(() => reader.push(head.subarray(65536)), /too large/);
  });

  it('accepts a header section just under 64 KiB', () => {
    const reader = new HttpResponseReader();
    reader.push(bytes('HTTP/1.1 200 OK\r\n'));
    const line = bytes(`X-Filler: ${'f'.repeat(1000)}\r\n`);
    for (let i = 0; i < 60; i++) assert.equal(reader.push(line), undefined);
    const response = reader.push(bytes('Content-Length: 0\r\n\r\n'));
    assert.equal(response?.headers.get('x-filler')?.length, 60 * 1000 + 59 * 2);
  });

  it('rejects bodies over MAX_BODY_BYTES, however they are delimited', () => {
    assert.throws(
      () => new HttpResponseReader().push(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`)),
      (error: Error) => error.message.includes('exceeds the limit'),
    );
    const atLimit = new HttpResponseReader();
    atLimit.push(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES}\r\n\r\n`));
    assert.equal(atLimit.push(Buffer.alloc(MAX_BODY_BYTES))?.body.length, MAX_BODY_BYTES);

    const chunked = new HttpResponseReader();
    chunked.push(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
    const chunk = Buffer.concat([bytes(`${(1 << 20).toString(16)}\r\n`), Buffer.alloc(1 << 20), bytes('\r\n')]);
    for (let i = 0; i < MAX_BODY_BYTES / (1 << 20); i++) assert.equal(chunked.push(chunk), undefined);
    assert.throws(
      () => chunked.push(bytes('1\r\nx\r\n')),
      (error: Error) => error.message.includes('exceeds the limit'),
    );

    const closeDelimited = new HttpResponseReader();
    closeDelimited.push(bytes('HTTP/1.1 200 OK\r\n\r\n'));
    closeDelimited.push(Buffer.alloc(MAX_BODY_BYTES));
    assert.throws(
      () => closeDelimited.push(Buffer.alloc(1)),
      (error: Error) => error.message.includes('exceeds the limit'),
    );
  });
});

/** One request as a test server received it. */
interface ReceivedRequest {
  readonly requestLine: string;
  readonly headers: Map<string, string[]>;
  readonly body: Buffer;
  readonly socket: Socket;
  readonly connection: number;
}

interface TestServer {
  readonly url: URL;
  readonly requests: ReceivedRequest[];
  /** How many connections were accepted. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A raw TCP server that parses each request (content-length bodies, several per connection) and hands it to
 * `answer`, which writes whatever it likes on the socket.
 */
async function startServer(answer: (request: ReceivedRequest) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const requests: ReceivedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = pending.toString('latin1', 0, end).split('\r\n');
        const headers = new Map<string, string[]>();
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).toLowerCase();
          headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
        }
        const length = Number(headers.get('content-length')?.[0] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = {
          requestLine: lines[0]!,
          headers,
          body: Buffer.from(pending.subarray(end + 4, end + 4 + length)),
          socket,
          connection,
        };
        pending = pending.subarray(end + 4 + length);
        requests.push(request);
        answer(request);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/traces?tenant=a%20b`),
    requests,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const reply = (status: string, headers: Record<string, string>, body = ''): string =>
  `HTTP/1.1 ${status}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const PAYLOAD = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) & 0xff);

function transportTo(url: URL, headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf' }) {
  return createSocketHttpTransport({ url, headers: async () => headers });
}

/** Runs `test` against a socket transport to a test server answering with `answer`, then shuts both down. */
async function withTransport(
  answer: (request: ReceivedRequest) => void,
  test: (context: { transport: ReturnType<typeof transportTo>; server: TestServer }) => Promise<void>,
  headers?: Record<string, string>,
): Promise<void> {
  const server = await startServer(answer);
  const transport = transportTo(server.url, headers);
  try {
    await test({ transport, server });
  } finally {
    transport.shutdown();
    await server.close();
  }
}

/** A free port on 127.0.0.1 nobody listens on (briefly bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('createSocketHttpTransport', () => {
  it('writes a POST with the path, query, Host, Content-Length, configured headers and User-Agent, and the exact body', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('200 OK', {}, 'collector says hi')),
      async ({ transport, server }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.equal(response.status, 'success');
        assert.ok(response.status === 'success');
        assert.equal(Buffer.from(response.data!).toString(), 'collector says hi');
        const [request] = server.requests;
        assert.ok(request);
        assert.equal(request.requestLine, 'POST /v1/traces?tenant=a%20b HTTP/1.1');
        assert.deepEqual(request.headers.get('host'), [server.url.host]);
        assert.deepEqual(
          request.headers.get('content-length'),
          [String(PAYLOAD.byteLength)],
          'the configured one is not sent',
        );
        assert.deepEqual(request.headers.get('content-type'), ['application/x-protobuf']);
        assert.deepEqual(request.headers.get('x-api-key'), ['secret-1']);
        assert.equal(request.headers.get('connection'), undefined);
        const userAgent = request.headers.get('user-agent');
        assert.equal(userAgent?.length, 1);
        assert.ok(userAgent[0]!.startsWith('my-agent/2.0 '), userAgent[0]);
        assert.match(userAgent[0]!, /ts-triton\/\d/);
        assert.deepEqual(request.body, Buffer.from(PAYLOAD));
      },
      {
        'Content-Type': 'application/x-protobuf',
        'X-Api-Key': 'secret-1',
        'User-Agent': 'my-agent/2.0',
        'Content-Length': '999',
        Connection: 'close',
      },
    );
  });

  it('sends its own User-Agent without a configured one', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('200 OK', {})),
      async ({ transport, server }) => {
        assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        assert.match(server.requests[0]!.headers.get('user-agent')![0]!, /^ts-triton\/\d/);
      },
    );
  });

  it('reuses a kept-alive connection for the next send', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('200 OK', {}, 'ok')),
      async ({ transport, server }) => {
        for (let i = 0; i < 3; i++) assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        assert.equal(server.requests.length, 3);
        assert.equal(server.connections(), 1);
        assert.deepEqual(
          server.requests.map((r) => r.body.length),
          [3000, 3000, 3000],
        );
      },
    );
  });

  it('opens a new connection after a response with Connection: close', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('200 OK', { Connection: 'close' }, 'ok')),
      async ({ transport, server }) => {
        assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        assert.equal(server.connections(), 2);
      },
    );
  });

  it('reads a chunked 200 answer and a close-delimited one', async () => {
    let n = 0;
    await withTransport(
      ({ socket }) => {
        if (n++ === 0) socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n');
        else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      },
      async ({ transport }) => {
        const chunked = await transport.send(PAYLOAD, 5000);
        assert.ok(chunked.status === 'success');
        assert.equal(Buffer.from(chunked.data!).toString(), 'ab');
        const closed = await transport.send(PAYLOAD, 5000);
        assert.ok(closed.status === 'success');
        assert.equal(Buffer.from(closed.data!).toString(), 'until close');
      },
    );
  });

  it('answers 503 with Retry-After as retryable with the wait in milliseconds', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('503 Service Unavailable', { 'Retry-After': '2' })),
      async ({ transport }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.equal(response.status, 'retryable');
        assert.ok(response.status === 'retryable');
        assert.equal(response.retryInMillis, 2000);
      },
    );
  });

  it('answers 429 without Retry-After as retryable with no wait given', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('429 Too Many Requests', {})),
      async ({ transport }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.ok(response.status === 'retryable');
        assert.equal(response.retryInMillis, undefined);
      },
    );
  });

  it('answers 400 as a failure carrying the status code and body text', async () => {
    await withTransport(
      ({ socket }) => socket.write(reply('400 Bad Request', {}, 'bad spans: ✗')),
      async ({ transport }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.equal(response.status, 'failure');
        assert.ok(response.status === 'failure');
        const error = response.error as Error & { code?: number; data?: string };
        assert.equal(error.code, 400);
        assert.equal(error.data, 'bad spans: ✗');
        assert.match(error.message, /Bad Request/);
      },
    );
  });

  it('answers a malformed response as a failure', async () => {
    await withTransport(
      ({ socket }) => socket.write('HTTP/9 200 OK\r\n\r\n'),
      async ({ transport }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.ok(response.status === 'failure');
        assert.match(response.error.message, /not an HTTP\/1\.x response/);
      },
    );
  });

  it('answers a refused connection as retryable', async () => {
    const port = await closedPort();
    const transport = transportTo(new URL(`http://127.0.0.1:${port}/v1/traces`));
    try {
      const response = await transport.send(PAYLOAD, 5000);
      assert.equal(response.status, 'retryable');
      assert.ok(response.status === 'retryable');
      assert.equal((response.error as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');
    } finally {
      transport.shutdown();
    }
  });

  it('answers a collector that never answers as retryable after the timeout', async () => {
    await withTransport(
      () => {},
      async ({ transport, server }) => {
        const started = Date.now();
        const response = await transport.send(PAYLOAD, 200);
        const elapsed = Date.now() - started;
        assert.ok(response.status === 'retryable');
        assert.equal(response.error?.message, 'Request timed out');
        assert.ok(elapsed >= 150 && elapsed < 3000, `took ${elapsed} ms`);
        assert.equal(server.requests.length, 1, 'the request was sent');
        // The timed-out connection is not reused: the next send opens another.
        const again = transport.send(PAYLOAD, 200);
        assert.equal((await again).status, 'retryable');
        assert.equal(server.connections(), 2);
      },
    );
  });

  it('answers a collector that closes the connection without answering as retryable', async () => {
    await withTransport(
      ({ socket }) => socket.end(),
      async ({ transport }) => {
        const response = await transport.send(PAYLOAD, 5000);
        assert.equal(response.status, 'retryable');
      },
    );
  });

  it('drops an idle connection the collector closed, and connects again for the next send', async () => {
    await withTransport(
      ({ socket }) => {
        socket.write(reply('200 OK', {}));
        setTimeout(() => socket.destroy(), 20);
      },
      async ({ transport, server }) => {
        // The transport's socket, heard through node:net's diagnostics channel, to wait for its close.
        const sockets: Socket[] = [];
        const onSocket = (message: unknown): void => void sockets.push((message as { socket: Socket }).socket);
        diagnosticsChannel.subscribe('net.client.socket', onSocket);
        try {
          assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        } finally {
          diagnosticsChannel.unsubscribe('net.client.socket', onSocket);
        }
        assert.equal(sockets.length, 1);
        if (!sockets[0]!.closed)
          await within(once(sockets[0]!, 'close'), 5000, 'the transport to see the collector close the connection');
        // The closed socket left the idle pool, so the next send connects again and succeeds.
        assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
        assert.equal(server.connections(), 2);
      },
    );
  });

  it('fails without sending anything when a header value contains CR LF', async () => {
    const server = await startServer(({ socket }) => socket.write(reply('200 OK', {})));
    const transport = transportTo(server.url, { 'X-Evil': 'a\r\nX-Injected: 1' });
    const badName = transportTo(server.url, { 'X Bad': 'a' });
    try {
      const response = await transport.send(PAYLOAD, 5000);
      assert.ok(response.status === 'failure');
      assert.match(response.error.message, /X-Evil/);
      assert.equal((await badName.send(PAYLOAD, 5000)).status, 'failure');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(server.connections(), 0);
      assert.equal(server.requests.length, 0);
    } finally {
      transport.shutdown();
      badName.shutdown();
      await server.close();
    }
  });

  it('fails sends after shutdown', async () => {
    const server = await startServer(({ socket }) => socket.write(reply('200 OK', {})));
    const transport = transportTo(server.url);
    try {
      assert.equal((await transport.send(PAYLOAD, 5000)).status, 'success');
      transport.shutdown();
      const response = await transport.send(PAYLOAD, 5000);
      assert.ok(response.status === 'failure');
      assert.match(response.error.message, /shut down/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  it('accepts http:// URLs only', () => {
    const headers = async () => ({});
    assert.throws(
      () => createSocketHttpTransport({ url: new URL('https://127.0.0.1:4318/v1/traces'), headers }),
      /http:\/\/ URLs only/,
    );
    assert.throws(
      () => createSocketHttpTransport({ url: new URL('ftp://127.0.0.1/x'), headers }),
      /http:\/\/ URLs only/,
    );
    createSocketHttpTransport({ url: new URL('http://127.0.0.1:4318/v1/traces'), headers }).shutdown();
  });
});

describe('retryAfterMillis', () => {
  it('reads seconds', () => {
    assert.equal(retryAfterMillis('2'), 2000);
    assert.equal(retryAfterMillis('0'), 0);
    assert.equal(retryAfterMillis(' 120 '), 120_000);
  });

  it('reads HTTP dates as the time left until them, and past dates as 0', () => {
    const future = retryAfterMillis(new Date(Date.now() + 30_000).toUTCString());
    assert.ok(future !== undefined && future > 27_000 && future <= 30_000, String(future));
    assert.equal(retryAfterMillis('Wed, 21 Oct 2015 07:28:00 GMT'), 0);
  });

  it('ignores garbage and a missing header', () => {
    assert.equal(retryAfterMillis(undefined), undefined);
    assert.equal(retryAfterMillis('soon'), undefined);
    assert.equal(retryAfterMillis(''), undefined);
    assert.equal(retryAfterMillis('120 seconds'), undefined);
  });
});

/** A fake transport answering from `responses` in turn (the last one repeated), recording each send. */
function fakeTransport(responses: ExportResponse[]) {
  const sends: { data: Uint8Array; timeoutMillis: number; at: number }[] = [];
  let shutdowns = 0;
  const transport: IExporterTransport = {
    send: async (data, timeoutMillis) => {
      sends.push({ data, timeoutMillis, at: Date.now() });
      return responses[Math.min(sends.length - 1, responses.length - 1)]!;
    },
    shutdown: () => void shutdowns++,
  };
  return { transport, sends, shutdowns: () => shutdowns };
}

const DATA = Uint8Array.of(1, 2, 3);

describe('withRetries', () => {
  it('makes at most 5 attempts of a retryable export, waiting retryInMillis between them', async () => {
    const fake = fakeTransport([{ status: 'retryable', retryInMillis: 10 }]);
    const started = Date.now();
    const response = await within(withRetries(fake.transport).send(DATA, 10_000));
    assert.equal(response.status, 'retryable');
    assert.equal(fake.sends.length, 5);
    assert.ok(fake.sends.every((s) => s.data === DATA));
    for (let i = 1; i < fake.sends.length; i++) {
      const gap = fake.sends[i]!.at - fake.sends[i - 1]!.at;
      assert.ok(gap >= 8 && gap < 2000, `gap ${gap} ms between attempts ${i} and ${i + 1}`);
    }
    assert.ok(Date.now() - started < 3000);
  });

  it('passes the time left to later attempts', async () => {
    const fake = fakeTransport([{ status: 'retryable', retryInMillis: 10 }]);
    await within(withRetries(fake.transport).send(DATA, 10_000));
    const timeouts = fake.sends.map((s) => s.timeoutMillis);
    assert.equal(timeouts[0], 10_000);
    for (let i = 1; i < timeouts.length; i++) {
      assert.ok(timeouts[i]! < timeouts[0]! && timeouts[i]! > 5000, `attempt ${i + 1} got ${timeouts[i]} ms`);
      assert.ok(timeouts[i]! <= timeouts[i - 1]!, `attempt ${i + 1} got more time than attempt ${i}`);
    }
    assert.ok(timeouts[4]! <= 10_000 - 35, `the last attempt got ${timeouts[4]} ms after four 10 ms waits`);
  });

  it('returns success once an attempt succeeds', async () => {
    const data = Uint8Array.of(9);
    const fake = fakeTransport([
      { status: 'retryable', retryInMillis: 10 },
      { status: 'retryable', retryInMillis: 10 },
      { status: 'success', data },
    ]);
    const response = await within(withRetries(fake.transport).send(DATA, 10_000));
    assert.ok(response.status === 'success');
    assert.equal(response.data, data);
    assert.equal(fake.sends.length, 3);
  });

  it('does not retry a failure', async () => {
    const error = new Error('400');
    const fake = fakeTransport([{ status: 'failure', error }, { status: 'success' }]);
    const response = await within(withRetries(fake.transport).send(DATA, 10_000));
    assert.ok(response.status === 'failure');
    assert.equal(response.error, error);
    assert.equal(fake.sends.length, 1);
  });

  it('stops when the next wait would pass the deadline', async () => {
    const fake = fakeTransport([{ status: 'retryable', retryInMillis: 5000 }]);
    const started = Date.now();
    const response = await within(withRetries(fake.transport).send(DATA, 1000));
    assert.equal(response.status, 'retryable');
    assert.equal(fake.sends.length, 1);
    assert.ok(Date.now() - started < 900, 'returned without waiting');
  });

  it('stops part way when the waits add up past the deadline', async () => {
    const fake = fakeTransport([{ status: 'retryable', retryInMillis: 100 }]);
    const response = await within(withRetries(fake.transport).send(DATA, 250));
    assert.equal(response.status, 'retryable');
    // Attempts at about 0, 100 and 200 ms; the wait after the third would end past 250 ms.
    assert.ok(fake.sends.length >= 2 && fake.sends.length <= 3, `${fake.sends.length} attempts`);
    assert.ok(fake.sends.every((s) => s.at - fake.sends[0]!.at < 2000));
  });

  it('backs off about a second without Retry-After, within the deadline', async () => {
    const fake = fakeTransport([{ status: 'retryable' }]);
    const quick = fakeTransport([{ status: 'retryable' }]);
    await within(withRetries(quick.transport).send(DATA, 500));
    assert.equal(quick.sends.length, 1, 'a backoff of 800 ms or more does not fit in 500 ms');
    await within(withRetries(fake.transport).send(DATA, 1500));
    // First wait 0.8–1.2 s fits in 1.5 s; the next (1.2–1.8 s) does not.
    assert.equal(fake.sends.length, 2);
    const gap = fake.sends[1]!.at - fake.sends[0]!.at;
    assert.ok(gap >= 750 && gap <= 3000, `waited ${gap} ms`);
  });

  it('forwards shutdown', () => {
    const fake = fakeTransport([{ status: 'success' }]);
    const transport = withRetries(fake.transport);
    transport.shutdown();
    assert.equal(fake.shutdowns(), 1);
  });
});

describe('ProtoWriter', () => {
  const content = (length: number, seed: number): Buffer =>
    Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) % 251));

  it('writes beginLarge/endLarge lengths that protobufjs reads, at every size boundary', () => {
    const sizes = [0, 127, 128, 16_383, 16_384, 20_000];
    const writer = new ProtoWriter(16);
    for (const [i, size] of sizes.entries()) {
      writer.tag(1, WIRE_LEN);
      const start = writer.beginLarge();
      writer.raw(content(size, i));
      writer.endLarge(start);
      writer.tag(2, WIRE_LEN);
      writer.bytes(Uint8Array.of(i));
    }
    const encoded = writer.finish();
    const expectedLength = sizes.reduce((sum, size) => sum + 1 + (size < 16_384 ? 2 : 3) + size + 3, 0);
    assert.equal(encoded.byteLength, expectedLength);
    const reader = protobuf.Reader.create(encoded);
    for (const [i, size] of sizes.entries()) {
      assert.equal(reader.uint32(), (1 << 3) | WIRE_LEN);
      assert.deepEqual(Buffer.from(reader.bytes()), content(size, i), `content of ${size} bytes`);
      assert.equal(reader.uint32(), (2 << 3) | WIRE_LEN);
      assert.deepEqual([...reader.bytes()], [i]);
    }
    assert.equal(reader.pos, reader.len);
  });

  it('grows the buffer when a length needs a third byte and the buffer is exactly full', () => {
    const size = 16_384;
    const writer = new ProtoWriter(1 + 2 + size);
    writer.tag(1, WIRE_LEN);
    const start = writer.beginLarge();
    writer.raw(content(size, 7));
    writer.endLarge(start);
    const reader = protobuf.Reader.create(writer.finish());
    assert.equal(reader.uint32(), (1 << 3) | WIRE_LEN);
    assert.deepEqual(Buffer.from(reader.bytes()), content(size, 7));
    assert.equal(reader.pos, reader.len);
  });

  it('adds 64-bit values in fixed64Sum like BigInt arithmetic modulo 2^64', () => {
    const M = 2n ** 64n;
    const cases: [bigint, bigint][] = [
      [0n, 0n],
      [0xffff_ffffn, 1n], // the low words overflow: carry into the high word
      [0x1_8000_0000n, 0x8000_0001n],
      [0x1234_5678_ffff_fff0n, 0x0000_0001_0000_0020n],
      [0xffff_ffffn, 0xffff_ffffn],
      [M - 1n, 1n], // wraps past 2^64 to 0
      [M - 1n, M - 1n],
      [0xffff_ffff_0000_0000n, 0x1_0000_0000n],
      [3n, -5n], // a negative addend: subtraction modulo 2^64
      [1_700_000_000_000_000_000n, 1_234_567_890_123n],
    ];
    let state = 0x9e37_79b9_7f4a_7c15n;
    for (let i = 0; i < 200; i++) {
      state = (state * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % M;
      const a = state;
      state = (state * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % M;
      cases.push([a, state]);
    }
    const writer = new ProtoWriter(8);
    for (const [value, addend] of cases) writer.fixed64Sum(value, words64(addend));
    const encoded = Buffer.from(writer.finish());
    assert.equal(encoded.length, cases.length * 8);
    for (const [i, [value, addend]] of cases.entries()) {
      assert.equal(encoded.readBigUInt64LE(i * 8), BigInt.asUintN(64, value + addend), `${value} + ${addend}`);
    }
  });

  it('splits values into 32-bit words with words64', () => {
    assert.deepEqual(words64(0x1234_5678_9abc_def0n), { low: 0x9abc_def0, high: 0x1234_5678 });
    assert.deepEqual(words64(-1n), { low: 0xffff_ffff, high: 0xffff_ffff });
    assert.deepEqual(words64(2n ** 64n + 5n), { low: 5, high: 0 });
  });
});
