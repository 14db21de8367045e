import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';

// The same behaviour with the model on the main thread and on a worker thread.
for (const kind of ['KIND_CPU', 'KIND_WORKER'])
  describe(`examples/streaming, ${kind}`, () => {
    let server: ExampleProcess;
    before(async () => {
      server = await startExample('examples/streaming/server.ts', {
        TOKEN_DELAY_MS: '60',
        EXAMPLE_INSTANCE_KIND: kind,
      });
    });
    after(async () => {
      assert.equal(await server.stop(), 0);
    });

    it('streams one server-sent event per word', async () => {
      const response = await fetch(`${server.url}/v2/models/tokens/generate_stream`, {
        method: 'POST',
        body: JSON.stringify({ prompt: 'hello streaming world' }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const arrivals: number[] = [];
      let text = '';
      for await (const chunk of response.body!) {
        arrivals.push(performance.now());
        text += Buffer.from(chunk).toString();
      }
      assert.equal(
        text,
        'data: {"model_name":"tokens","model_version":"1","token":"hello"}\n\n' +
          'data: {"model_name":"tokens","model_version":"1","token":"streaming"}\n\n' +
          'data: {"model_name":"tokens","model_version":"1","token":"world"}\n\n',
      );
      assert.ok(arrivals.length >= 2, 'events arrive as they are produced, not all at the end');
    });

    it('refuses /infer for the decoupled model', async () => {
      const response = await fetch(`${server.url}/v2/models/tokens/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'prompt', datatype: 'BYTES', shape: [1, 1], data: ['a b'] }] }),
      });
      assert.equal(response.status, 501);
      assert.deepEqual(await response.json(), {
        error: "HTTP end point doesn't support models with decoupled transaction policy",
      });
    });

    it('answers /generate only when the model produces exactly one response', async () => {
      const generate = (prompt: string) =>
        fetch(`${server.url}/v2/models/tokens/generate`, { method: 'POST', body: JSON.stringify({ prompt }) });
      const one = await generate('single');
      assert.equal(one.status, 200);
      assert.equal(await one.text(), '{"model_name":"tokens","model_version":"1","token":"single"}');
      const many = await generate('two words');
      assert.equal(many.status, 400);
      assert.match(
        ((await many.json()) as { error: string }).error,
        /generate expects model to produce exactly 1 response/,
      );
    });
  });
