/**
 * A decoupled (streaming) model: it answers each prompt with its words, one response per word, as they are
 * "generated". Served as server-sent events on /generate_stream (and as gRPC streams).
 *
 * Run: node examples/streaming/server.ts   then
 *   curl -sS -N http://127.0.0.1:8000/v2/models/tokens/generate_stream -d '{"prompt": "hello streaming world"}'
 * (EXAMPLE_INSTANCE_KIND=KIND_WORKER runs the generator on a worker thread; the stream is the same.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inferModule, ModelConfig, NDArray, type Request, Tensor, Triton } from '../../src/index.ts';
import { exampleInstanceGroup } from '../instance-group.ts';

/** Yields, step by step, the next word of every prompt of the batch (or nothing once a prompt is done). */
export async function* words(requests: Request[]) {
  const prompts = requests.map((r) => r.data.prompt!.toStrings()[0]!.split(/\s+/).filter(Boolean));
  const steps = Math.max(0, ...prompts.map((p) => p.length));
  for (let step = 0; step < steps; step++) {
    await sleep(Number(process.env.TOKEN_DELAY_MS ?? 50));
    yield prompts.map((prompt, i) =>
      step < prompt.length && !requests[i]!.signal.aborted
        ? { token: NDArray.fromStrings([prompt[step]!], [1, 1]) }
        : undefined,
    );
  }
}

// Importing this module (as a worker instance does) serves nothing.
if (import.meta.main) {
  const triton = new Triton();
  triton.bind({
    modelName: 'tokens',
    inferFunc: inferModule(import.meta.url, { words }),
    inputs: [Tensor({ name: 'prompt', dtype: 'BYTES', shape: [1] })],
    outputs: [Tensor({ name: 'token', dtype: 'BYTES', shape: [1] })],
    config: ModelConfig({ decoupled: true, maxBatchSize: 8, instanceGroup: exampleInstanceGroup() }),
  });
  await triton.serve();
}
