/**
 * `responseTraceHeaders` over gRPC: a traced ModelInfer call is answered with `traceparent` in its initial
 * metadata, and each response of a ModelStreamInfer stream carries its request's as a `traceparent` response
 * parameter, naming the exported InferRequest span; nothing of it by default.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { type InferFunc, ModelConfig, Tensor } from '../../src/index.ts';
import { findSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { GRPCInferenceService, ModelInferRequestSchema, ModelInferResponseSchema } from './gen/grpc_service_pb.js';
import { metadataOf } from './client.ts';
import { numericRaw, startServer } from './helpers.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c12666c';
const simple: InferFunc = (requests) => requests.map((r) => ({ OUTPUT0: r.data.INPUT0! }));

/** Calls ModelInfer on `port` with a traceparent; resolves with the initial metadata's traceparent (or undefined). */
function inferForMetadata(port: number): Promise<string | undefined> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('traceparent', `00-${CLIENT_TRACE}-b7ad6b7169242424-01`);
  const request = create(ModelInferRequestSchema, {
    modelName: 'simple',
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1n, 1n] }],
    rawInputContents: [numericRaw('INT32', [7])],
  });
  let traceparent: string | undefined;
  return new Promise((resolve, reject) => {
    const call = client.makeUnaryRequest(
      `/${GRPCInferenceService.typeName}/ModelInfer`,
      (message: typeof request) => Buffer.from(toBinary(ModelInferRequestSchema, message)),
      (bytes: Buffer) => fromBinary(ModelInferResponseSchema, bytes),
      request,
      metadata,
      (error) => {
        client.close();
        if (error) reject(error);
        else resolve(traceparent);
      },
    );
    call.on('metadata', (initial: Metadata) => {
      traceparent = initial.get('traceparent')[0] as string | undefined;
    });
  });
}

for (const responseTraceHeaders of [true, false]) {
  describe(`gRPC ModelInfer, responseTraceHeaders ${responseTraceHeaders}`, () => {
    it(
      responseTraceHeaders
        ? 'sends traceparent naming the InferRequest span in the initial metadata'
        : 'sends no traceparent',
      async () => {
        const receiver = await startOtlpReceiver();
        const server = await startServer(
          (triton) =>
            triton.bind({
              modelName: 'simple',
              inferFunc: simple,
              inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [1] })],
              outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [1] })],
              config: ModelConfig({ maxBatchSize: 8 }),
            }),
          {
            allowHttp: false,
            responseTraceHeaders,
            traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
          },
        );
        try {
          const traceparent = await inferForMetadata(server.triton.grpcPort!);
          const root = findSpan(await receiver.waitForSpans(4), 'InferRequest');
          assert.equal(root.traceId, CLIENT_TRACE);
          assert.equal(traceparent, responseTraceHeaders ? `00-${CLIENT_TRACE}-${root.spanId}-01` : undefined);

          receiver.clear();
          const request = { modelName: 'simple', inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1n, 1n] }] };
          const { responses } = await server.client.streamAll(
            [7, 8].map((v, i) => ({ ...request, id: `s${i}`, rawInputContents: [numericRaw('INT32', [v])] })),
            metadataOf({ traceparent: `00-${CLIENT_TRACE}-b7ad6b7169242424-01` }),
          );
          const roots = (await receiver.waitForSpans(8)).filter((s) => s.name === 'InferRequest');
          const carried = responses.map((r) => {
            const parameter = r.inferResponse?.parameters.traceparent?.parameterChoice;
            return parameter?.case === 'stringParam' ? parameter.value : undefined;
          });
          const expected = responseTraceHeaders
            ? roots.map((r) => `00-${CLIENT_TRACE}-${r.spanId}-01`).sort()
            : [undefined, undefined];
          assert.deepEqual(responseTraceHeaders ? carried.sort() : carried, expected);
        } finally {
          await server.stop();
          await receiver.close();
        }
      },
    );
  });
}
