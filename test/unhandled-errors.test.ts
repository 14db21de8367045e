import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { type ExampleProcess, startExample } from './helpers/example-process.ts';
import { within } from './helpers/within.ts';

/** Resolves once the process's stderr matches `pattern`, with the match. */
async function logged(server: ExampleProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const found = (): RegExpExecArray | null => pattern.exec(server.log());
  return within(
    (async () => {
      for (let match = found(); ; match = found()) {
        if (match) return match;
        await once(server.child.stderr!, 'data');
      }
    })(),
    5000,
    `a log line matching ${pattern}`,
  );
}

describe('errors model code leaves unhandled', () => {
  let server: ExampleProcess;
  let metricsUrl: string;
  before(async () => {
    server = await startExample('test/fixtures/servers/careless-model.ts');
    const [, port] = await logged(server, /Started Metrics Service at [^:]+:(\d+)/);
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  const infer = (mode: number) =>
    fetch(`${server.url}/v2/models/careless/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'mode', datatype: 'INT32', shape: [1], data: [mode] }] }),
    });

  it('a rejected promise nobody awaited is logged with the model, counted, and the server keeps serving', async () => {
    assert.equal((await infer(1)).status, 200);
    await logged(server, /unhandled promise rejection in the code of model 'careless'.*Error: forgotten fetch failed/);
    assert.equal((await infer(0)).status, 200);
  });

  it('an exception thrown in a timer of model code is logged with the model, counted, and the server keeps serving', async () => {
    assert.equal((await infer(2)).status, 200);
    await logged(server, /uncaught exception in the code of model 'careless'.*Error: timer callback threw/);
    assert.equal((await infer(0)).status, 200);
  });

  it('counts them in ts_triton_unhandled_errors_total by kind and model', async () => {
    const text = await (await fetch(metricsUrl)).text();
    assert.match(text, /^ts_triton_unhandled_errors_total\{kind="rejection",model="careless"\} 1$/m);
    assert.match(text, /^ts_triton_unhandled_errors_total\{kind="exception",model="careless"\} 1$/m);
  });
});
