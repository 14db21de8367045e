/**
 * TLS: HTTPS and gRPC over TLS with a server certificate (Triton's `--grpc-use-ssl`, `--grpc-server-cert`,
 * `--grpc-server-key`), mutual TLS with client certificates signed by the root certificate
 * (`--grpc-use-ssl-mutual`, `--grpc-root-cert`), the same fields for HTTP, and the client's https:// and grpcs://.
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { type ClientTlsOptions, ModelClient } from '../../src/client/index.ts';
import { Triton, type TritonConfig } from '../../src/index.ts';
import { TestGrpcClient } from '../grpc/client.ts';
import { hasOpenssl, makeTestCertificates, type TestCertificates } from '../helpers/tls.ts';
import { startTestServer } from '../client/server.ts';

const skip = hasOpenssl() ? false : 'openssl is not installed';

const SAMPLE = { a: new Float32Array([1, 2]), b: new Float32Array([10, 20]) };

/** Infers once with a client of `url`; resolves with the sum or rejects with the client's error. */
async function inferOnce(url: string, tls?: ClientTlsOptions): Promise<number[]> {
  await using client = new ModelClient(url, 'add', { initTimeoutS: 5, inferenceTimeoutS: 5, ...(tls ? { tls } : {}) });
  const { sum } = await client.inferSample(SAMPLE);
  return [...(sum!.data as Float32Array)];
}

