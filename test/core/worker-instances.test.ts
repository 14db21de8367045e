/**
 * Models whose infer function is a module (inferModule), run on the main thread (KIND_CPU) and on worker threads
 * (KIND_WORKER): the same behaviour either way; and, for workers, what only they can do (a hung, crashed or
 * out-of-memory worker is replaced).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { threadId } from 'node:worker_threads';
import type { InferenceRequest, InferenceResult } from '../../src/core/inference-request.ts';
import { Model } from '../../src/core/model.ts';
import { markRequestOwned } from '../../src/core/worker/transfer.ts';
import {
  InstanceGroup,
  type InstanceKind,
  inferModule,
  type ModelConfigOptions,
  NDArray,
  type Parameters,
  Tensor,
  Triton,
  TritonError,
} from '../../src/index.ts';
import { setLogSink } from '../../src/logger.ts';
import { eventNames, findSpan, parentMap, StatusCodeNumber, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

const MODULE = new URL('../fixtures/models/worker-models.ts', import.meta.url);
const models: Model[] = [];
after(() => Promise.all(models.map((m) => m.close())));

setLogSink(() => {}); // the failures below are logged on purpose

function bind(exportName: string, kind: InstanceKind, config: ModelConfigOptions = {}, count = 1): Model {
  const model = new Model({
    modelName: `${exportName}-${kind}`,
    inferFunc: inferModule(MODULE, exportName),
    inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
    outputs: [
      Tensor({ name: 'y', dtype: 'FP32', shape: [-1] }),
      Tensor({ name: 'thread', dtype: 'INT32', shape: [1] }),
    ],
    config: { maxBatchSize: 8, ...config, instanceGroup: { kind, count, ...config.instanceGroup } },
  });
  models.push(model);
  return model;
}

function request(x: number[], parameters: Parameters = {}, signal?: AbortSignal): InferenceRequest {
  return {
    modelName: 'm',
    modelVersion: -1,
    id: `r${x[0]}`,
    inputs: { x: new NDArray('FP32', new Float32Array(x), [1, x.length]) },
    parameters,
    requestedOutputs: undefined,
    signal,
  };
}

const output = (result: InferenceResult, name: string): number[] =>
  Array.from(result.outputs.find((o) => o.name === name)!.array.data as Float32Array);

for (const kind of ['KIND_CPU', 'KIND_WORKER'] as const) {
  describe(`inferModule instances, ${kind}`, () => {
    const onWorker = kind === 'KIND_WORKER';

    it('batches requests into one call, on a worker thread for KIND_WORKER, with per-request errors and parameters', async () => {
      const model = bind('behave', kind);
      await model.ready();
      const settled = await Promise.allSettled([
        model.infer(request([1, 2])),
        model.infer(request([3], { mode: 'error' })),
        model.infer(request([5, 6, 7])),
      ]);
      const [first, failed, third] = settled;
      assert.equal(first.status, 'fulfilled');
      assert.deepEqual(output(first.value, 'y'), [2, 4]);
      assert.deepEqual(first.value.parameters, { batch_size: 3 });
      assert.equal(output(first.value, 'thread')[0] !== threadId, onWorker);
      assert.equal(failed.status, 'rejected');
      assert.ok(failed.reason instanceof TritonError);
      assert.equal(failed.reason.code, 'INVALID_ARG');
      assert.equal(failed.reason.message, 'bad request r3');
      assert.equal(third.status, 'fulfilled');
      assert.deepEqual(output(third.value, 'y'), [10, 12, 14]);
      assert.equal(model.statistics.executionCount, 1);
      assert.equal(model.statistics.success.count, 2);
      assert.equal(model.statistics.failures.BACKEND, 1);
    });

    it('the batch decorator joins and splits the batch', async () => {
      const model = bind('plusOne', kind);
      const results = await Promise.all([model.infer(request([1, 2])), model.infer(request([3, 4]))]);
      assert.deepEqual(
        results.map((r) => output(r, 'y')),
        [
          [2, 3],
          [4, 5],
        ],
      );
      assert.equal(model.statistics.executionCount, 1);
    });

    it('a throw fails every request of the batch with the model and message named', async () => {
      const model = bind('behave', kind);
      const outcomes = await Promise.allSettled([
        model.infer(request([1], { mode: 'throw' })),
        model.infer(request([2])),
      ]);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, 'rejected');
        assert.match(String(outcome.reason.message), /model 'behave-KIND_\w+'.*model exploded/);
      }
    });

    it('request.signal aborts inside the infer function when the client cancels', async () => {
      const model = bind('behave', kind);
      const cancel = new AbortController();
      const pending = model.infer(request([1], { mode: 'cancel' }, cancel.signal));
      while (model.statistics.executionCount === 0 && model.pending > 0 && !(await started(model))) {}
      cancel.abort();
      await assert.rejects(pending, (error: Error) => {
        assert.match(error.message, /saw the cancellation on thread (\d+)/);
        assert.equal(error.message.endsWith(` ${threadId}`), !onWorker);
        return true;
      });
    });

    it('a decoupled model streams each step back', async () => {
      const model = new Model({
        modelName: `countUp-${kind}`,
        inferFunc: inferModule(MODULE, 'countUp'),
        inputs: [Tensor({ name: 'n', dtype: 'INT32', shape: [1] })],
        outputs: [Tensor({ name: 'i', dtype: 'INT32', shape: [1] })],
        config: { maxBatchSize: 0, decoupled: true, instanceGroup: { kind, count: 1 } },
      });
      models.push(model);
      const seen: number[] = [];
      await model.stream({ ...request([0]), inputs: { n: new NDArray('INT32', new Int32Array([3]), [1]) } }, (result) =>
        seen.push(Number(result.outputs[0]!.array.data[0])),
      );
      assert.deepEqual(seen, [0, 1, 2]);
    });
  });
}

/** Resolves true once the model's first batch is executing (the scheduler has dispatched it). */
async function started(model: Model): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return model.pending > 0;
}

