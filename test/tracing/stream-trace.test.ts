/**
 * A decoupled model's request traced (span-tree.ts, STREAM): a `response` event per streamed response with its
 * index (the first 32), the response count and the time to first response on the model span, and a cancelled
 * stream's `cancelled` event and ERROR status; over HTTP generate_stream and gRPC ModelStreamInfer. Decoded by
 * the fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DecoupledModelClient } from '../../src/client/index.ts';
import { type DecoupledInferFunc, ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import { type OtlpReceiver, type OtlpSpan, StatusCodeNumber, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { eventually } from '../helpers/within.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

describe('streamed responses traced', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;

  /** Yields x responses; with `hold`, then waits until the request is cancelled. */
  const counting: DecoupledInferFunc = async function* (requests) {
    const r = requests[0]!;
    const n = Number(r.data.x!.at(0));
    for (let i = 0; i < n; i++) yield [{ y: NDArray.from([[i]], 'INT32') }];
    if (r.parameters.hold) {
      await new Promise((resolve) => r.signal.addEventListener('abort', resolve, { once: true }));
      yield [{ y: NDArray.from([[-1]], 'INT32') }];
    }
  };

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = new Triton({ config: { ...LOCAL, traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] } });
    triton.bind({
      modelName: 'counting',
      inferFunc: counting,
      inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0, decoupled: true }),
    });
    await triton.run();
  });

  after(async () => {
    await triton.stop();
    await receiver.close();
  });

  const streamHttp = async (body: object, signal?: AbortSignal): Promise<Response> =>
    fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/counting/generate_stream`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal,
    });

  async function modelSpan(): Promise<OtlpSpan> {
    const spans = await eventually(
      () => receiver.spans,
      (all) => all.some((s) => s.name === 'counting') && all.some((s) => s.name === 'InferRequest'),
    );
    return spans.find((s) => s.name === 'counting')!;
  }

  function assertResponses(model: OtlpSpan, count: number, events: number): void {
    const responses = model.events.filter((e) => e.name === 'response');
    assert.deepEqual(
      responses.map((e) => e.attributes['ts_triton.response.index']),
      Array.from({ length: events }, (_, i) => i),
    );
    assert.equal(model.attributes['ts_triton.stream.response_count'], count);
    const ttfr = model.attributes['ts_triton.stream.time_to_first_response'] as number;
    assert.equal(typeof ttfr, 'number');
    assert.ok(ttfr > 0 && ttfr < 5, `time to first response ${ttfr} s`);
    // The first response event is no earlier than the request's start.
    assert.ok(responses[0]!.timeUnixNano >= model.startTimeUnixNano);
  }

  it('puts an event per response, the count and the time to first response on the model span (HTTP generate_stream)', async () => {
    receiver.clear();
    const text = await (await streamHttp({ x: 3 })).text();
    assert.equal(text.split('data: ').length - 1, 3);
    const model = await modelSpan();
    assertResponses(model, 3, 3);
    assert.equal(model.status.code, StatusCodeNumber.UNSET);
  });

  it('keeps the first 32 response events of a long stream, and counts them all', async () => {
    receiver.clear();
    const text = await (await streamHttp({ x: 40 })).text();
    assert.equal(text.split('data: ').length - 1, 40);
    assertResponses(await modelSpan(), 40, 32);
  });

  it('puts an event per response on the model span (gRPC ModelStreamInfer)', async () => {
    receiver.clear();
    await using client = new DecoupledModelClient(`grpc://127.0.0.1:${triton.grpcPort}`, 'counting');
    const results = [];
    for await (const result of client.inferSample({ x: new Int32Array([4]) })) results.push(result);
    assert.equal(results.length, 4);
    assertResponses(await modelSpan(), 4, 4);
  });

  it('marks a stream cancelled by its client: a cancelled event after the responses sent, and the ERROR status', async () => {
    receiver.clear();
    const client = new AbortController();
    const response = await streamHttp({ x: 2, hold: true }, client.signal);
    const reader = response.body!.getReader();
    let text = '';
    while (text.split('data: ').length - 1 < 2) text += new TextDecoder().decode((await reader.read()).value);
    client.abort();
    await reader.closed.catch(() => undefined);
    const spans = await eventually(
      () => receiver.spans,
      (all) =>
        all.some((s) => s.name === 'counting' && s.events.some((e) => e.name === 'cancelled')) &&
        all.some((s) => s.name === 'InferRequest'),
    );
    const model = spans.find((s) => s.name === 'counting')!;
    const cancelled = model.events.find((e) => e.name === 'cancelled')!;
    assert.equal(cancelled.attributes['ts_triton.response.index'], 2);
    assert.equal(model.attributes['ts_triton.stream.response_count'], 2);
    assert.equal(model.status.code, StatusCodeNumber.ERROR);
  });

  it('marks a gRPC ModelStreamInfer stream cancelled by its client', async () => {
    receiver.clear();
    await using client = new DecoupledModelClient(`grpc://127.0.0.1:${triton.grpcPort}`, 'counting');
    let received = 0;
    for await (const _ of client.inferSample({ x: new Int32Array([2]) }, { parameters: { hold: true } })) {
      if (++received === 2) break; // cancels the call
    }
    const spans = await eventually(
      () => receiver.spans,
      (all) => all.some((s) => s.name === 'counting' && s.events.some((e) => e.name === 'cancelled')),
    );
    const model = spans.find((s) => s.name === 'counting')!;
    assert.equal(model.events.find((e) => e.name === 'cancelled')!.attributes['ts_triton.response.index'], 2);
    assert.equal(model.attributes['ts_triton.stream.response_count'], 2);
    assert.equal(model.status.code, StatusCodeNumber.ERROR);
  });
});
