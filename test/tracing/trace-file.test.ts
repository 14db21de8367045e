/**
 * Triton-mode trace files (triton-protocol.md §1.4) and Triton's file tests T1–T4 and C1–C5 (§2.1).
 * Triton's "10×(HTTP+gRPC)" is 20 HTTP requests here (no gRPC frontend yet).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { type InferFunc, NDArray } from '../../src/index.ts';
import {
  countTraces,
  filesIn,
  groupById,
  infer,
  readTraceFile,
  settings,
  simpleInfer,
  startServer,
  stopServer,
  timestampNames,
  type TracedServer,
  type TraceObject,
  tracesInFile,
  update,
  waitForTraceFile,
} from './trace-helpers.ts';

/** Triton's timestamps of one HTTP request, in order. */
const HTTP_TIMESTAMPS = [
  'HTTP_RECV_START',
  'HTTP_RECV_END',
  'REQUEST_START',
  'QUEUE_START',
  'COMPUTE_START',
  'COMPUTE_INPUT_END',
  'COMPUTE_OUTPUT_START',
  'COMPUTE_END',
  'INFER_RESPONSE_COMPLETE',
  'REQUEST_END',
  'HTTP_SEND_START',
  'HTTP_SEND_END',
];

const range = (n: number, f: (i: number) => number): string => Array.from({ length: n }, (_, i) => f(i)).join(',');

let server: TracedServer | undefined;
afterEach(async () => {
  await stopServer(server);
  server = undefined;
});

/** Starts the test's server (stopped after the test). */
async function serve(...args: Parameters<typeof startServer>): Promise<TracedServer> {
  server = await startServer(...args);
  return server;
}

