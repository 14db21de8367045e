/**
 * The trace viewer embedded in a server (`traceViewer` in TritonConfig, or TS_TRITON_TRACE_VIEWER): validated
 * once, started with the server and stopped with it, its URL logged; a viewer that cannot start leaves the
 * server running with a warning.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resolveConfig } from '../../src/config/triton-config.ts';
import { Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { DEFAULT_TRACE_VIEWER } from '../../src/viewer/viewer-settings.ts';
import { sdkSpans } from './otlp-helpers.ts';

const LOCAL = { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false };
const FREE_PORTS = { port: 0, otlpHttpPort: 0, otlpGrpcPort: 0 };

/** Runs `body` with the log's lines collected. */
async function withLog<T>(body: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const previous: LogSink = setLogSink((level, message) => lines.push(`${level}: ${message}`));
  try {
    return await body(lines);
  } finally {
    setLogSink(previous);
  }
}

describe('traceViewer config', () => {
  it('is off by default; true is every default; an object sets some; the environment wins', () => {
    assert.equal(resolveConfig({}, {}).traceViewer, false);
    assert.deepEqual(resolveConfig({ traceViewer: true }, {}).traceViewer, DEFAULT_TRACE_VIEWER);
    assert.deepEqual(resolveConfig({ traceViewer: { port: 17000, maxSpans: 10 } }, {}).traceViewer, {
      ...DEFAULT_TRACE_VIEWER,
      port: 17000,
      maxSpans: 10,
    });
    assert.equal(resolveConfig({ traceViewer: true }, { TS_TRITON_TRACE_VIEWER: 'false' }).traceViewer, false);
    assert.deepEqual(resolveConfig({}, { TS_TRITON_TRACE_VIEWER: '1' }).traceViewer, DEFAULT_TRACE_VIEWER);
    assert.deepEqual(
      resolveConfig({}, { TS_TRITON_TRACE_VIEWER: '{"otlpGrpcPort": 14317, "store": "sqlite:/tmp/t.db"}' }).traceViewer,
      {
        ...DEFAULT_TRACE_VIEWER,
        otlpGrpcPort: 14317,
        store: 'sqlite:/tmp/t.db',
      },
    );
    assert.ok(Object.isFrozen(resolveConfig({ traceViewer: { port: 1 } }, {}).traceViewer));
  });

  it('a wrong value is an error naming the setting (and the variable) and what is expected', () => {
    assert.throws(
      () => resolveConfig({ traceViewer: { port: -1 } }, {}),
      /TritonConfig\.traceViewer\.port must be an integer port from 0 to 65535; got -1/,
    );
    assert.throws(
      () => resolveConfig({ traceViewer: { colour: 'red' } as never }, {}),
      /TritonConfig\.traceViewer has no setting 'colour'; settings are host, port/,
    );
    assert.throws(
      () => resolveConfig({ traceViewer: { store: 'redis' } }, {}),
      /TritonConfig\.traceViewer\.store must be 'memory' or 'sqlite:<path>'/,
    );
    assert.throws(
      () => resolveConfig({}, { TS_TRITON_TRACE_VIEWER: 'yes' }),
      /TritonConfig\.traceViewer \(from TS_TRITON_TRACE_VIEWER\) must be true, false or an object of trace viewer settings; got "yes"/,
    );
    assert.throws(
      () => resolveConfig({}, { TS_TRITON_TRACE_VIEWER: '{"maxSpans": 0}' }),
      /TritonConfig\.traceViewer \(from TS_TRITON_TRACE_VIEWER\)\.maxSpans must be an integer >= 1; got 0/,
    );
  });
});

describe('embedded trace viewer', () => {
  it('starts with the server (URL logged), receives exports, and stops with it', async () => {
    await withLog(async (lines) => {
      const triton = new Triton({ config: { ...LOCAL, traceViewer: FREE_PORTS } });
      await triton.run();
      const viewer = triton.traceViewer;
      try {
        assert.ok(viewer);
        assert.ok(
          lines.some((l) =>
            l.startsWith(`info: Started trace viewer at ${viewer.url} (OTLP receivers: ${viewer.otlpHttpUrl}`),
          ),
          lines.join('\n'),
        );
        const spans = sdkSpans('embedded-test');
        const exporter = new OTLPTraceExporter({ url: viewer.otlpHttpUrl });
        const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
        await exporter.shutdown();
        assert.equal(result.code, ExportResultCode.SUCCESS);
        const services = (await (await fetch(`${viewer.url}api/services`)).json()) as { data: string[] };
        assert.deepEqual(services.data, ['embedded-test']);
      } finally {
        await triton.stop();
      }
      await assert.rejects(fetch(`${viewer.url}api/services`));
      await assert.rejects(fetch(viewer.otlpHttpUrl, { method: 'POST' }));
    });
  });

  it('is not started (nor loaded) when off', async () => {
    const triton = new Triton({ config: LOCAL });
    await triton.run();
    try {
      assert.equal(triton.traceViewer, undefined);
    } finally {
      await triton.stop();
    }
  });

  it('a viewer port in use is a warning naming it; the server runs without the viewer', async () => {
    const first = new Triton({ config: { ...LOCAL, traceViewer: FREE_PORTS } });
    await first.run();
    try {
      const taken = first.traceViewer!.otlpHttpPort;
      await withLog(async (lines) => {
        const second = new Triton({ config: { ...LOCAL, traceViewer: { ...FREE_PORTS, otlpHttpPort: taken } } });
        await second.run();
        try {
          assert.equal(second.traceViewer, undefined);
          assert.equal((await fetch(`http://127.0.0.1:${second.httpPort}/v2/health/ready`)).status, 200);
          const warning = lines.find((l) => l.startsWith('warn: '));
          assert.match(
            warning ?? '',
            new RegExp(`OTLP/HTTP port 127\\.0\\.0\\.1:${taken} is in use .*TS_TRITON_TRACE_VIEWER=false turns it off`),
          );
        } finally {
          await second.stop();
        }
      });
    } finally {
      await first.stop();
    }
  });
});
