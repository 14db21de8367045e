/**
 * Errors are never hidden: a request that fails (its infer function throws), is refused before its model
 * (unknown model, bad input), is rejected (queue full) or is cancelled (the client goes away) is traced when
 * sampled, and each of its spans that ends after the failure, up to the root, ends with the ERROR status,
 * `error.type` and an `exception` event. Decoded from the exports by the fixture receiver.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelClient } from '../../src/client/index.ts';
import { ModelConfig, NDArray, Tensor, Triton } from '../../src/index.ts';
import {
  eventNames,
  type OtlpReceiver,
  type OtlpSpan,
  StatusCodeNumber,
  startOtlpReceiver,
} from '../fixtures/otlp-receiver.ts';
import { eventually } from '../helpers/within.ts';
import { LOCAL, otlpTraceConfig } from '../helpers/server.ts';

/** Resolves the next time `n` calls are blocked in the infer function; `release` lets them go. */
class Gate {
  #waiting: (() => void)[] = [];
  #entered: (() => void) | undefined;
  #want = 0;

  entered(n = 1): Promise<void> {
    this.#want = n;
    return new Promise((resolve) => {
      this.#entered = resolve;
      this.#check();
    });
  }

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#check();
    });
  }

  release(): void {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  #check(): void {
    if (this.#entered !== undefined && this.#waiting.length >= this.#want) {
      this.#entered();
      this.#entered = undefined;
    }
  }
}

/** Asserts that `span` ended in error: status, `error.type` and an `exception` event. */
function assertFailed(span: OtlpSpan, errorType: string, message: RegExp): void {
  assert.equal(span.status.code, StatusCodeNumber.ERROR, `${span.name} has the ERROR status`);
  assert.match(span.status.message, message);
  assert.equal(span.attributes['error.type'], errorType, `${span.name} has error.type`);
  const exception = span.events.find((e) => e.name === 'exception');
  assert.ok(exception, `${span.name} has an exception event`);
  assert.match(String(exception.attributes['exception.message']), message);
}

describe('failed requests in OpenTelemetry mode', () => {
  let receiver: OtlpReceiver;
  let triton: Triton;
  const gate = new Gate();

  before(async () => {
    receiver = await startOtlpReceiver();
    triton = new Triton({ config: { ...LOCAL, traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)] } });
    triton.bind({
      modelName: 'work',
      inferFunc: async (requests) => {
        for (const r of requests) {
          if (r.parameters.fail) throw new TypeError('model broke');
          if (r.parameters.block) await gate.wait();
          // Returns once the client went away (the server saw its connection close).
          if (r.parameters.untilCancelled) await new Promise((resolve) => r.signal.addEventListener('abort', resolve));
        }
        return requests.map((r) => ({ y: new NDArray('FP32', r.data.x!.data as Float32Array, r.data.x!.shape) }));
      },
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [2] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [2] })],
      config: ModelConfig({ maxBatchSize: 1, batcher: { defaultQueuePolicy: { maxQueueSize: 1 } } }),
    });
    await triton.run();
  });

  after(async () => {
    gate.release();
    await triton.stop();
    await receiver.close();
  });

  /** The spans of the one trace exported since the receiver was cleared, by name. */
  async function oneTrace(count: number): Promise<Record<string, OtlpSpan>> {
    const spans = await receiver.waitForSpans(count);
    assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, 'one trace');
    return Object.fromEntries(spans.map((s) => [s.name, s]));
  }

  for (const protocol of ['http', 'grpc'] as const) {
    it(`ends every span of a request whose infer function throws in error, up to the root (${protocol})`, async () => {
      receiver.clear();
      const url = protocol === 'http' ? `http://127.0.0.1:${triton.httpPort}` : `grpc://127.0.0.1:${triton.grpcPort}`;
      await using client = new ModelClient(url, 'work');
      await assert.rejects(
        client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { fail: true } }),
        /model broke/,
      );
      const spans = await oneTrace(4);
      for (const name of ['infer_callable', 'compute', 'work', 'InferRequest'])
        assertFailed(spans[name]!, 'TypeError', /model broke/);
      assert.deepEqual(eventNames(spans.compute!), [
        'COMPUTE_START',
        'COMPUTE_INPUT_END',
        'COMPUTE_OUTPUT_START',
        'COMPUTE_END',
        'exception',
      ]);
    });
  }

  it('traces a request for an unknown model, its root in error', async () => {
    receiver.clear();
    const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/missing/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
    });
    assert.equal(response.status, 404);
    await response.arrayBuffer();
    const spans = await oneTrace(1);
    assertFailed(spans.InferRequest!, 'NOT_FOUND', /unknown model/);
  });

  it('traces a request with a bad input, its root in error', async () => {
    receiver.clear();
    const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/work/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'z', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] }),
    });
    assert.equal(response.status, 400);
    await response.arrayBuffer();
    const spans = await oneTrace(1);
    assertFailed(spans.InferRequest!, 'INVALID_ARG', /z/);
  });

  it('traces a request rejected because the queue is full: its model span and root in error', async () => {
    await using client = new ModelClient(`http://127.0.0.1:${triton.httpPort}`, 'work');
    const running = client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { block: true } });
    await gate.entered(1);
    const queued = client.inferSample({ x: new Float32Array([1, 2]) }, { parameters: { block: true } });
    // The queued request is in the queue once a third is refused; the gate holds the first.
    receiver.clear();
    await assert.rejects(client.inferSample({ x: new Float32Array([1, 2]) }), /Exceeds maximum queue size/);
    const spans = await oneTrace(2);
    assertFailed(spans.work!, 'UNAVAILABLE', /Exceeds maximum queue size/);
    assertFailed(spans.InferRequest!, 'UNAVAILABLE', /Exceeds maximum queue size/);
    gate.release();
    await running;
    await gate.entered(1);
    gate.release();
    await queued;
  });

  it('traces a request whose client goes away, its root in error (cancelled)', async () => {
    receiver.clear();
    const abort = new AbortController();
    const sent = fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/work/infer`, {
      method: 'POST',
      signal: abort.signal,
      body: JSON.stringify({
        id: 'cancel-me',
        parameters: { block: true, untilCancelled: true },
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }],
      }),
    });
    await gate.entered(1);
    abort.abort();
    await assert.rejects(sent);
    gate.release();
    // Spans of the requests of the test before may still arrive: find this request's trace by its id.
    const spans = await eventually(
      () => receiver.spans,
      (all) =>
        all.some(
          (s) =>
            s.attributes['triton.request_id'] === 'cancel-me' &&
            all.some((r) => r.name === 'InferRequest' && r.traceId === s.traceId),
        ),
    );
    const model = spans.find((s) => s.attributes['triton.request_id'] === 'cancel-me')!;
    const root = spans.find((s) => s.name === 'InferRequest' && s.traceId === model.traceId)!;
    assertFailed(root, 'CANCELLED', /client closed the connection/);
    assertFailed(model, 'CANCELLED', /client closed the connection/);
  });
});
