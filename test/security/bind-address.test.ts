import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { Triton } from '../../src/index.ts';

/** The first IPv4 address of this machine that is not loopback, if there is one. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (found) return found.address;
  }
  return undefined;
}

/** Whether a TCP connection to `host:port` is accepted (false on a refusal or after 5 s). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('default bind address', () => {
  it('serves HTTP, gRPC and metrics on loopback only', async (t) => {
    const external = externalAddress();
    if (external === undefined) return t.skip('this machine has no non-loopback IPv4 address');
    await using triton = new Triton({ config: { httpPort: 0, grpcPort: 0, metricsPort: 0, exitTimeoutSecs: 1 } });
    await triton.run();
    for (const port of [triton.httpPort!, triton.grpcPort!, triton.metricsPort!]) {
      assert.equal(await accepts('127.0.0.1', port), true, `port ${port} on loopback`);
      assert.equal(await accepts(external, port), false, `port ${port} on ${external}`);
    }
  });
});
