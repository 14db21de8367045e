import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, envName, resolveConfig } from '../../src/config/triton-config.ts';
import { defaultMaxConnections } from '../../src/frontends/http/connections.ts';

describe('resolveConfig', () => {
  it("has Triton's defaults, but listens on loopback only", () => {
    const config = resolveConfig({}, {});
    assert.equal(config.httpAddress, '127.0.0.1');
    assert.equal(config.grpcAddress, '127.0.0.1');
    assert.equal(config.metricsAddress, '127.0.0.1');
    assert.equal(config.httpPort, 8000);
    assert.equal(config.grpcPort, 8001);
    assert.equal(config.metricsPort, 8002);
    assert.equal(config.exitTimeoutSecs, 30);
    assert.equal(config.httpMaxInputSize, 64 * 1024 * 1024);
    assert.deepEqual(config.traceConfig, []);
    assert.deepEqual(config, DEFAULT_CONFIG);
  });

  it('names environment variables TS_TRITON_<FIELD_NAME>', () => {
    assert.equal(envName('httpPort'), 'TS_TRITON_HTTP_PORT');
    assert.equal(envName('httpMaxInputSize'), 'TS_TRITON_HTTP_MAX_INPUT_SIZE');
    assert.equal(envName('traceConfig'), 'TS_TRITON_TRACE_CONFIG');
  });

  it('lets the environment win over code', () => {
    const config = resolveConfig(
      { httpPort: 9000, allowGrpc: true, id: 'code' },
      {
        TS_TRITON_HTTP_PORT: '9100',
        TS_TRITON_ALLOW_GRPC: 'false',
        TS_TRITON_TRACE_CONFIG: '["rate=5","level=TIMESTAMPS"]',
      },
    );
    assert.equal(config.httpPort, 9100);
    assert.equal(config.allowGrpc, false);
    assert.equal(config.id, 'code');
    assert.deepEqual(config.traceConfig, ['rate=5', 'level=TIMESTAMPS']);
  });

  it('ignores empty environment variables', () => {
    assert.equal(resolveConfig({ httpPort: 9000 }, { TS_TRITON_HTTP_PORT: '' }).httpPort, 9000);
  });

  it('freezes the result, lists included', () => {
    const config = resolveConfig({ traceConfig: ['rate=1'] }, {});
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.traceConfig));
  });

  it('names the field and the variable of a bad value', () => {
    assert.throws(() => resolveConfig({}, { TS_TRITON_HTTP_PORT: 'eighty' }), {
      message: 'TritonConfig.httpPort (from TS_TRITON_HTTP_PORT) must be an integer port from 0 to 65535; got "eighty"',
    });
    assert.throws(() => resolveConfig({}, { TS_TRITON_TRACE_CONFIG: 'rate=1' }), {
      message:
        'TritonConfig.traceConfig (from TS_TRITON_TRACE_CONFIG) must be a list of strings given as a JSON array; got "rate=1"',
    });
    assert.throws(
      () => resolveConfig({ exitTimeoutSecs: -1 }, {}),
      /TritonConfig\.exitTimeoutSecs must be an integer >= 0; got -1/,
    );
    assert.throws(
      () => resolveConfig({ allowHttp: 'yes' as never }, {}),
      /TritonConfig\.allowHttp must be true or false/,
    );
  });

  it('rejects unknown fields and turning off both HTTP and gRPC', () => {
    assert.throws(() => resolveConfig({ httpPrt: 1 } as never, {}), /TritonConfig has no field 'httpPrt'/);
    assert.throws(() => resolveConfig({ allowHttp: false, allowGrpc: false }, {}), /cannot both be false/);
  });

  it('has HTTP connection limits: a cap from the open-file limit, header and request timeouts', () => {
    const config = resolveConfig({}, {});
    assert.equal(config.httpMaxConnections, 0);
    assert.equal(config.httpHeadersTimeoutSecs, 10);
    assert.equal(config.httpRequestTimeoutSecs, 300);
    assert.equal(config.httpKeepAliveTimeoutSecs, 65);
    assert.equal(resolveConfig({}, { TS_TRITON_HTTP_MAX_CONNECTIONS: '500' }).httpMaxConnections, 500);
    assert.throws(
      () => resolveConfig({ httpHeadersTimeoutSecs: 30, httpRequestTimeoutSecs: 20 }, {}),
      /TritonConfig.httpHeadersTimeoutSecs \(30\) cannot be more than httpRequestTimeoutSecs \(20\)/,
    );
    assert.equal(
      resolveConfig({ httpHeadersTimeoutSecs: 30, httpRequestTimeoutSecs: 0 }, {}).httpHeadersTimeoutSecs,
      30,
    );
  });

  it('takes three quarters of the open-file limit as the default connection cap', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = join(dir, 'limits');
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n',
    );
    assert.equal(defaultMaxConnections(file), 768);
    writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    assert.equal(defaultMaxConnections(file), 1024);
    assert.equal(defaultMaxConnections(join(dir, 'missing')), 1024);
    rmSync(dir, { recursive: true });
  });
});
