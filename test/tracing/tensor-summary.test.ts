/**
 * Tensor summaries in OpenTelemetry mode at level TENSORS: each input's and output's datatype and shape on the
 * model span (compact and general path, HTTP and gRPC), a preview of values only with
 * `opentelemetry,tensor_preview`, bounded in count and bytes; nothing at level TIMESTAMPS. Decoded by the
 * fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { doubleModel } from '../fixtures/models/double.ts';
import { NDArray, type Triton } from '../../src/index.ts';
import { otlpTraceConfig, startTriton } from '../helpers/server.ts';
import { MAX_PREVIEW_BYTES, previewText } from '../../src/tracing/tensor-summary.ts';
import { parseTraceConfig } from '../../src/tracing/trace-config.ts';
import { type OtlpReceiver, type OtlpSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';

async function startServer(receiver: OtlpReceiver, config: readonly string[]): Promise<Triton> {
  const server = await startTriton({
    config: { traceConfig: [...otlpTraceConfig(receiver.url), ...config] },
    models: [doubleModel(3)],
  });
  return server.triton;
}

/** The model span of one request sent over `url`. */
async function modelSpan(
  receiver: OtlpReceiver,
  triton: Triton,
  url: 'http' | 'grpc',
  touch: boolean,
): Promise<OtlpSpan> {
  receiver.clear();
  const port = url === 'http' ? triton.httpPort : triton.grpcPort;
  await using client = new ModelClient(`${url}://127.0.0.1:${port}`, 'double');
  await client.inferSample({ x: new Float32Array([1, 2, 3]) }, { parameters: { touch } });
  const spans = await receiver.waitForSpans(4);
  return spans.find((s) => s.name === 'double')!;
}

for (const preview of [0, 2]) {
  describe(`level=TENSORS${preview ? `, tensor_preview=${preview}` : ''}`, () => {
    let receiver: OtlpReceiver;
    let triton: Triton;

    before(async () => {
      receiver = await startOtlpReceiver();
      triton = await startServer(receiver, [
        'level=TENSORS',
        ...(preview ? [`opentelemetry,tensor_preview=${preview}`] : []),
      ]);
    });

    after(async () => {
      await triton.stop();
      await receiver.close();
    });

    for (const url of ['http', 'grpc'] as const) {
      for (const touch of [false, true]) {
        it(`puts each input's and output's datatype and shape on the model span (${url}, ${touch ? 'general' : 'compact'} path)`, async () => {
          const a = (await modelSpan(receiver, triton, url, touch)).attributes;
          assert.equal(a['triton.model_name'], 'double');
          assert.equal(a['ts_triton.input.x.datatype'], 'FP32');
          assert.deepEqual(a['ts_triton.input.x.shape'], [1, 3]);
          assert.equal(a['ts_triton.output.y.datatype'], 'FP32');
          assert.deepEqual(a['ts_triton.output.y.shape'], [1, 3]);
          if (preview) {
            assert.equal(a['ts_triton.input.x.values'], '1,2…');
            assert.equal(a['ts_triton.output.y.values'], '2,4…');
          } else {
            assert.equal(a['ts_triton.input.x.values'], undefined);
            assert.equal(a['ts_triton.output.y.values'], undefined);
          }
        });
      }
    }
  });
}

describe('level=TIMESTAMPS', () => {
  it('puts no tensor summary on the model span', async () => {
    const receiver = await startOtlpReceiver();
    const triton = await startServer(receiver, ['level=TIMESTAMPS', 'opentelemetry,tensor_preview=2']);
    try {
      const a = (await modelSpan(receiver, triton, 'http', false)).attributes;
      assert.equal(a['triton.model_name'], 'double');
      assert.deepEqual(
        Object.keys(a).filter((k) => k.startsWith('ts_triton.')),
        [],
      );
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });
});

describe('the value preview', () => {
  it('shows at most the values asked for, all of a smaller tensor without an ellipsis', () => {
    assert.equal(previewText(new NDArray('INT32', new Int32Array([5, 6, 7]), [3]), 8), '5,6,7');
    assert.equal(previewText(new NDArray('INT32', new Int32Array([5, 6, 7]), [3]), 1), '5…');
    assert.equal(previewText(new NDArray('BOOL', new Uint8Array([1, 0]), [2]), 8), '1,0');
    assert.equal(previewText(new NDArray('FP16', new Uint16Array([1]), [1]), 8), undefined);
  });

  it(`stays within ${MAX_PREVIEW_BYTES} bytes, cut at a value`, () => {
    const long = new TextEncoder().encode('é'.repeat(100));
    const text = previewText(new NDArray('BYTES', [long, long, long], [3]), 64)!;
    assert.ok(Buffer.byteLength(text) <= MAX_PREVIEW_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.equal(text, `${JSON.stringify('é'.repeat(100))}…`);
  });

  it('is refused beyond 64 values, naming the setting', () => {
    assert.throws(() => parseTraceConfig(['mode=opentelemetry', 'opentelemetry,tensor_preview=65'], {}), {
      message:
        'Bad option: "--trace-config opentelemetry,tensor_preview".\nProvided option value is out of bound. Got 65',
    });
  });
});
