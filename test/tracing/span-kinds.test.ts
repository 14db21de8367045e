/**
 * `opentelemetry,span_kinds`: Triton's all-SERVER by default; `standard` gives SERVER on the root and INTERNAL
 * below it, on the compact path and the general one (decoded by the fixture receiver), and on an application's
 * own tracer provider. A bad value is refused naming the setting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ModelClient } from '../../src/client/index.ts';
import { doubleModel } from '../fixtures/models/double.ts';
import { Triton } from '../../src/index.ts';
import { parseTraceConfig } from '../../src/tracing/trace-config.ts';
import { type OtlpReceiver, type OtlpSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

/** OTLP's kind numbers (the API's plus one). */
const OTLP_SERVER = SpanKind.SERVER + 1;
const OTLP_INTERNAL = SpanKind.INTERNAL + 1;
const TREE = ['InferRequest', 'double', 'compute', 'infer_callable'];

function bindDouble(triton: Triton): void {
  triton.bind(doubleModel());
}

for (const setting of [undefined, 'triton', 'standard'] as const) {
  describe(`span kinds with ${setting === undefined ? 'no span_kinds setting' : `span_kinds=${setting}`}`, () => {
    let receiver: OtlpReceiver;
    let triton: Triton;
    const standard = setting === 'standard';

    before(async () => {
      receiver = await startOtlpReceiver();
      triton = new Triton({
        config: {
          ...LOCAL,
          traceConfig: [
            'level=TIMESTAMPS',
            ...otlpTraceConfig(receiver.url),
            ...(setting === undefined ? [] : [`opentelemetry,span_kinds=${setting}`]),
          ],
        },
      });
      bindDouble(triton);
      await triton.run();
    });

    after(async () => {
      await triton.stop();
      await receiver.close();
    });

    for (const url of ['http', 'grpc'] as const) {
      for (const touch of [false, true]) {
        it(`${url}, ${touch ? 'general' : 'compact'} path: ${standard ? 'SERVER root, INTERNAL below' : 'every span SERVER'}`, async () => {
          receiver.clear();
          const port = url === 'http' ? triton.httpPort : triton.grpcPort;
          await using client = new ModelClient(`${url}://127.0.0.1:${port}`, 'double');
          await client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch } });
          const spans: OtlpSpan[] = await receiver.waitForSpans(4);
          assert.deepEqual(spans.map((s) => s.name).sort(), [...TREE].sort());
          for (const span of spans) {
            const expected = standard && span.name !== 'InferRequest' ? OTLP_INTERNAL : OTLP_SERVER;
            assert.equal(span.kind, expected, `kind of ${span.name}`);
          }
        });
      }
    }
  });
}

describe('span_kinds on an application tracer provider', () => {
  it('gives SERVER on the root and INTERNAL below it with span_kinds=standard', async () => {
    const exporter = new InMemorySpanExporter();
    const appProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    assert.ok(trace.setGlobalTracerProvider(appProvider));
    const triton = new Triton({
      config: {
        httpPort: 0,
        httpAddress: '127.0.0.1',
        allowGrpc: false,
        allowMetrics: false,
        traceConfig: [
          'level=TIMESTAMPS',
          'rate=1',
          'mode=opentelemetry',
          'opentelemetry,url=http://127.0.0.1:9/v1/traces',
          'opentelemetry,span_kinds=standard',
        ],
      },
    });
    bindDouble(triton);
    await triton.run();
    try {
      await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'double');
      await client.inferSample({ x: new Float32Array([1, 2]) });
    } finally {
      await triton.stop();
    }
    // Read before the provider's shutdown, which empties the exporter.
    const kinds = Object.fromEntries(exporter.getFinishedSpans().map((s) => [s.name, s.kind]));
    trace.disable();
    await appProvider.shutdown();
    assert.deepEqual(kinds, {
      InferRequest: SpanKind.SERVER,
      double: SpanKind.INTERNAL,
      compute: SpanKind.INTERNAL,
      infer_callable: SpanKind.INTERNAL,
    });
  });
});

describe('the span_kinds setting', () => {
  it('is triton unless given, and read in opentelemetry mode', () => {
    assert.equal(parseTraceConfig(['mode=opentelemetry'], {}).otel.spanKinds, 'triton');
    assert.equal(
      parseTraceConfig(['mode=opentelemetry', 'opentelemetry,span_kinds=standard'], {}).otel.spanKinds,
      'standard',
    );
  });

  it('refuses another value with a message naming the setting and its values', () => {
    assert.throws(
      () => parseTraceConfig(['mode=opentelemetry', 'opentelemetry,span_kinds=spec'], {}),
      (error: Error) => {
        assert.equal(
          error.message,
          'Bad option: "--trace-config opentelemetry,span_kinds".\ninvalid value for span_kinds: spec. Available options are "triton" and "standard"',
        );
        return true;
      },
    );
  });
});