describe('worker instances', () => {
  it('a request body the frontend owns is moved to the worker, other memory is copied', async () => {
    const model = bind('behave', 'KIND_WORKER');
    const owned = new Float32Array([1, 2, 3]);
    markRequestOwned(owned.buffer);
    const shared = new Float32Array([4, 5]);
    const results = await Promise.all([
      model.infer({ ...request([0]), inputs: { x: new NDArray('FP32', owned, [1, 3]) } }),
      model.infer({ ...request([0]), inputs: { x: new NDArray('FP32', shared, [1, 2]) } }),
    ]);
    assert.deepEqual(
      results.map((r) => output(r, 'y')),
      [
        [2, 4, 6],
        [8, 10],
      ],
    );
    assert.equal(owned.buffer.detached, true, 'the owned body went to the worker');
    assert.deepEqual(Array.from(shared), [4, 5], 'memory the request does not own is left as it was');
  });

  it('BYTES elements cross both ways intact: views into an owned body moved, other elements copied once', async () => {
    const model = new Model({
      modelName: 'reverseBytes',
      inferFunc: inferModule(MODULE, 'reverseBytes'),
      inputs: [Tensor({ name: 's', dtype: 'BYTES', shape: [-1] })],
      outputs: [Tensor({ name: 'r', dtype: 'BYTES', shape: [-1] }), Tensor({ name: 'n', dtype: 'INT32', shape: [-1] })],
      config: { maxBatchSize: 8, instanceGroup: { kind: 'KIND_WORKER', count: 1 } },
    });
    models.push(model);
    const text = (value: string): Uint8Array => new TextEncoder().encode(value);
    // As the binary protocol decodes them: views into one body the frontend owns.
    const body = text('..abcde·xyz');
    markRequestOwned(body.buffer);
    const views = [body.subarray(2, 7), body.subarray(7, 7), body.subarray(7)];
    // As the JSON protocol decodes them: one small buffer each; and a view into memory the request does not own.
    const shared = text('0123456789');
    const separate = [text('héllo'), shared.subarray(3, 6)];
    const ask = (elements: Uint8Array[]) =>
      model.infer({ ...request([0]), inputs: { s: new NDArray('BYTES', elements, [1, elements.length]) } });
    const results = await Promise.all([ask(views), ask(separate)]);
    const decoded = results.map((result) => ({
      r: (result.outputs.find((o) => o.name === 'r')!.array.data as Uint8Array[]).map((b) => Array.from(b)),
      n: Array.from(result.outputs.find((o) => o.name === 'n')!.array.data as Int32Array),
    }));
    const expected = (elements: Uint8Array[]) => ({
      r: elements.map((e) => Array.from(e).reverse()),
      n: elements.map((e) => e.byteLength),
    });
    assert.deepEqual(decoded[0], expected([text('abcde'), text(''), text('·xyz')]));
    assert.deepEqual(decoded[1], expected([text('héllo'), text('345')]));
    assert.equal((body.buffer as ArrayBuffer).detached, true, 'the owned body went to the worker');
    assert.deepEqual(
      Array.from(shared),
      Array.from(text('0123456789')),
      'memory the request does not own is left as it was',
    );
  });

  it('a synchronous infinite loop is freed by the execution timeout: the worker is replaced, the next batch runs', async () => {
    // The timeout also covers starting the replacement worker for the next batch (loading the module): 2 s.
    const model = bind('behave', 'KIND_WORKER', { executionTimeoutMicroseconds: 2_000_000 });
    await model.ready();
    await assert.rejects(model.infer(request([1], { mode: 'spin' })), /Execution timeout expired.*behave-KIND_WORKER/);
    const next = await model.infer(request([2]));
    assert.deepEqual(output(next, 'y'), [4]);
    assert.equal(model.statistics.timeouts.execution, 1);
  });

  it('a worker killed mid-batch fails that batch alone, and a fresh worker serves the next', async () => {
    const model = bind('behave', 'KIND_WORKER');
    const before = output(await model.infer(request([1])), 'thread')[0];
    const batch = await Promise.allSettled([
      model.infer(request([1], { mode: 'crash' })),
      model.infer(request([2])),
      model.infer(request([3])),
    ]);
    for (const outcome of batch) {
      assert.equal(outcome.status, 'rejected');
      assert.match(
        String(outcome.reason.message),
        /worker instance of model 'behave-KIND_WORKER' stopped during the batch \(crashed on purpose\)/,
      );
    }
    const next = await model.infer(request([4]));
    assert.deepEqual(output(next, 'y'), [8]);
    assert.notEqual(output(next, 'thread')[0], before, 'a new thread');
  });

  it('a worker that runs out of memory (resourceLimits) is replaced', async () => {
    const model = bind('behave', 'KIND_WORKER', {
      instanceGroup: { kind: 'KIND_WORKER', count: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } },
    });
    await assert.rejects(model.infer(request([1], { mode: 'exhaust' })), /ERR_WORKER_OUT_OF_MEMORY/);
    assert.deepEqual(output(await model.infer(request([3])), 'y'), [6]);
  });

  it('worker threads run at a lower priority than the main thread (niceIncrement, Linux)', async (t) => {
    if (process.platform !== 'linux') return t.skip('a thread has a nice value of its own on Linux only');
    const base = getPriority();
    if (base + 7 > 19) return t.skip(`the process already runs at nice ${base}`);
    const model = bind('behave', 'KIND_WORKER', {
      maxBatchSize: 1,
      instanceGroup: { kind: 'KIND_WORKER', count: 2, niceIncrement: 7 },
    });
    await model.ready();
    await Promise.all([1, 2, 3, 4].map((i) => model.infer(request([i]))));
    const niceOf = (task: string): number =>
      Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const tasks = readdirSync('/proc/self/task');
    assert.equal(niceOf(String(process.pid)), base, 'the main thread keeps its priority');
    assert.equal(tasks.filter((task) => niceOf(task) === base + 7).length, 2);
  });

  it('no other model notices a worker stuck in a loop: a main-thread model answers meanwhile', async () => {
    const stuck = bind('behave', 'KIND_WORKER', { executionTimeoutMicroseconds: 1_000_000 });
    const other = bind('behave', 'KIND_CPU');
    const order: string[] = [];
    const spinning = stuck.infer(request([1], { mode: 'spin' })).catch(() => order.push('stuck timed out'));
    await other.infer(request([2]));
    order.push('other answered');
    await spinning;
    assert.deepEqual(order, ['other answered', 'stuck timed out']);
  });

  it('two instances run two batches at once on two threads', async () => {
    const model = bind('behave', 'KIND_WORKER', { maxBatchSize: 1 }, 2);
    await model.ready();
    const threads = new Set<number>();
    for (let round = 0; round < 5 && threads.size < 2; round++) {
      const results = await Promise.all([1, 2, 3, 4].map((i) => model.infer(request([i]))));
      for (const r of results) threads.add(output(r, 'thread')[0]!);
    }
    assert.equal(threads.size, 2);
  });

  it('the response cache answers a repeated request without calling the worker', async () => {
    const triton = new Triton({
      config: {
        httpPort: 0,
        httpAddress: '127.0.0.1',
        allowGrpc: false,
        allowMetrics: false,
        cacheConfig: ['local,size=1048576'],
      },
    });
    triton.bind({
      modelName: 'cached',
      inferFunc: inferModule(MODULE, 'behave'),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [
        Tensor({ name: 'y', dtype: 'FP32', shape: [-1] }),
        Tensor({ name: 'thread', dtype: 'INT32', shape: [1] }),
      ],
      config: { maxBatchSize: 8, responseCache: true, instanceGroup: { kind: 'KIND_WORKER', count: 1 } },
    });
    await triton.run();
    try {
      const base = `http://127.0.0.1:${triton.httpPort}/v2/models/cached`;
      const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] });
      const answers = [];
      for (let i = 0; i < 2; i++) answers.push(await (await fetch(`${base}/infer`, { method: 'POST', body })).json());
      assert.deepEqual(answers[1], answers[0]);
      const stats = (await (await fetch(`${base}/stats`)).json()) as {
        model_stats: { execution_count: number; inference_stats: { cache_hit: { count: number } } }[];
      };
      assert.equal(stats.model_stats[0]!.execution_count, 1);
      assert.equal(stats.model_stats[0]!.inference_stats.cache_hit.count, 1);
    } finally {
      await triton.stop();
    }
  });

  it('traces from the worker: spans parented under infer_callable, request.span changes replayed, failures recorded', async () => {
    const receiver = await startOtlpReceiver();
    const triton = new Triton({
      config: {
        httpPort: 0,
        httpAddress: '127.0.0.1',
        allowGrpc: false,
        allowMetrics: false,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
    });
    triton.bind({
      modelName: 'traced',
      inferFunc: inferModule(MODULE, 'traced'),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [-1] })],
      outputs: [
        Tensor({ name: 'y', dtype: 'FP32', shape: [-1] }),
        Tensor({ name: 'thread', dtype: 'INT32', shape: [1] }),
      ],
      config: { maxBatchSize: 8, instanceGroup: { kind: 'KIND_WORKER', count: 1 } },
    });
    await triton.run();
    try {
      const body = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] });
      const answer = (await (
        await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/traced/infer`, { method: 'POST', body })
      ).json()) as {
        outputs: { name: string; data: number[] }[];
      };
      const workerThread = answer.outputs.find((o) => o.name === 'thread')!.data[0];
      assert.notEqual(workerThread, threadId);
      const spans = await receiver.waitForSpans(7, 10_000);
      assert.deepEqual(parentMap(spans), {
        InferRequest: ['traced'],
        traced: ['compute'],
        compute: ['infer_callable'],
        infer_callable: ['fails', 'inner'],
        inner: ['api-child'],
      });
      assert.equal(new Set(spans.map((s) => s.traceId)).size, 1);
      const callable = findSpan(spans, 'infer_callable');
      assert.equal(callable.attributes['model.thread'], workerThread);
      assert.ok(eventNames(callable).includes('model.event'));
      const fails = findSpan(spans, 'fails');
      assert.equal(fails.status.code, StatusCodeNumber.ERROR);
      assert.equal(fails.status.message, 'inner failure');
      assert.equal(findSpan(spans, 'api-child').scope.name, 'fixture');
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });

  it('InstanceGroup validates niceIncrement: 0 to 19, KIND_WORKER only, 10 by default', () => {
    assert.equal(InstanceGroup({ kind: 'KIND_WORKER', count: 1 }).niceIncrement, 10);
    assert.equal(InstanceGroup({ kind: 'KIND_WORKER', count: 1, niceIncrement: 0 }).niceIncrement, 0);
    assert.equal(InstanceGroup({ kind: 'KIND_CPU', count: 1 }).niceIncrement, undefined);
    assert.throws(
      () => InstanceGroup({ kind: 'KIND_WORKER', count: 1, niceIncrement: 20 }),
      /InstanceGroup.niceIncrement must be an integer from 0 to 19; got 20/,
    );
    assert.throws(
      () => InstanceGroup({ kind: 'KIND_CPU', count: 1, niceIncrement: 5 }),
      /InstanceGroup.niceIncrement applies to KIND_WORKER only/,
    );
  });

  it('a wrong export stops run() with a message naming it; KIND_WORKER with a function is refused', async () => {
    const triton = new Triton({
      config: { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false },
    });
    triton.bind({
      modelName: 'bad',
      inferFunc: inferModule(MODULE, 'notAFunction'),
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
      config: { instanceGroup: { kind: 'KIND_WORKER', count: 1 } },
    });
    await assert.rejects(
      triton.run(),
      /export 'notAFunction' of .*worker-models\.ts must be the infer function; it is a number/,
    );
    await triton.stop();
    assert.throws(
      () =>
        new Model({
          modelName: 'f',
          inferFunc: async () => [],
          inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
          outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
          config: { instanceGroup: { kind: 'KIND_WORKER', count: 1 } },
        }),
      /KIND_WORKER, which needs inferFunc given as inferModule/,
    );
  });
});
