import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ExampleProcess, startExample } from '../helpers/example-process.ts';

describe('examples/passthrough', () => {
  let server: ExampleProcess;
  before(async () => {
    // The example exports spans to localhost:4318; with no collector there, stop() need not wait long.
    server = await startExample('examples/passthrough/server.ts', { TS_TRITON_EXIT_TIMEOUT_SECS: '1' });
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  const generate = (body: object) =>
    fetch(`${server.url}/v2/models/passthrough/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("answers the guide's curl request", async () => {
    const response = await generate({ sleep: 0.001, error: false });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '{"model_name":"passthrough","model_version":"1","sleep":0.001,"error":false}');
  });

  it('fails with Requested Error, then keeps serving', async () => {
    const failed = await generate({ sleep: 0.001, error: true });
    assert.equal(failed.status, 500);
    assert.match(((await failed.json()) as { error: string }).error, /Requested Error/);
    const next = await generate({ sleep: 0, error: false });
    assert.equal(next.status, 200);
  });
});
