/**
 * Every inference case of test/inference/cases.ts, run over HTTP-JSON, HTTP-binary and gRPC against one server:
 * a behaviour is written once and holds on every transport.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGrpcClient } from '../grpc/client.ts';
import { startTriton, type TestServer } from '../helpers/server.ts';
import { CASES, type CaseResponse, type InferCase, lastSeen, MODELS } from './cases.ts';
import { grpc, httpBinary, httpJson, type Transport, TransportError } from './transports.ts';

let server: TestServer;
let client: TestGrpcClient;

before(async () => {
  server = await startTriton({ models: MODELS });
  client = new TestGrpcClient(server.triton.grpcPort!);
});

after(async () => {
  client.close();
  await server.stop();
});

const TRANSPORTS: readonly Transport[] = [
  httpJson(() => server.triton.httpPort!),
  httpBinary(() => server.triton.httpPort!),
  grpc(() => client),
];

async function run(transport: Transport, { request, expect }: InferCase): Promise<void> {
  if ('error' in expect) {
    const { kind, message } = expect.error;
    const error = await transport.infer(request).then(
      (response) => assert.fail(`expected a ${kind} error, got ${JSON.stringify(response.outputs.map((o) => o.name))}`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TransportError, String(error));
    assert.equal(error.status, transport.statusOf[kind], error.message);
    const expected =
      typeof message === 'string' || message instanceof RegExp
        ? message
        : message[transport.name === 'grpc' ? 'grpc' : 'http'];
    if (typeof expected === 'string') assert.equal(error.message, expected);
    else assert.match(error.message, expected);
    return;
  }
  const response: CaseResponse = await transport.infer(request);
  assert.equal(response.modelName, request.model);
  if (expect.modelVersion !== undefined) assert.equal(response.modelVersion, expect.modelVersion);
  assert.equal(response.id, expect.id ?? request.id ?? '');
  assert.deepEqual(response.outputs, expect.outputs);
  assert.deepEqual(response.parameters, expect.parameters ?? {});
  if (expect.seen) {
    const seen = lastSeen(request.model);
    assert.ok(seen, 'the infer function was not called');
    for (const [key, value] of Object.entries(expect.seen)) {
      assert.deepEqual(seen[key as keyof typeof seen], value, `what the infer function saw: ${key}`);
    }
  }
}

for (const transport of TRANSPORTS) {
  describe(`inference over ${transport.name}`, () => {
    for (const inferCase of CASES) {
      if (inferCase.transports && !inferCase.transports.includes(transport.name)) continue;
      it(inferCase.name, () => run(transport, inferCase));
    }
  });
}
