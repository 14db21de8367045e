/**
 * The root span carries OpenTelemetry's HTTP or RPC server attributes beside Triton's, over HTTP and gRPC,
 * on the compact path and the general one, for answered and failed requests. Decoded by the fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { doubleModel } from '../fixtures/models/double.ts';
import { Triton } from '../../src/index.ts';
import { type OtlpReceiver, type OtlpSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { metadataOf, TestGrpcClient } from '../grpc/client.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

describe('the standard server attributes of the root span', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = new Triton({ config: { ...LOCAL, traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] } });
    triton.bind(doubleModel());
    await triton.run();
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  /** The root span of the one request sent by `send`, with Triton's attributes on its model span checked. */
  async function rootOf(send: () => Promise<unknown>): Promise<OtlpSpan> {
    receiver.clear();
    await send();
    const spans = await receiver.waitForSpans(4);
    const model = spans.find((s) => s.name === 'double')!;
    assert.equal(model.attributes['triton.model_name'], 'double');
    return spans.find((s) => s.name === 'InferRequest' && s.traceId === model.traceId)!;
  }

  for (const touch of [false, true]) {
    const path = touch ? 'general path' : 'compact path';
    it(`puts the HTTP server attributes on the root (${path})`, async () => {
      await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'double');
      const root = await rootOf(() => client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch } }));
      const a = root.attributes;
      assert.equal(a['http.request.method'], 'POST');
      assert.equal(a['http.route'], '/v2/models/{model_name}/infer');
      assert.equal(a['url.path'], '/v2/models/double/infer');
      assert.equal(a['http.response.status_code'], 200);
      assert.equal(a['server.address'], '127.0.0.1');
      assert.equal(a['server.port'], triton.httpPort);
      assert.equal(a['client.address'], '127.0.0.1');
      assert.equal(a['rpc.system'], undefined);
    });

    it(`puts the RPC server attributes on the root (${path})`, async () => {
      await using client = new ModelClient(`grpc://127.0.0.1:${triton.grpcPort}`, 'double');
      const root = await rootOf(() => client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { touch } }));
      const a = root.attributes;
      assert.equal(a['rpc.system'], 'grpc');
      assert.equal(a['rpc.service'], 'inference.GRPCInferenceService');
      assert.equal(a['rpc.method'], 'ModelInfer');
      assert.equal(a['rpc.grpc.status_code'], 0);
      assert.equal(a['server.address'], '127.0.0.1');
      assert.equal(a['server.port'], triton.grpcPort);
      assert.equal(a['client.address'], '127.0.0.1');
      assert.equal(a['http.request.method'], undefined);
    });
  }

  it('gives a failed request its error status code: HTTP 500, gRPC INTERNAL (13)', async () => {
    for (const [url, key, status] of [
      [`http://127.0.0.1:${triton.httpPort}`, 'http.response.status_code', 500],
      [`grpc://127.0.0.1:${triton.grpcPort}`, 'rpc.grpc.status_code', 13],
    ] as const) {
      await using client = new ModelClient(url, 'double');
      const root = await rootOf(() =>
        assert.rejects(client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { fail: true } })),
      );
      assert.equal(root.attributes[key], status);
    }
  });

  it('puts rpc.grpc.status_code on each request of a ModelStreamInfer stream: OK, or the status that ends it', async () => {
    const client = new TestGrpcClient(triton.grpcPort!);
    const x = new Uint8Array(new Float32Array([1, 2]).buffer);
    const request = (id: string, bytes: Uint8Array) => ({
      modelName: 'double',
      id,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1n, 2n] }],
      rawInputContents: [bytes],
    });
    try {
      // A request refused (3 bytes for 2 FP32 values) is answered with an error response on an open stream
      // (the call's status stays OK), or ends the stream with INVALID_ARGUMENT when the call asks for that.
      for (const [metadata, refused] of [
        [undefined, 0],
        [metadataOf({ triton_grpc_error: 'true' }), 3],
      ] as const) {
        receiver.clear();
        await client.streamAll([request('ok', x), request('refused', new Uint8Array(3))], metadata);
        const spans = await receiver.waitForSpans(5); // 4 of the answered request, the refused one's root
        const roots = spans.filter((s) => s.name === 'InferRequest');
        const statuses = roots.map((r) => [
          r.attributes['rpc.method'],
          r.attributes['rpc.grpc.status_code'],
          r.status.code,
        ]);
        assert.deepEqual(
          statuses.sort(),
          [
            ['ModelStreamInfer', 0, 0],
            ['ModelStreamInfer', refused, 2],
          ].sort(),
        );
      }
    } finally {
      client.close();
    }
  });
});
