/**
 * `ts-triton viewer`: options, a run that receives an export and serves it, a clean stop on SIGTERM, and the
 * SQLite store keeping traces across a restart.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { parseViewerArgs } from '../../src/cli/viewer-command.ts';
import { DEFAULT_TRACE_VIEWER } from '../../src/viewer/viewer-settings.ts';
import { sdkSpans } from './otlp-helpers.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

interface Running {
  readonly child: ChildProcess;
  readonly viewerUrl: string;
  readonly otlpUrl: string;
  readonly output: () => string;
}

/** Starts `ts-triton viewer` on free ports; resolves once it logs its receiver. */
async function startViewer(...args: string[]): Promise<Running> {
  const child = spawn(
    process.execPath,
    [CLI, 'viewer', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const [viewerUrl, otlpUrl] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ts-triton viewer did not start:\n${output}`)), 15_000);
    const check = () => {
      const page = /Trace viewer at (\S+)/.exec(output);
      const otlp = /OTLP\/HTTP receiver at (\S+),/.exec(output);
      if (page && otlp) {
        clearTimeout(timer);
        resolve([page[1]!, otlp[1]!]);
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ts-triton viewer exited with ${code}:\n${output}`));
    });
  });
  return { child, viewerUrl, otlpUrl, output: () => output };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  const [code] = (await once(running.child, 'exit')) as [number | null];
  return code;
}

async function exportTo(url: string, spans = sdkSpans('cli-test')): Promise<string> {
  const exporter = new OTLPTraceExporter({ url });
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  await exporter.shutdown();
  assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
  return spans.find((s) => s.name === 'GET /infer')!.spanContext().traceId;
}

describe('ts-triton viewer', () => {
  it('parses its options into settings', () => {
    assert.deepEqual(parseViewerArgs([]), DEFAULT_TRACE_VIEWER);
    assert.equal(parseViewerArgs(['--help']), undefined);
    assert.deepEqual(
      parseViewerArgs([
        '--host',
        '0.0.0.0',
        '--port',
        '17686',
        '--otlp-http-port',
        '14318',
        '--otlp-grpc-port',
        '14317',
        '--store',
        'sqlite:t.db',
        '--max-spans',
        '1000',
        '--max-bytes',
        '100000',
      ]),
      {
        ...DEFAULT_TRACE_VIEWER,
        host: '0.0.0.0',
        port: 17686,
        otlpHttpPort: 14318,
        otlpGrpcPort: 14317,
        store: 'sqlite:t.db',
        maxSpans: 1000,
        maxBytes: 100000,
      },
    );
    assert.throws(() => parseViewerArgs(['--max-spans', '0']), /--max-spans must be an integer >= 1; got 0/);
    assert.throws(() => parseViewerArgs(['--port', '1e3']), /--port must be an integer; got '1e3'/);
    assert.throws(() => parseViewerArgs(['--colour']), /Unknown option '--colour'/);
  });

  it('receives an export, serves it, and exits 0 on SIGTERM', async () => {
    const running = await startViewer('--max-spans', '1000');
    try {
      assert.match(running.viewerUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const traceId = await exportTo(running.otlpUrl);
      const response = await fetch(`${running.viewerUrl}api/traces/${traceId}`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as { data: { spans: unknown[] }[] };
      assert.equal(body.data[0]!.spans.length, 3);
    } finally {
      assert.equal(await stop(running), 0, running.output());
    }
  });

  it('with --store sqlite:<path>, traces survive a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'viewer-cli-'));
    try {
      const store = `sqlite:${join(dir, 'traces.db')}`;
      const first = await startViewer('--store', store);
      let traceId: string;
      try {
        traceId = await exportTo(first.otlpUrl);
      } finally {
        assert.equal(await stop(first), 0, first.output());
      }
      const second = await startViewer('--store', store);
      try {
        const response = await fetch(`${second.viewerUrl}api/traces/${traceId}`);
        assert.equal(response.status, 200, second.output());
        const body = (await response.json()) as { data: { spans: unknown[] }[] };
        assert.equal(body.data[0]!.spans.length, 3);
      } finally {
        assert.equal(await stop(second), 0, second.output());
      }
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('a usage error exits 2 naming the option', async () => {
    const child = spawn(process.execPath, [CLI, 'viewer', '--otlp-grpc-port', '99999'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(stderr, /--otlp-grpc-port must be an integer port from 0 to 65535; got 99999/);
  });
});
