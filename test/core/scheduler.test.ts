import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InferenceRequest } from '../../src/core/inference-request.ts';
import { type DynamicBatcherOptions, ModelConfig } from '../../src/core/model-config.ts';
import { Model } from '../../src/core/model.ts';
import { NDArray } from '../../src/tensor/ndarray.ts';
import type { InferFunc, Parameters, Request } from '../../src/core/request.ts';
import { Tensor } from '../../src/core/tensor-spec.ts';
import type { TritonError } from '../../src/errors.ts';
import { until, within } from '../helpers/within.ts';

/** A model whose instances record each batch (as the ids of its requests) and wait for `gate` before answering. */
function recordingModel(options: {
  maxBatchSize?: number;
  batcher?: DynamicBatcherOptions;
  instances?: number;
  delayMs?: (batch: string[]) => number;
}) {
  const batches: string[][] = [];
  let running = 0;
  let maxRunning = 0;
  let gate = Promise.resolve();
  let openGate = (): void => {};
  const fn: InferFunc = async (requests: Request[]) => {
    const ids = requests.map((r) => r.id);
    batches.push(ids);
    running++;
    maxRunning = Math.max(maxRunning, running);
    await gate;
    await sleep(options.delayMs?.(ids) ?? 0);
    running--;
    return requests.map((r) => ({ y: r.data.x! }));
  };
  const model = new Model({
    modelName: 'm',
    inferFunc: Array.from({ length: options.instances ?? 1 }, () => fn),
    inputs: [Tensor({ name: 'x', dtype: 'INT32', shape: [1] })],
    outputs: [Tensor({ name: 'y', dtype: 'INT32', shape: [1] })],
    config: ModelConfig({ maxBatchSize: options.maxBatchSize ?? 4, batcher: options.batcher }),
  });
  return {
    model,
    batches,
    maxRunning: () => maxRunning,
    /** Makes instances wait until `release()` is called. */
    hold() {
      gate = new Promise((resolve) => (openGate = resolve));
    },
    release() {
      openGate();
    },
    /** Resolves once `count` batches have started. */
    started(count = 1) {
      return until(() => batches.length >= count, 5000, `${count} batches to start`);
    },
    /** Resolves once `count` requests are queued or executing. */
    pending(count: number) {
      return until(() => model.pending === count, 5000, `${count} requests to be queued or executing`);
    },
    infer(id: string, rows = 1, parameters: Parameters = {}) {
      const batched = model.config.maxBatchSize > 0;
      const request: InferenceRequest = {
        modelName: 'm',
        modelVersion: -1,
        id,
        inputs: {
          x: NDArray.from(
            Array.from({ length: rows }, () => [1]),
            'INT32',
            batched ? [rows, 1] : [1],
          ),
        },
        parameters,
        requestedOutputs: undefined,
      };
      return model.infer(request);
    },
  };
}

/** Settles each promise into 'ok' or the error message. */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: TritonError) => `${e.code}: ${e.message}`,
  );