/** The status of GET /v2/health/ready over HTTPS with node:https (no client library in between). */
function httpsStatus(port: number, options: { ca?: Buffer; cert?: Buffer; key?: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/health/ready', agent: false, ...options }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.setTimeout(5000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', { skip }, () => {
  let certs: TestCertificates;
  before(() => {
    certs = makeTestCertificates();
  });
  after(() => certs?.remove());

  const tlsConfig = (mutual: boolean): Partial<TritonConfig> => ({
    httpUseSsl: true,
    httpServerCert: certs.serverCert,
    httpServerKey: certs.serverKey,
    grpcUseSsl: true,
    grpcServerCert: certs.serverCert,
    grpcServerKey: certs.serverKey,
    ...(mutual
      ? { httpUseSslMutual: true, grpcUseSslMutual: true, httpRootCert: certs.caCert, grpcRootCert: certs.caCert }
      : {}),
  });

  describe('with a server certificate', () => {
    let triton: Triton;
    before(async () => {
      triton = await startTestServer(tlsConfig(false));
    });
    after(() => triton.stop());

    it('serves HTTPS to a client that trusts the CA', async () => {
      assert.deepEqual(
        await inferOnce(`https://127.0.0.1:${triton.httpPort}`, { ca: certs.pem(certs.caCert) }),
        [11, 22],
      );
      assert.equal(await httpsStatus(triton.httpPort!, { ca: certs.pem(certs.caCert) }), 200);
    });

    it('serves gRPC over TLS to a client that trusts the CA', async () => {
      assert.deepEqual(
        await inferOnce(`grpcs://127.0.0.1:${triton.grpcPort}`, { ca: certs.pem(certs.caCert) }),
        [11, 22],
      );
    });

    it('refuses plain text on both ports', async () => {
      await assert.rejects(fetch(`http://127.0.0.1:${triton.httpPort}/v2/health/ready`));
      const plain = new TestGrpcClient(triton.grpcPort!);
      try {
        await assert.rejects(plain.call('serverLive', {}), { code: 14 });
      } finally {
        plain.close();
      }
    });

    it('is refused by a client that does not trust its certificate', async () => {
      await assert.rejects(
        httpsStatus(triton.httpPort!, { ca: certs.pem(certs.otherCaCert) }),
        /self-signed|unable to verify|certificate/i,
      );
      await assert.rejects(inferOnce(`grpcs://127.0.0.1:${triton.grpcPort}`, { ca: certs.pem(certs.otherCaCert) }));
    });
  });

  describe('mutual', () => {
    let triton: Triton;
    before(async () => {
      triton = await startTestServer(tlsConfig(true));
    });
    after(() => triton.stop());

    const clientTls = () => ({
      ca: certs.pem(certs.caCert),
      cert: certs.pem(certs.clientCert),
      key: certs.pem(certs.clientKey),
    });

    it('serves a client with a certificate signed by the root certificate', async () => {
      assert.equal(await httpsStatus(triton.httpPort!, clientTls()), 200);
      assert.deepEqual(await inferOnce(`https://127.0.0.1:${triton.httpPort}`, clientTls()), [11, 22]);
      assert.deepEqual(await inferOnce(`grpcs://127.0.0.1:${triton.grpcPort}`, clientTls()), [11, 22]);
    });

    it('refuses a client without a certificate', async () => {
      await assert.rejects(httpsStatus(triton.httpPort!, { ca: certs.pem(certs.caCert) }));
      await assert.rejects(inferOnce(`grpcs://127.0.0.1:${triton.grpcPort}`, { ca: certs.pem(certs.caCert) }));
    });

    it('refuses a client whose certificate another CA signed', async () => {
      const untrusted = makeTestCertificates();
      try {
        const tls = {
          ca: certs.pem(certs.caCert),
          cert: untrusted.pem(untrusted.clientCert),
          key: untrusted.pem(untrusted.clientKey),
        };
        await assert.rejects(httpsStatus(triton.httpPort!, tls));
        await assert.rejects(inferOnce(`grpcs://127.0.0.1:${triton.grpcPort}`, tls));
      } finally {
        untrusted.remove();
      }
    });
  });

  describe('configuration', () => {
    const run = (config: Partial<TritonConfig>) =>
      new Triton({ config: { httpPort: 0, grpcPort: 0, allowMetrics: false, ...config } }).run();

    it('needs a certificate and a key, and a root certificate for mutual TLS', async () => {
      await assert.rejects(run({ grpcUseSsl: true }), {
        message: 'TritonConfig.grpcServerCert must name a PEM file when grpcUseSsl is true',
      });
      await assert.rejects(run({ httpUseSsl: true, httpServerCert: certs.serverCert }), {
        message: 'TritonConfig.httpServerKey must name a PEM file when httpUseSsl is true',
      });
      await assert.rejects(
        run({ grpcUseSslMutual: true, grpcServerCert: certs.serverCert, grpcServerKey: certs.serverKey }),
        {
          message: 'TritonConfig.grpcRootCert must name a PEM file when grpcUseSslMutual is true',
        },
      );
    });

    it('names the field of a file that cannot be read, holds no PEM, or does not match', async () => {
      await assert.rejects(
        run({ grpcUseSsl: true, grpcServerCert: `${certs.dir}/missing.crt`, grpcServerKey: certs.serverKey }),
        {
          message: new RegExp(`^TritonConfig\\.grpcServerCert: cannot read '${certs.dir}/missing\\.crt': ENOENT`),
        },
      );
      await assert.rejects(
        run({ httpUseSsl: true, httpServerCert: `${certs.dir}/server.ext`, httpServerKey: certs.serverKey }),
        {
          message: `TritonConfig.httpServerCert: '${certs.dir}/server.ext' holds no PEM block`,
        },
      );
      await assert.rejects(
        run({ httpUseSsl: true, httpServerCert: certs.serverCert, httpServerKey: certs.clientKey }),
        {
          message: /^TritonConfig\.httpServerCert, httpServerKey: .*key values mismatch/,
        },
      );
    });

    it('comes from TS_TRITON_GRPC_USE_SSL and the other variables', async () => {
      const { resolveConfig } = await import('../../src/config/triton-config.ts');
      const config = resolveConfig(
        {},
        { TS_TRITON_GRPC_USE_SSL_MUTUAL: 'true', TS_TRITON_GRPC_ROOT_CERT: '/ca.pem', TS_TRITON_HTTP_USE_SSL: '1' },
      );
      assert.equal(config.grpcUseSslMutual, true);
      assert.equal(config.grpcRootCert, '/ca.pem');
      assert.equal(config.httpUseSsl, true);
    });
  });

  it('the client refuses TLS settings with a plain URL', () => {
    assert.throws(
      () => new ModelClient('grpc://127.0.0.1:1', 'add', { tls: { ca: 'x' } }),
      /TLS settings need an https:\/\/ or grpcs:\/\/ URL/,
    );
    assert.throws(
      () => new ModelClient('https://127.0.0.1:1', 'add', { tls: { cert: 'x' } }),
      /need both cert and key/,
    );
  });
});
