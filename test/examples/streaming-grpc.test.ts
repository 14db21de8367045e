/**
 * examples/streaming over gRPC: ModelStreamInfer answers a prompt with one response per word as the decoupled
 * model produces them, each flagged not final, then (when asked) an empty response flagged final.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';
import { TestGrpcClient } from '../grpc/client.ts';
import type { ModelStreamInferResponse } from '../grpc/gen/grpc_service_pb.js';
import { bytesRaw, splitBytesRaw } from '../grpc/helpers.ts';

/** The gRPC port the example logged (`Started GRPCInferenceService at <addr>:<port>`). */
async function grpcPort(server: ExampleProcess): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const match = /Started GRPCInferenceService at \S+:(\d+)/.exec(server.log());
    if (match) return Number(match[1]);
    await sleep(50);
  }
  throw new Error(`the example did not log its gRPC port:\n${server.log()}`);
}

/** `[token or null when empty, triton_final_response]` of a response. */
function summary(response: ModelStreamInferResponse): [string | null, unknown] {
  assert.equal(response.errorMessage, '');
  const infer = response.inferResponse!;
  assert.equal(infer.modelName, 'tokens');
  assert.equal(infer.id, 'p1');
  const raw = infer.rawOutputContents[0];
  const token = raw
    ? splitBytesRaw(raw)
        .map((b) => Buffer.from(b).toString())
        .join()
    : null;
  return [token, infer.parameters.triton_final_response?.parameterChoice.value];
}

// The same behaviour with the model on the main thread and on a worker thread.
for (const kind of ['KIND_CPU', 'KIND_WORKER'])
  describe(`examples/streaming over gRPC, ${kind}`, () => {
    let server: ExampleProcess;
    let client: TestGrpcClient;
    before(async () => {
      server = await startExample('examples/streaming/server.ts', {
        TOKEN_DELAY_MS: '20',
        EXAMPLE_INSTANCE_KIND: kind,
      });
      client = new TestGrpcClient(await grpcPort(server));
    });
    after(async () => {
      client?.close();
      assert.equal(await server.stop(), 0);
    });

    const prompt = (parameters = {}) => ({
      modelName: 'tokens',
      id: 'p1',
      parameters,
      inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [1n, 1n] }],
      rawInputContents: [bytesRaw(['hello streaming world'])],
    });

    it('streams one response per word, then an empty final response when asked', async () => {
      const { responses, error } = await client.streamAll([
        prompt({ triton_enable_empty_final_response: { parameterChoice: { case: 'boolParam', value: true } } }),
      ]);
      assert.equal(error, undefined);
      assert.deepEqual(responses.map(summary), [
        ['hello', false],
        ['streaming', false],
        ['world', false],
        [null, true],
      ]);
      assert.deepEqual(responses.at(-1)!.inferResponse!.outputs, []);
    });

    it('without triton_enable_empty_final_response, only the three words', async () => {
      const { responses, error } = await client.streamAll([prompt()]);
      assert.equal(error, undefined);
      assert.deepEqual(responses.map(summary), [
        ['hello', false],
        ['streaming', false],
        ['world', false],
      ]);
    });
  });
