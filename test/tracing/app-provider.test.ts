import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ModelConfig, Tensor, Triton } from '../../src/index.ts';

describe('OpenTelemetry mode inside an application that has its own tracer provider', () => {
  it("uses the application's provider and never replaces it", async () => {
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
        ],
      },
    });
    triton.bind({
      modelName: 'm',
      inferFunc: (requests) => requests.map((r) => ({ y: r.data.x! })),
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    assert.equal(triton.tracing!.pipeline!.registeredGlobally, false);
    const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/m/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1], data: [1] }] }),
    });
    assert.equal(response.status, 200);
    await triton.stop();
    const names = exporter
      .getFinishedSpans()
      .map((s) => s.name)
      .sort();
    assert.deepEqual(names, ['InferRequest', 'compute', 'infer_callable', 'm']);
    const probe = trace.getTracer('probe').startSpan('after-stop');
    probe.end();
    assert.ok(
      exporter.getFinishedSpans().some((s) => s.name === 'after-stop'),
      'the application provider is still the global one',
    );
    await appProvider.shutdown();
  });
});
