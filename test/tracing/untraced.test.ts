import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import { ModelConfig, type Request, Tensor, Triton } from '../../src/index.ts';

const SRC_INDEX = join(import.meta.dirname, '../../src/index.ts');

describe('a server without tracing', () => {
  it('gives model code a request.span that records nothing, and tracedSpan that costs nothing', async () => {
    const seen: Record<string, unknown>[] = [];
    const triton = new Triton({
      config: { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false },
    });
    triton.bind({
      modelName: 'probe',
      inferFunc: (requests: Request[]) =>
        requests.map((request) => {
          const span = request.span;
          const chained = span
            .setAttribute('a', 1)
            .setAttributes({ b: 2 })
            .addEvent('e')
            .setStatus({ code: 1 })
            .updateName('x');
          span.recordException(new Error('ignored'));
          span.end();
          const inner = trace.getSpan(trace.setSpan(context.active(), span));
          const result = request.tracedSpan('step', () => 'ran');
          {
            using opened = request.tracedSpan('scope');
            opened.setAttribute('c', 3);
          }
          seen.push({
            recording: span.isRecording(),
            context: span.spanContext(),
            chained: chained === span,
            inner: inner === span,
            result,
          });
          return { OUT: request.data.IN! };
        }),
      inputs: [Tensor({ name: 'IN', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'OUT', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    try {
      const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/probe/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'IN', datatype: 'INT32', shape: [1], data: [7] }] }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      await response.arrayBuffer();
    } finally {
      await triton.stop();
    }
    assert.deepEqual(seen, [
      {
        recording: false,
        context: { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 },
        chained: true,
        inner: true,
        result: 'ran',
      },
    ]);
  });

  it('does not load the OpenTelemetry packages, gRPC or prom-client', async () => {
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
      const { Triton } = await import(${JSON.stringify(SRC_INDEX)});
      const triton = new Triton({ config: { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false } });
      await triton.run();
      await triton.stop();
      process.stdout.write(JSON.stringify(loaded));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    const loaded = JSON.parse(stdout) as string[];
    assert.ok(
      loaded.some((url) => url.endsWith('/src/triton.ts')),
      'the hook saw the server load',
    );
    assert.deepEqual(
      loaded.filter((url) => /node_modules\/(@opentelemetry|@grpc|prom-client)\//.test(url)),
      [],
    );
  });
});