describe("Triton's trace file tests (qa/L0_trace, qa/L0_cmdline_trace)", () => {
  it('T1: level OFF at start, then a global POST of TIMESTAMPS traces every request', async () => {
    const s = await serve(['triton,file={file}', 'level=OFF', 'rate=1'], { fileName: 'trace_off_to_min.log' });
    const response = await update(s, undefined, { trace_level: ['TIMESTAMPS'] });
    assert.deepEqual(response, {
      trace_level: ['TIMESTAMPS'],
      trace_rate: '1',
      trace_count: '-1',
      log_frequency: '0',
      trace_file: s.file,
      trace_mode: 'triton',
    });
    await infer(s, 20);
    assert.deepEqual(filesIn(s.dir), [], 'with log frequency 0 the traces are written at shutdown');
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['trace_off_to_min.log']);
    assert.equal(tracesInFile(s.file), 20);
  });

  it('T2: a model log_frequency of 2 at rate 6 writes .0 with 2 traces and .1 with 1, nothing else', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=6'], { fileName: 'global_trace.log' });
    const rejected = await fetch(`${s.base}/v2/models/simple/trace/setting`, {
      method: 'POST',
      body: JSON.stringify({ trace_file: 'global_trace.log' }),
    });
    assert.notEqual(rejected.status, 200);
    assert.equal(await rejected.text(), '{"error":"trace file location can not be updated through network protocol"}');
    assert.deepEqual(await update(s, 'simple', { log_frequency: '2' }), {
      trace_level: ['TIMESTAMPS'],
      trace_rate: '6',
      trace_count: '-1',
      log_frequency: '2',
      trace_file: s.file,
      trace_mode: 'triton',
    });
    await infer(s, 20);
    await waitForTraceFile(`${s.file}.0`);
    assert.deepEqual(filesIn(s.dir), ['global_trace.log.0'], 'the first 2 traces are written as soon as collected');
    assert.equal(tracesInFile(`${s.file}.0`), 2);
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['global_trace.log.0', 'global_trace.log.1']);
    assert.equal(tracesInFile(`${s.file}.0`), 2);
    assert.equal(tracesInFile(`${s.file}.1`), 1);
  });

  it('T3: a model at level OFF traces nothing; clearing its level traces every request again', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=6'], { fileName: 'global_trace.log' });
    assert.equal((await update(s, 'simple', { trace_rate: '1' })).trace_rate, '1');
    const off = await update(s, 'simple', { trace_level: ['OFF'] });
    assert.deepEqual([off.trace_level, off.trace_rate, off.trace_count, off.log_frequency], [['OFF'], '1', '-1', '0']);
    await infer(s, 20);
    const cleared = await update(s, 'simple', { trace_level: null });
    assert.deepEqual([cleared.trace_level, cleared.trace_rate], [['TIMESTAMPS'], '1']);
    await infer(s, 10);
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['global_trace.log']);
    assert.equal(tracesInFile(s.file), 10);
  });

  it('T4: a global count of 5 writes .0 as soon as it runs out; GET then shows trace_count "0"', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1'], { fileName: 'global_count.log' });
    await infer(s, 20);
    assert.equal((await settings(s, 'simple')).trace_count, '-1');
    assert.equal((await update(s, undefined, { trace_count: '5' })).trace_count, '5');
    await infer(s, 20);
    assert.equal((await settings(s, 'simple')).trace_count, '0');
    assert.equal((await settings(s)).trace_count, '0');
    await waitForTraceFile(`${s.file}.0`);
    assert.equal(tracesInFile(`${s.file}.0`), 5);
    for (const field of ['trace_count', 'trace_rate', 'log_frequency']) {
      const response = await fetch(`${s.base}/v2/models/simple/trace/setting`, {
        method: 'POST',
        body: JSON.stringify({ [field]: '10000000000' }),
      });
      assert.notEqual(response.status, 200, field);
      await response.arrayBuffer();
    }
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['global_count.log', 'global_count.log.0']);
    assert.equal(tracesInFile(s.file), 20);
    assert.equal(tracesInFile(`${s.file}.0`), 5);
  });

  it('C1: level OFF creates no file', async () => {
    const s = await serve(['triton,file={file}', 'level=OFF', 'rate=1'], { fileName: 'trace_off.log' });
    await infer(s, 20);
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), []);
  });

  for (const [name, rate, traces] of [
    ['C2/C4', 1, 20],
    ['C4', 6, 3],
    ['C3/C4', 9, 2],
  ] as const) {
    it(`${name}: rate ${rate} over 20 requests traces ${traces}`, async () => {
      const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', `rate=${rate}`]);
      await infer(s, 20);
      await s.triton.stop();
      assert.deepEqual(filesIn(s.dir), ['trace.log']);
      const objects = readTraceFile(s.file);
      assert.equal(countTraces(objects), traces);
      // Every rate-th request: with ids from 1, one COMPUTE_INPUT_END per traced execution.
      assert.equal(objects.filter((o) => o.timestamps?.[0].name === 'COMPUTE_INPUT_END').length, traces);
    });
  }

  it('C5: rate 6 and log-frequency 2 write .0 with 2 traces and .1 with 1', async () => {
    const s = await serve(['triton,file={file}', 'triton,log-frequency=2', 'level=TIMESTAMPS', 'rate=6'], {
      fileName: 'trace_frequency.log',
    });
    await infer(s, 20);
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['trace_frequency.log.0', 'trace_frequency.log.1']);
    assert.equal(tracesInFile(`${s.file}.0`), 2);
    assert.equal(tracesInFile(`${s.file}.1`), 1);
  });

  it('the sampling counter is shared by every model mirroring the global setting', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=2'], { models: ['simple', 'other'] });
    for (let i = 0; i < 4; i++) {
      await infer(s, 1, 'simple');
      await infer(s, 1, 'other');
    }
    await s.triton.stop();
    const objects = readTraceFile(s.file);
    assert.equal(countTraces(objects, 'simple'), 0);
    assert.equal(countTraces(objects, 'other'), 4);
  });
});

