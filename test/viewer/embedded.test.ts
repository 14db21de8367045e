/**
 * The trace viewer embedded in a server (`traceViewer` in TritonConfig, or TS_TRITON_TRACE_VIEWER): validated
 * once, started with the server and stopped with it, its URL logged; a viewer that cannot start leaves the
 * server running with a warning.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resolveConfig } from '../../src/config/triton-config.ts';
import { Tensor, Triton } from '../../src/index.ts';
import { type LogSink, setLogSink } from '../../src/logger.ts';
import { createLocalTransport, type LocalCollector } from '../../src/tracing/otlp/local-transport.ts';
import { DEFAULT_TRACE_VIEWER } from '../../src/viewer/viewer-settings.ts';
import { type EmbeddedTraceViewer, startTraceViewerWorker } from '../../src/viewer/viewer-worker.ts';
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

describe('exports handed to the embedded viewer in process', () => {
  const exportBytes = (service: string): Uint8Array => ProtobufTraceSerializer.serializeRequest(sdkSpans(service))!;

  it("the server's own exports to its viewer's OTLP/HTTP URL go to it in process, not over a socket", async () => {
    const probe = await startTraceViewerWorker({ ...DEFAULT_TRACE_VIEWER, ...FREE_PORTS });
    const otlpHttpPort = probe.otlpHttpPort; // a free port for the server's viewer
    await probe.close();
    await withLog(async (lines) => {
      const triton = new Triton({
        config: {
          ...LOCAL,
          traceViewer: { ...FREE_PORTS, otlpHttpPort },
          traceConfig: [
            'rate=1',
            'level=TIMESTAMPS',
            'mode=opentelemetry',
            `opentelemetry,url=http://localhost:${otlpHttpPort}/v1/traces`,
            'opentelemetry,resource=service.name=in-process-test',
            'opentelemetry,bsp_schedule_delay=10',
          ],
        },
      });
      triton.bind({
        modelName: 'echo',
        inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
        inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
        outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [-1] })],
      });
      await triton.run();
      const viewer = triton.traceViewer!;
      const handed: number[] = [];
      const send = viewer.send.bind(viewer);
      (viewer as { send: EmbeddedTraceViewer['send'] }).send = (request, encoding) => {
        handed.push(request.byteLength);
        return send(request, encoding);
      };
      try {
        assert.ok(
          lines.some((l) =>
            l.includes(
              `exporting to the collector at http://localhost:${otlpHttpPort}/v1/traces (the trace viewer at ${viewer.url}, in this process)`,
            ),
          ),
          lines.join('\n'),
        );
        const res = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/echo/infer`, {
          method: 'POST',
          body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
        });
        assert.equal(res.status, 200);
        const deadline = Date.now() + 10_000;
        let traces: { data: unknown[] } = { data: [] };
        while (traces.data.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          traces = (await (await fetch(`${viewer.url}api/traces?service=in-process-test`)).json()) as typeof traces;
        }
        assert.equal(traces.data.length, 1, "the request's trace reached the viewer");
        assert.ok(handed.length > 0 && handed.every((bytes) => bytes > 0), 'handed over in process');
      } finally {
        await triton.stop();
      }
    });
  });

  it('answers as the OTLP/HTTP receiver would: the response, a malformed or oversized export, a stopped viewer', async () => {
    const viewer = await startTraceViewerWorker({ ...DEFAULT_TRACE_VIEWER, ...FREE_PORTS, maxExportBytes: 4096 });
    try {
      const ok = await viewer.send(exportBytes('handed-over'), 'protobuf');
      assert.ok(ok.ok);
      assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(ok.response), {});
      const json = await viewer.send(JsonTraceSerializer.serializeRequest(sdkSpans('handed-over-json'))!, 'json');
      assert.ok(json.ok);
      assert.deepEqual(JSON.parse(Buffer.from(json.response).toString('utf8')), {});
      const services = (await (await fetch(`${viewer.url}api/services`)).json()) as { data: string[] };
      assert.deepEqual(services.data, ['handed-over', 'handed-over-json']);
      assert.deepEqual(await viewer.send(new Uint8Array([0x0a, 0x05, 1]), 'protobuf'), {
        ok: false,
        retryable: false,
        message:
          'invalid ExportTraceServiceRequest: resourceSpans[0]: malformed protobuf (length 5 runs past the end of the message)',
      });
      const large = await viewer.send(new Uint8Array(5000), 'protobuf');
      assert.deepEqual(large, {
        ok: false,
        retryable: false,
        message: "the export is larger than the receiver's limit of 4096 bytes; send smaller batches",
      });
    } finally {
      await viewer.close();
    }
    assert.deepEqual(await viewer.send(exportBytes('late'), 'protobuf'), {
      ok: false,
      retryable: true,
      message: 'the trace viewer has stopped',
    });
  });

  it('is chosen only for its own receiver: http, /v1/traces, its port, its host or a loopback name', async () => {
    const viewer = await startTraceViewerWorker({ ...DEFAULT_TRACE_VIEWER, ...FREE_PORTS });
    try {
      const port = viewer.otlpHttpPort;
      const at = (url: string): boolean => viewer.receivesAt(new URL(url));
      assert.equal(at(viewer.otlpHttpUrl), true);
      assert.equal(at(`http://localhost:${port}/v1/traces`), true);
      assert.equal(at(`http://[::1]:${port}/v1/traces`), true);
      assert.equal(at(`https://127.0.0.1:${port}/v1/traces`), false);
      assert.equal(at(`http://127.0.0.1:${port}/v1/logs`), false);
      assert.equal(at(`http://127.0.0.1:${port + 1}/v1/traces`), false);
      assert.equal(at(`http://collector.example:${port}/v1/traces`), false);
    } finally {
      await viewer.close();
    }
  });

  it('the transport maps answers to export outcomes, and a collector that does not answer in time to a retryable one', async () => {
    const collector = (
      answer: (request: Uint8Array) => Promise<never> | ReturnType<LocalCollector['send']>,
    ): LocalCollector => ({
      name: 'a test collector',
      receivesAt: () => true,
      send: (request) => answer(request),
    });
    const response = new Uint8Array([1, 2]);
    const ok = createLocalTransport(
      collector(() => Promise.resolve({ ok: true, response })),
      'protobuf',
    );
    assert.deepEqual(await ok.send(new Uint8Array(1), 1000), { status: 'success', data: response });
    const refused = createLocalTransport(
      collector(() => Promise.resolve({ ok: false, retryable: false, message: 'malformed' })),
      'protobuf',
    );
    const failed = await refused.send(new Uint8Array(1), 1000);
    assert.equal(failed.status, 'failure');
    assert.equal((failed as { error: Error }).error.message, 'malformed');
    const silent = createLocalTransport(
      collector(() => new Promise<never>(() => {})),
      'protobuf',
    );
    const late = await silent.send(new Uint8Array(1), 20);
    assert.equal(late.status, 'retryable');
    assert.equal((late as { error: Error }).error.message, 'a test collector did not answer in time');
  });
});