describe('Scheduler', () => {
  it('closes a batch at maxBatchSize, counting rows', async () => {
    const m = recordingModel({ maxBatchSize: 4 });
    m.hold();
    const first = m.infer('a');
    await m.started();
    const rest = [m.infer('b', 2), m.infer('c', 2), m.infer('d', 1), m.infer('e', 3), m.infer('f')];
    await m.pending(6);
    m.release();
    await Promise.all([first, ...rest]);
    assert.deepEqual(m.batches, [['a'], ['b', 'c'], ['d', 'e'], ['f']]);
  });

  it('batches requests that arrive together while the instance is idle', async () => {
    const m = recordingModel({ maxBatchSize: 8 });
    await Promise.all(['a', 'b', 'c'].map((id) => m.infer(id)));
    assert.deepEqual(m.batches, [['a', 'b', 'c']]);
  });

  it('executes a preferred batch size at once and holds the rest for the queue delay', async () => {
    const m = recordingModel({
      maxBatchSize: 8,
      batcher: { preferredBatchSize: [2], maxQueueDelayMicroseconds: 400_000 },
    });
    const started = performance.now();
    const times: Record<string, number> = {};
    await Promise.all(['a', 'b', 'c'].map((id) => m.infer(id).then(() => (times[id] = performance.now() - started))));
    assert.deepEqual(m.batches, [['a', 'b'], ['c']]);
    assert.ok(times.a! < 300, `preferred batch ran after ${times.a} ms`);
    assert.ok(times.c! >= 395, `leftover ran after ${times.c} ms, before the queue delay`);
  });

  it('waits up to maxQueueDelayMicroseconds for more requests', async () => {
    const m = recordingModel({ maxBatchSize: 8, batcher: { maxQueueDelayMicroseconds: 100_000 } });
    const a = m.infer('a');
    // Not a wait: b and c arrive 30 ms after a, within the queue delay, which is what the case is about.
    await sleep(30);
    const b = m.infer('b');
    const c = m.infer('c');
    await Promise.all([a, b, c]);
    assert.deepEqual(m.batches, [['a', 'b', 'c']]);
  });

  it('does not wait for the delay once the batch is full', async () => {
    const m = recordingModel({ maxBatchSize: 2, batcher: { maxQueueDelayMicroseconds: 10_000_000 } });
    const started = performance.now();
    await Promise.all([m.infer('a'), m.infer('b')]);
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(m.batches, [['a', 'b']]);
  });

  it('serves higher priority levels first', async () => {
    const m = recordingModel({ maxBatchSize: 1, batcher: { priorityLevels: 2, defaultPriorityLevel: 2 } });
    m.hold();
    const first = m.infer('first');
    await m.started();
    const queued = [
      m.infer('low1'),
      m.infer('high1', 1, { priority: 1 }),
      m.infer('low2', 1, { priority: 2 }),
      m.infer('high2', 1, { priority: 1 }),
    ];
    await m.pending(5);
    m.release();
    await Promise.all([first, ...queued]);
    assert.deepEqual(m.batches.flat(), ['first', 'high1', 'high2', 'low1', 'low2']);
  });

  it('rejects a request whose queue timeout expires (REJECT)', async () => {
    const m = recordingModel({
      maxBatchSize: 1,
      batcher: { defaultQueuePolicy: { defaultTimeoutMicroseconds: 20_000 } },
    });
    m.hold();
    const first = outcome(m.infer('first'));
    await m.started();
    const late = outcome(m.infer('late'));
    // Rejected while the instance is still held: the timeout, not the release, ends it.
    assert.equal(
      await within(late),
      "UNAVAILABLE: Request timeout expired: the request waited in the queue of model 'm' longer than its timeout of 20000 µs",
    );
    m.release();
    assert.equal(await first, 'ok');
    assert.deepEqual(m.batches, [['first']]);
  });

  it('moves a timed-out request behind the others (DELAY)', async () => {
    const m = recordingModel({
      maxBatchSize: 1,
      batcher: { defaultQueuePolicy: { timeoutAction: 'DELAY', allowTimeoutOverride: true } },
    });
    m.hold();
    const first = m.infer('first');
    await m.started();
    const expiring = m.infer('expiring', 1, { timeout: 5_000 });
    const patient = m.infer('patient');
    // The expired request shows only in the order of the batches: time for its 5 ms timeout to pass.
    await sleep(30);
    m.release();
    await Promise.all([first, expiring, patient]);
    assert.deepEqual(m.batches.flat(), ['first', 'patient', 'expiring']);
  });

  it('ignores the timeout parameter unless allowTimeoutOverride, and lets it only lower the default', async () => {
    const ignored = recordingModel({ maxBatchSize: 1 });
    ignored.hold();
    const a = ignored.infer('a');
    await ignored.started();
    const b = outcome(ignored.infer('b', 1, { timeout: 1_000 }));
    // Time for the ignored 1 ms timeout to have expired, had it been honoured (nothing happens to wait for).
    await sleep(20);
    ignored.release();
    await a;
    assert.equal(await b, 'ok');

    const lowered = recordingModel({
      maxBatchSize: 1,
      batcher: { defaultQueuePolicy: { defaultTimeoutMicroseconds: 10_000, allowTimeoutOverride: true } },
    });
    lowered.hold();
    const c = lowered.infer('c');
    await lowered.started();
    const raised = outcome(lowered.infer('raised', 1, { timeout: 10_000_000 }));
    assert.equal(
      await within(raised),
      "UNAVAILABLE: Request timeout expired: the request waited in the queue of model 'm' longer than its timeout of 10000 µs",
    );
    lowered.release();
    await c;
  });

  it('rejects requests beyond maxQueueSize with 503 at once', async () => {
    const m = recordingModel({ maxBatchSize: 1, batcher: { defaultQueuePolicy: { maxQueueSize: 2 } } });
    m.hold();
    const running = m.infer('running');
    await m.started();
    const queued = [m.infer('q1'), m.infer('q2')];
    const rejected = m.infer('q3');
    await assert.rejects(rejected, (e: TritonError) => {
      assert.equal(e.message, 'Exceeds maximum queue size');
      assert.equal(e.httpStatus, 503);
      return true;
    });
    m.release();
    await Promise.all([running, ...queued]);
    assert.deepEqual(m.batches.flat(), ['running', 'q1', 'q2']);
  });

  it('runs instances concurrently, one batch each', async () => {
    const m = recordingModel({ maxBatchSize: 0, instances: 3, delayMs: () => 30 });
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => m.infer(id)));
    assert.equal(m.maxRunning(), 3);
    assert.equal(m.batches.length, 6);
    assert.ok(
      m.batches.every((b) => b.length === 1),
      'maxBatchSize 0 executes requests alone',
    );
  });

  it('returns responses in arrival order with preserveOrdering', async () => {
    const run = async (preserveOrdering: boolean) => {
      const m = recordingModel({
        maxBatchSize: 1,
        instances: 2,
        batcher: { preserveOrdering },
        delayMs: ([id]) => (id === 'slow' ? 60 : 0),
      });
      const order: string[] = [];
      await Promise.all(['slow', 'fast'].map((id) => m.infer(id).then(() => order.push(id))));
      return order;
    };
    assert.deepEqual(await run(true), ['slow', 'fast']);
    assert.deepEqual(await run(false), ['fast', 'slow']);
  });

  it('leaves no timers behind when idle', async () => {
    const m = recordingModel({ maxBatchSize: 8, batcher: { maxQueueDelayMicroseconds: 20_000 } });
    await Promise.all([m.infer('a'), m.infer('b')]);
    await m.model.whenIdle();
    await sleep(1);
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout');
    assert.equal(timers.length, 0, `active timers: ${timers.length}`);
  });
});