describe('what is sampled (§1.2)', () => {
  const generateBody = JSON.stringify({
    INPUT0: range(16, (i) => i)
      .split(',')
      .map(Number),
    INPUT1: Array(16).fill(1),
  });

  it('/infer, /generate and /generate_stream requests are all traced', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    await infer(s, 1);
    for (const endpoint of ['generate', 'generate_stream']) {
      const response = await fetch(`${s.base}/v2/models/simple/${endpoint}`, { method: 'POST', body: generateBody });
      const text = await response.text();
      assert.equal(response.status, 200, text);
    }
    await s.triton.stop();
    const traces = groupById(readTraceFile(s.file));
    assert.deepEqual([...traces.keys()], [1, 2, 3]);
    for (const list of traces.values()) {
      assert.equal(countTraces(list), 1);
      assert.deepEqual(timestampNames(list).toSorted(), HTTP_TIMESTAMPS.toSorted());
    }
  });

  it('a malformed request still advances the counter (sampled before its body is parsed)', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=2']);
    const bad = await fetch(`${s.base}/v2/models/simple/infer`, { method: 'POST', body: '{"inputs": [' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    await infer(s, 1);
    await infer(s, 1);
    await s.triton.stop();
    const traces = groupById(readTraceFile(s.file));
    assert.deepEqual([...traces.keys()], [1], 'only the second request was traced');
    assert.equal(countTraces(traces.get(1)!), 1);
  });

  it('a request that fails before reaching the model has HTTP timestamps only, no model or REQUEST_END', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    const bad = await fetch(`${s.base}/v2/models/simple/infer`, { method: 'POST', body: '{"inputs": [' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    await s.triton.stop();
    const objects = readTraceFile(s.file);
    assert.ok(
      objects.every((o) => o.id === 1 && !('model_name' in o)),
      JSON.stringify(objects),
    );
    const names = timestampNames(objects);
    assert.deepEqual(names.slice(0, 2), ['HTTP_RECV_START', 'HTTP_RECV_END']);
    assert.deepEqual(names.slice(-2), ['HTTP_SEND_START', 'HTTP_SEND_END']);
    assert.ok(!names.includes('REQUEST_START') && !names.includes('REQUEST_END'), names.join());
  });
});

describe('trace file objects', () => {
  it("writes one JSON array of Triton's objects: model info, then one object per timestamp, in Triton's order", async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    await infer(s, 3);
    await s.triton.stop();
    const text = fs.readFileSync(s.file, 'utf8');
    assert.ok(text.startsWith('[') && text.endsWith(']'));
    assert.ok(text.includes('{"id":1,"model_name":"simple","model_version":1,"request_id":"1"}'), text.slice(0, 200));
    const objects = readTraceFile(s.file);
    const traces = groupById(objects);
    assert.deepEqual([...traces.keys()], [1, 2, 3], 'ids count from 1 on a fresh server');
    for (const [id, list] of traces) {
      const info = list.filter((o) => 'model_name' in o);
      assert.deepEqual(info, [{ id, model_name: 'simple', model_version: 1, request_id: '1' }]);
      for (const object of list) {
        if ('model_name' in object) continue;
        assert.deepEqual(Object.keys(object), ['id', 'timestamps'], JSON.stringify(object));
        assert.equal(object.timestamps.length, 1, 'one timestamp per object');
        assert.deepEqual(Object.keys(object.timestamps[0]), ['name', 'ns']);
        assert.ok(Number.isInteger(object.timestamps[0].ns) && object.timestamps[0].ns > 0);
      }
      assert.deepEqual(timestampNames(list), HTTP_TIMESTAMPS);
      const ns = list.filter((o) => 'timestamps' in o).map((o) => o.timestamps[0].ns as number);
      for (let i = 1; i < ns.length; i++) {
        assert.ok(ns[i]! >= ns[i - 1]!, `${HTTP_TIMESTAMPS[i]} (${ns[i]}) >= ${HTTP_TIMESTAMPS[i - 1]} (${ns[i - 1]})`);
      }
    }
  });

  it('omits request_id when the request has no id', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    const body = {
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(0) },
        { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: Array(16).fill(0) },
      ],
    };
    const response = await fetch(`${s.base}/v2/models/simple/infer`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    await s.triton.stop();
    const text = fs.readFileSync(s.file, 'utf8');
    assert.ok(text.includes('{"id":1,"model_name":"simple","model_version":1}'), text.slice(0, 200));
  });

  it('TENSORS level writes the queued inputs and the backend outputs with data, shape and dtype', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'level=TENSORS', 'rate=1']);
    await infer(s, 1);
    await s.triton.stop();
    const text = fs.readFileSync(s.file, 'utf8');
    const input0 =
      '{"id":1,"activity":"TENSOR_QUEUE_INPUT","tensor":' +
      `{"name":"INPUT0","data":"${range(16, (i) => i)}","shape":"1,16","dtype":"INT32"}}`;
    assert.ok(text.includes(input0), text);
    const objects = readTraceFile(s.file);
    const tensors = (activity: string): TraceObject[] =>
      objects.filter((o) => o.activity === activity).map((o) => ({ id: o.id, ...o.tensor }));
    assert.deepEqual(tensors('TENSOR_QUEUE_INPUT'), [
      { id: 1, name: 'INPUT0', data: range(16, (i) => i), shape: '1,16', dtype: 'INT32' },
      { id: 1, name: 'INPUT1', data: range(16, () => 1), shape: '1,16', dtype: 'INT32' },
    ]);
    assert.deepEqual(tensors('TENSOR_BACKEND_OUTPUT'), [
      { id: 1, name: 'OUTPUT0', data: range(16, (i) => i + 1), shape: '1,16', dtype: 'INT32' },
      { id: 1, name: 'OUTPUT1', data: range(16, (i) => i - 1), shape: '1,16', dtype: 'INT32' },
    ]);
    // Timestamps are still all there, in order.
    assert.deepEqual(timestampNames(objects), HTTP_TIMESTAMPS);
  });

  it('TIMESTAMPS level alone writes no tensor objects', async () => {
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    await infer(s, 1);
    await s.triton.stop();
    assert.ok(!readTraceFile(s.file).some((o) => 'activity' in o));
  });

  it('every form of request.tracedSpan works in Triton mode: sync, async, throwing, using, opened and ended', async () => {
    const inferFunc: InferFunc = async (requests) => {
      const request = requests[0]!;
      request.tracedSpan('sync', () => 1);
      await request.tracedSpan('async', async () => 2);
      assert.throws(
        () =>
          request.tracedSpan('throws', () => {
            throw new Error('bad step');
          }),
        /bad step/,
      );
      await assert.rejects(
        request.tracedSpan('rejects', () => Promise.reject(new Error('async step'))),
        /async step/,
      );
      {
        using scoped = request.tracedSpan('using');
        scoped.setAttribute('k', 1).addEvent('e');
      }
      const opened = request.tracedSpan('opened');
      opened.end();
      opened.end();
      return simpleInfer(requests);
    };
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1'], { inferFunc });
    await infer(s, 1);
    await s.triton.stop();
    const names = timestampNames(readTraceFile(s.file));
    const at = HTTP_TIMESTAMPS.indexOf('COMPUTE_INPUT_END') + 1;
    const steps = ['sync', 'async', 'throws', 'rejects', 'using', 'opened'].flatMap((n) => [`${n}_START`, `${n}_END`]);
    assert.deepEqual(names, [...HTTP_TIMESTAMPS.slice(0, at), ...steps, ...HTTP_TIMESTAMPS.slice(at)]);
  });

  it("request.tracedSpan('step', fn) writes step_START and step_END between the compute timestamps", async () => {
    let calls = 0;
    const inferFunc: InferFunc = async (requests) => {
      calls++;
      const responses = [];
      for (const request of requests) {
        const [response] = await request.tracedSpan('step', async () => simpleInfer([request]));
        responses.push(response!);
      }
      // A synchronous function and a nested span work too.
      requests[0]!.tracedSpan('outer', () =>
        requests[0]!.tracedSpan('inner', () => new NDArray('INT32', new Int32Array(1))),
      );
      return responses;
    };
    const s = await serve(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1'], { inferFunc });
    await infer(s, 1);
    await s.triton.stop();
    assert.equal(calls, 1);
    const names = timestampNames(readTraceFile(s.file));
    const at = HTTP_TIMESTAMPS.indexOf('COMPUTE_INPUT_END') + 1;
    assert.deepEqual(names, [
      ...HTTP_TIMESTAMPS.slice(0, at),
      'step_START',
      'step_END',
      'outer_START',
      'inner_START',
      'inner_END',
      'outer_END',
      ...HTTP_TIMESTAMPS.slice(at),
    ]);
    const ns = readTraceFile(s.file)
      .filter((o) => 'timestamps' in o)
      .map((o) => o.timestamps[0].ns as number);
    for (let i = 1; i < ns.length; i++) assert.ok(ns[i]! >= ns[i - 1]!, `${names[i]} after ${names[i - 1]}`);
  });
});
