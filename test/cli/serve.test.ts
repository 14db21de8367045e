import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { KIND } from '../../src/config/triton-config.ts';
import { environmentUnderFlags, flagName, parseServeArgs, serveUsage } from '../../src/cli/serve/serve-options.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import { startExample } from '../helpers/example-process.ts';
import { within } from '../helpers/within.ts';

const MAIN = 'src/cli/main.ts';

describe('ts-triton serve: flags', () => {
  it('takes tritonserver flags, as --flag value and --flag=value, lists repeated, booleans alone or with a value', () => {
    const { config, help } = parseServeArgs([
      'models',
      '--http-port',
      '8080',
      '--grpc-port=9000',
      '--metrics-port',
      '8002',
      '--http-address=127.0.0.1',
      '--allow-grpc=false',
      '--allow-metrics',
      'true',
      '--strict-readiness',
      '--trace-config',
      'mode=opentelemetry',
      '--trace-config=rate=1',
      '--log-verbose=1',
      '--exit-timeout-secs',
      '5',
      '--model-control-mode=explicit',
      '--load-model',
      'a',
      '--load-model=b',
      '--allow-http',
    ]);
    assert.equal(help, false);
    assert.deepEqual(config, {
      modelRepository: 'models',
      httpPort: 8080,
      grpcPort: 9000,
      metricsPort: 8002,
      httpAddress: '127.0.0.1',
      allowGrpc: false,
      allowMetrics: true,
      strictReadiness: true,
      traceConfig: ['mode=opentelemetry', 'rate=1'],
      logVerbose: 1,
      exitTimeoutSecs: 5,
      modelControlMode: 'explicit',
      loadModel: ['a', 'b'],
      allowHttp: true,
    });
    assert.deepEqual(parseServeArgs(['--model-store=/mnt/models']).config, { modelRepository: '/mnt/models' });
    assert.equal(parseServeArgs(['--help']).help, true);
  });

  it('has a flag for every configuration field, listed in --help with its default and variable', () => {
    const usage = serveUsage();
    for (const field of Object.keys(KIND)) {
      assert.match(usage, new RegExp(`--${flagName(field)} `), field);
      assert.doesNotThrow(() =>
        parseServeArgs([`--${flagName(field)}=${KIND[field as keyof typeof KIND] === 'boolean' ? 'true' : '1'}`]),
      );
    }
    assert.match(usage, /--model-control-mode <none\|explicit\|poll> +default none; env TS_TRITON_MODEL_CONTROL_MODE/);
  });

  it('names the flag of a wrong command line', () => {
    const wrong: [string[], RegExp][] = [
      [['--http-prot', '1'], /unknown option '--http-prot'/],
      [['--http-port', 'x'], /--http-port expects an integer >= 0; got 'x'/],
      [['--allow-http=maybe'], /--allow-http expects true or false; got 'maybe'/],
      [['--trace-config'], /--trace-config expects a value <entry>/],
      [['a', 'b'], /one model repository only; got 'a' and 'b'/],
    ];
    for (const [args, message] of wrong)
      assert.throws(
        () => parseServeArgs(args),
        (e) => e instanceof UsageError && message.test(e.message),
      );
  });

  it('flags win over TS_TRITON_* variables, which win over defaults; each overridden variable is named', () => {
    const env = { TS_TRITON_HTTP_PORT: '1234', TS_TRITON_GRPC_PORT: '4321', PATH: '/bin' };
    const { env: filtered, overridden } = environmentUnderFlags({ httpPort: 8080 }, env);
    assert.deepEqual(filtered, { TS_TRITON_GRPC_PORT: '4321', PATH: '/bin' });
    assert.deepEqual(overridden, ['TS_TRITON_HTTP_PORT (--http-port wins)']);
  });
});

describe('ts-triton serve: the command', () => {
  const run = async (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await within(once(child, 'exit'), 15_000, 'ts-triton')) as [number | null];
    return { code, stdout, stderr };
  };

  it('prints its usage with --help (status 0) and rejects a wrong command line (status 2)', async () => {
    const help = await run(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: ts-triton serve \[<model-repository>\]/);
    const wrong = await run(['serve', 'examples/model-repository', '--no-such-flag']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /ts-triton serve: unknown option '--no-such-flag'/);
    const none = await run(['serve']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no model repository/);
  });

  it('serves the example repository; a flag overrides its variable; SIGTERM drains and exits 0', async () => {
    const server = await startExample(MAIN, { TS_TRITON_HTTP_ADDRESS: '0.0.0.0' }, [
      'serve',
      'examples/model-repository',
      '--http-address=127.0.0.1',
      '--grpc-address=127.0.0.1',
      '--metrics-address=127.0.0.1',
    ]);
    try {
      assert.match(server.log(), /TS_TRITON_HTTP_ADDRESS \(--http-address wins\): the command line sets it/);
      assert.match(server.log(), /Started HTTPService at 127\.0\.0\.1:/);
      const index = await fetch(`${server.url}/v2/repository/index`, { method: 'POST' });
      assert.deepEqual(await index.json(), [
        { name: 'add_sub', version: '1', state: 'READY' },
        { name: 'add_sub', version: '2', state: 'READY' },
        { name: 'identity', version: '1', state: 'READY' },
      ]);
      const infer = await fetch(`${server.url}/v2/models/add_sub/infer`, {
        method: 'POST',
        body: JSON.stringify({
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [1, 2], data: [1, 2] },
            { name: 'b', datatype: 'FP32', shape: [1, 2], data: [3, 4] },
          ],
        }),
      });
      const body = (await infer.json()) as { model_version: string; outputs: { name: string; data: number[] }[] };
      assert.equal(body.model_version, '2');
      assert.deepEqual(
        body.outputs.map((o) => [o.name, o.data]),
        [
          ['add', [4, 6]],
          ['sub', [-2, -2]],
          ['mul', [3, 8]],
        ],
      );
    } finally {
      assert.equal(await within(server.stop(), 15_000, 'the server to stop'), 0);
    }
    assert.match(server.log(), /Received SIGTERM, stopping/);
  });
});
