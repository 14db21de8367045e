/**
 * HTTP under clients that open connections and never finish a request: a connection cap below the open-file
 * limit (the oldest connection with no request in progress makes room), and header timeouts, keep a
 * legitimate client served.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { type InferFunc, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import { within } from '../helpers/within.ts';
import { startServerProcess } from './fixtures/server-process.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };

/** Opens `count` connections that send the start of a request and nothing more; resolves once all connected. */
async function slowClients(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const connected: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.setNoDelay(true);
    connected.push(once(socket, 'connect').then(() => socket.write('GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n')));
    sockets.push(socket);
  }
  await within(Promise.all(connected), 20_000, `${count} connections`);
  return sockets;
}

/** A GET over a fresh connection: the status, or the error's code. */
function getStatus(port: number, path = '/v2/health/ready'): Promise<number | string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve(match ? Number(match[1]) : `closed without an answer`);
    });
  });
}

describe('HTTP connections under slow clients', () => {
  const sockets: Socket[] = [];
  after(() => {
    for (const socket of sockets) socket.destroy();
  });

  it('with 256 open files, 400 slow connections do not lock a legitimate client out', async () => {
    const server = await startServerProcess({ TS_TRITON_ALLOW_GRPC: 'false' }, 256);
    try {
      sockets.push(...(await slowClients(server.httpPort, 400)));
      // Let the server accept what the kernel queued.
      assert.equal(await within(getStatus(server.httpPort), 10_000, 'the first request'), 200);
      for (let i = 0; i < 3; i++) assert.equal(await within(getStatus(server.httpPort), 10_000, 'a request'), 200);
      assert.doesNotMatch(server.log(), /EMFILE/);
    } finally {
      for (const socket of sockets.splice(0)) socket.destroy();
      await server.stop();
    }
  });

  it('over httpMaxConnections, the oldest idle connection makes room; when all are busy, a 503', async () => {
    const triton = new Triton({ config: { ...LOCAL, httpMaxConnections: 4 } });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered = 0;
    let onEnter: () => void = () => {};
    const held: InferFunc = async (requests) => {
      entered++;
      onEnter();
      await gate;
      return requests.map((r) => ({ y: r.data.x! }));
    };
    triton.bind({
      modelName: 'held',
      inferFunc: [held, held, held, held],
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    const port = triton.httpPort!;
    try {
      const idle = await slowClients(port, 4);
      sockets.push(...idle);
      const oldestClosed = once(idle[0]!, 'close');
      assert.equal(await within(getStatus(port), 5000, 'a request over the cap'), 200);
      await within(oldestClosed, 5000, 'the oldest idle connection closing');
      // Four requests in progress hold every connection.
      const body = '{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]}]}';
      const busy: Socket[] = [];
      for (let i = 0; i < 4; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        const inModel = new Promise<void>((resolve) => (onEnter = resolve));
        socket.write(`POST /v2/models/held/infer HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        busy.push(socket);
        await within(inModel, 5000, `request ${i} reaching the model`);
      }
      sockets.push(...busy);
      assert.equal(entered, 4);
      assert.equal(await within(getStatus(port), 5000, 'a request while every connection is busy'), 503);
      release();
      const answered = await within(
        Promise.all(busy.map((socket) => once(socket, 'data').then(([chunk]) => String(chunk).slice(0, 15)))),
        5000,
        'the held requests',
      );
      assert.deepEqual(answered, Array(4).fill('HTTP/1.1 200 OK'));
    } finally {
      release();
      await triton.stop();
    }
  });

  it('a client that does not finish its headers within httpHeadersTimeoutSecs is answered 408 and closed', async () => {
    const triton = new Triton({ config: { ...LOCAL, httpHeadersTimeoutSecs: 1 } });
    await triton.run();
    try {
      const [socket] = await slowClients(triton.httpPort!, 1);
      sockets.push(socket!);
      let text = '';
      socket!.on('data', (chunk: Buffer) => (text += chunk.toString()));
      await within(once(socket!, 'close'), 5000, 'the server closing the connection');
      assert.match(text, /^HTTP\/1\.1 408 /);
    } finally {
      await triton.stop();
    }
  });
});
