/**
 * The trace settings API over HTTP (triton-protocol.md §1.3): endpoints, JSON shape, validation messages,
 * global vs per-model semantics, Triton's `trace_endpoint_test.py` expectations 1–6, and the sampling
 * counter restarting on every update (§1.2).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setLogSink } from '../../src/logger.ts';
import {
  type Answer,
  filesIn,
  getSetting,
  infer,
  postSetting,
  settings,
  startServer,
  stopServer,
  type TracedServer,
  tracesInFile,
  update,
  waitForTraceFile,
} from './trace-helpers.ts';

/** The settings of Triton's `trace_endpoint_test.py` server: `triton,file=global_unittest.log level=TIMESTAMPS rate=1`. */
const UNITTEST_CONFIG = ['triton,file={file}', 'level=TIMESTAMPS', 'rate=1'];

/** The JSON settings with Triton-mode fields, `trace_file` being the server's file. */
function tritonSettings(
  server: TracedServer,
  values: { level: string[]; rate: string; count: string; logFrequency: string },
): Record<string, unknown> {
  return {
    trace_level: values.level,
    trace_rate: values.rate,
    trace_count: values.count,
    log_frequency: values.logFrequency,
    trace_file: server.file,
    trace_mode: 'triton',
  };
}

/** Asserts an error answer: `status` and exactly `{"error": message}`. */
function assertError(result: Answer, status: number, message: string): void {
  assert.equal(result.status, status, result.text);
  assert.deepEqual(result.json, { error: message });
}

describe('trace settings API (triton mode)', () => {
  let server: TracedServer;
  let initial: Record<string, unknown>;

  beforeEach(async () => {
    server = await startServer(UNITTEST_CONFIG, { fileName: 'global_unittest.log' });
    initial = tritonSettings(server, { level: ['TIMESTAMPS'], rate: '1', count: '-1', logFrequency: '0' });
  });
  afterEach(() => stopServer(server));

  /** Asserts that the global setting and the setting of `simple` are still the initial ones. */
  async function assertUnchanged(): Promise<void> {
    assert.deepEqual(await settings(server), initial);
    assert.deepEqual(await settings(server, 'simple'), initial);
  }

  it('expectation 1: initial GET global == GET model, with every field, as JSON strings in Triton order', async () => {
    const global = await getSetting(server);
    const model = await getSetting(server, 'simple');
    for (const result of [global, model]) {
      assert.equal(result.status, 200);
      assert.match(result.contentType ?? '', /^application\/json/);
      assert.deepEqual(result.json, initial);
      assert.deepEqual(Object.keys(result.json), [
        'trace_level',
        'trace_rate',
        'trace_count',
        'log_frequency',
        'trace_file',
        'trace_mode',
      ]);
    }
    assert.equal(global.text, model.text);
  });

  it('expectation 2: an unknown model is a 400 "Request for unknown model : <name>" for GET and POST', async () => {
    for (const result of [
      await getSetting(server, 'does-not-exist'),
      await postSetting(server, 'does-not-exist', { trace_rate: '2' }),
      await postSetting(server, 'does-not-exist', ''),
    ]) {
      assert.equal(result.status, 400, result.text);
      assert.match(result.json.error, /Request for unknown model : does-not-exist/);
    }
    await assertUnchanged();
  });

  it('has no versioned route (404) and answers other methods with 405', async () => {
    for (const method of ['GET', 'POST']) {
      const response = await fetch(`${server.base}/v2/models/simple/versions/1/trace/setting`, { method });
      assert.equal(response.status, 404);
      assert.deepEqual(await response.json(), { error: 'Not Found' });
    }
    for (const url of [`${server.base}/v2/trace/setting`, `${server.base}/v2/models/simple/trace/setting`]) {
      for (const method of ['PUT', 'DELETE']) {
        const response = await fetch(url, { method, body: method === 'PUT' ? '{}' : null });
        assert.equal(response.status, 405, `${method} ${url}`);
        assert.deepEqual(await response.json(), { error: 'Method Not Allowed' });
      }
    }
    await assertUnchanged();
  });

  it('expectation 3: trace_file can not be updated (501, exact body), for a model or globally; nothing changes', async () => {
    for (const model of ['simple', undefined]) {
      for (const body of [{ trace_file: 'model.log' }, { trace_file: 'model.log', trace_rate: '5' }]) {
        const result = await postSetting(server, model, body);
        assert.equal(result.status, 501);
        assert.equal(result.text, '{"error":"trace file location can not be updated through network protocol"}');
      }
    }
    await assertUnchanged();
  });

  it('expectation 4: a global level update shows on the models that mirror the global level', async () => {
    const both = ['TIMESTAMPS', 'TENSORS'];
    const expected = { ...initial, trace_level: both };
    assert.deepEqual(await update(server, undefined, { trace_level: both }), expected);
    assert.deepEqual(await settings(server), expected);
    assert.deepEqual(await settings(server, 'simple'), expected);
  });

  it('a model mirrors exactly the global fields it did not specify', async () => {
    assert.deepEqual(await update(server, 'simple', { trace_rate: '3', trace_level: ['OFF'] }), {
      ...initial,
      trace_rate: '3',
      trace_level: ['OFF'],
    });
    assert.deepEqual(await settings(server), initial, 'a model update leaves the global setting');
    const global = await update(server, undefined, { trace_level: ['TENSORS'], trace_rate: '7', log_frequency: '4' });
    assert.deepEqual(global, { ...initial, trace_level: ['TENSORS'], trace_rate: '7', log_frequency: '4' });
    assert.deepEqual(await settings(server, 'simple'), {
      ...initial,
      trace_level: ['OFF'],
      trace_rate: '3',
      log_frequency: '4',
    });
  });

  it('expectation 5: null clears fields (global back to the configured values, model back to mirroring)', async () => {
    assert.deepEqual(
      await update(server, 'simple', { trace_rate: '12', log_frequency: '34' }),
      tritonSettings(server, { level: ['TIMESTAMPS'], rate: '12', count: '-1', logFrequency: '34' }),
    );
    assert.deepEqual(
      await update(server, undefined, { trace_rate: '56', trace_count: '78', trace_level: ['OFF'] }),
      tritonSettings(server, { level: ['OFF'], rate: '56', count: '78', logFrequency: '0' }),
    );
    assert.deepEqual(
      await settings(server, 'simple'),
      tritonSettings(server, { level: ['OFF'], rate: '12', count: '78', logFrequency: '34' }),
    );
    const clearedGlobal = tritonSettings(server, { level: ['OFF'], rate: '1', count: '-1', logFrequency: '0' });
    assert.deepEqual(await update(server, undefined, { trace_rate: null, trace_count: null }), clearedGlobal);
    assert.deepEqual(await settings(server), clearedGlobal);
    assert.deepEqual(
      await settings(server, 'simple'),
      tritonSettings(server, { level: ['OFF'], rate: '12', count: '-1', logFrequency: '34' }),
    );
    assert.deepEqual(
      await update(server, 'simple', { trace_rate: null, trace_level: null }),
      tritonSettings(server, { level: ['OFF'], rate: '1', count: '-1', logFrequency: '34' }),
    );
    assert.deepEqual(await settings(server), clearedGlobal, 'clearing model fields leaves the global setting');

    // Expectation 6, the tearDown: clearing everything on the model and globally restores the start.
    const clearAll = { trace_level: null, trace_rate: null, trace_count: null, log_frequency: null };
    assert.deepEqual(
      await update(server, 'simple', clearAll),
      clearedGlobal,
      'a model with nothing specified shows global',
    );
    assert.deepEqual(await update(server, undefined, clearAll), initial);
    await assertUnchanged();
    // The model mirrors the global setting again: a global update shows on it.
    await update(server, undefined, { trace_rate: '9' });
    assert.deepEqual(await settings(server, 'simple'), { ...initial, trace_rate: '9' });
  });

  it('expectation 6: the tearDown clear on a fresh server is a no-op', async () => {
    const clearAll = { trace_level: null, trace_rate: null, trace_count: null, log_frequency: null };
    assert.deepEqual(await update(server, 'simple', clearAll), initial);
    assert.deepEqual(await update(server, undefined, clearAll), initial);
    await assertUnchanged();
  });

  it('rejects bad trace_rate, trace_count and log_frequency values with Triton messages; nothing changes', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ trace_rate: 'abc' }, "Unable to parse 'trace_rate', got: abc"],
      [{ trace_rate: '' }, "Unable to parse 'trace_rate', got: "],
      [
        { trace_rate: '10000000000' },
        "Unable to parse 'trace_rate', value is out of range [ 0, 4294967295 ], got: 10000000000",
      ],
      [{ trace_count: 'abc' }, "Unable to parse 'trace_count', got: abc"],
      [{ trace_count: '-2' }, "Unable to parse 'trace_count'. Expecting value >= -1, got:-2"],
      [
        { trace_count: '10000000000' },
        "Unable to parse 'trace_count', value is out of range [ -1, 2147483647 ], got: 10000000000",
      ],
      [{ log_frequency: 'abc' }, "Unable to parse 'log_frequency', got: abc"],
      [
        { log_frequency: '10000000000' },
        "Unable to parse 'log_frequency', value is out of range [ 0, 4294967295 ], got: 10000000000",
      ],
      // A bad field fails the whole update, even next to good ones.
      [{ trace_rate: '5', log_frequency: 'x' }, "Unable to parse 'log_frequency', got: x"],
    ];
    for (const model of [undefined, 'simple']) {
      for (const [body, message] of cases) {
        assertError(await postSetting(server, model, body), 400, message);
      }
    }
    await assertUnchanged();
  });

  it('rejects numbers given as JSON numbers instead of strings', async () => {
    for (const model of [undefined, 'simple']) {
      for (const body of [{ trace_rate: 5 }, { trace_count: 5 }, { log_frequency: 2 }, { trace_count: -1 }]) {
        const result = await postSetting(server, model, body);
        assert.equal(result.status, 400, `${JSON.stringify(body)}: ${result.text}`);
        assert.equal(typeof result.json.error, 'string');
      }
    }
    await assertUnchanged();
  });

  it("rejects OFF next to another level: Expect only one trace level 'OFF' is specified", async () => {
    for (const model of [undefined, 'simple']) {
      for (const level of [
        ['OFF', 'TIMESTAMPS'],
        ['TENSORS', 'OFF'],
      ]) {
        assertError(
          await postSetting(server, model, { trace_level: level }),
          400,
          "Expect only one trace level 'OFF' is specified",
        );
      }
    }
    await assertUnchanged();
  });

  it('rejects a setting that would trace nothing while the level is on (rate "0"); allows it with level OFF', async () => {
    const message = 'Attempting to set invalid trace setting :sample rate must be non-zero';
    for (const model of [undefined, 'simple']) {
      assertError(await postSetting(server, model, { trace_rate: '0' }), 400, message);
      assertError(await postSetting(server, model, { trace_rate: '0', trace_level: ['TIMESTAMPS'] }), 400, message);
    }
    await assertUnchanged();
    const off = { ...initial, trace_level: ['OFF'], trace_rate: '0' };
    assert.deepEqual(await update(server, undefined, { trace_rate: '0', trace_level: ['OFF'] }), off);
    assertError(await postSetting(server, undefined, { trace_level: ['TIMESTAMPS'] }), 400, message);
    assert.deepEqual(await settings(server), off);
  });

  it('an empty body or {} returns the current settings; unknown keys are ignored', async () => {
    const changed = await update(server, 'simple', { trace_rate: '4' });
    for (const model of [undefined, 'simple']) {
      const expected = model === undefined ? initial : changed;
      assert.deepEqual(await update(server, model, ''), expected);
      assert.deepEqual(await update(server, model, {}), expected);
      assert.deepEqual(await update(server, model, { trace_mode: 'opentelemetry', url: 'x', foo: 1 }), expected);
    }
    assert.deepEqual(await settings(server, 'simple'), changed);
    assert.deepEqual(await settings(server), initial);
  });

  it('warns about an unknown trace_level string and an unknown key, naming the closest valid one, and still applies the rest', async () => {
    const warnings: string[] = [];
    const previous = setLogSink((level, message) => {
      if (level === 'warn') warnings.push(message);
    });
    try {
      const changed = await update(server, undefined, { trace_level: ['TIMESTAMP', 'TENSORS'], trace_rte: '5' });
      assert.deepEqual(changed.trace_level, ['TENSORS']);
      assert.equal(changed.trace_rate, '1');
    } finally {
      setLogSink(previous);
    }
    assert.ok(
      warnings.includes(
        "trace settings: unknown trace_level 'TIMESTAMP' is ignored (as Triton does); did you mean 'TIMESTAMPS'? Valid: OFF, TIMESTAMPS, TENSORS",
      ),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.includes(
        "trace settings: unknown key 'trace_rte' is ignored (as Triton does); did you mean 'trace_rate'? Valid: trace_level, trace_rate, trace_count, log_frequency, trace_file",
      ),
      warnings.join('\n'),
    );
  });

  it('server metadata lists the trace extension', async () => {
    const response = await fetch(`${server.base}/v2`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as { extensions: string[] };
    assert.ok(metadata.extensions.includes('trace'), JSON.stringify(metadata.extensions));
  });
});

describe('trace settings API: the sampling counter restarts after every update', () => {
  let server: TracedServer | undefined;
  afterEach(() => stopServer(server));

  it('rate 3: two requests before each update are forgotten; the third request after one is traced', async () => {
    server = await startServer(['triton,file={file}', 'triton,log-frequency=1', 'level=TIMESTAMPS', 'rate=3']);
    const s = server;
    await infer(s, 2);
    await update(s, undefined, {});
    await infer(s, 2);
    await update(s, undefined, '');
    await infer(s, 2);
    await update(s, 'simple', { trace_rate: '3' });
    await infer(s, 2);
    await update(s, 'simple', {});
    await infer(s, 2);
    assert.deepEqual(filesIn(s.dir), [], 'no request was the third one since an update');
    await infer(s, 1);
    await waitForTraceFile(`${s.file}.0`);
    assert.deepEqual(filesIn(s.dir), ['trace.log.0']);
    assert.equal(tracesInFile(`${s.file}.0`), 1);
  });

  it('a global update restarts the counter of every model setting, even one that specifies every field', async () => {
    server = await startServer(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    const s = server;
    const all = { trace_level: ['TIMESTAMPS'], trace_rate: '3', trace_count: '-1', log_frequency: '1' };
    await update(s, 'simple', all);
    await infer(s, 2);
    await update(s, undefined, { trace_rate: '2' });
    assert.deepEqual(await settings(s, 'simple'), { ...(await settings(s)), ...all });
    await infer(s, 2);
    assert.deepEqual(filesIn(s.dir), []);
    await infer(s, 1);
    await waitForTraceFile(`${s.file}.0`);
    assert.deepEqual(filesIn(s.dir), ['trace.log.0']);
  });
});

describe('trace settings API: trace_count', () => {
  let server: TracedServer | undefined;
  afterEach(() => stopServer(server));

  it('a specified count carries on with what remains of it; used up, an update that keeps it is rejected', async () => {
    server = await startServer(UNITTEST_CONFIG);
    const s = server;
    assert.equal((await update(s, undefined, { trace_count: '3' })).trace_count, '3');
    await infer(s, 1);
    assert.equal((await settings(s)).trace_count, '2');
    assert.equal((await update(s, undefined, { trace_rate: '1' })).trace_count, '2');
    await infer(s, 2);
    assert.equal((await settings(s)).trace_count, '0');
    assert.equal((await settings(s, 'simple')).trace_count, '0');
    assertError(await postSetting(s, undefined, {}), 400, 'Attempting to set invalid trace setting :');
    assertError(
      await postSetting(s, undefined, { trace_count: '0' }),
      400,
      'Attempting to set invalid trace setting :',
    );
    assert.equal((await settings(s)).trace_count, '0');
    assert.equal((await update(s, undefined, { trace_count: null })).trace_count, '-1');
    // Level OFF makes any count acceptable.
    assert.equal((await update(s, undefined, { trace_count: '0', trace_level: ['OFF'] })).trace_count, '0');
  });

  it('a model setting mirrors the count that remains of the global one', async () => {
    server = await startServer(UNITTEST_CONFIG);
    const s = server;
    await update(s, undefined, { trace_count: '3' });
    await infer(s, 1);
    assert.equal((await update(s, 'simple', { log_frequency: '1' })).trace_count, '2');
    await infer(s, 1);
    assert.equal((await settings(s, 'simple')).trace_count, '1');
    assert.equal((await settings(s)).trace_count, '2', 'the model has a count of its own');
    await s.triton.stop();
    assert.deepEqual(filesIn(s.dir), ['trace.log', 'trace.log.0']);
    assert.equal(tracesInFile(s.file), 1, 'the request traced with the global setting');
    assert.equal(tracesInFile(`${s.file}.0`), 1, 'the request traced with the model setting');
  });

  it('a global update that does not specify the count resets it to the configured value (Triton quirk)', async () => {
    server = await startServer([...UNITTEST_CONFIG, 'count=3']);
    const s = server;
    await infer(s, 1);
    assert.equal((await settings(s)).trace_count, '2');
    assert.equal((await update(s, undefined, { trace_rate: '1' })).trace_count, '3');
  });
});

describe('trace settings API (opentelemetry mode)', () => {
  let server: TracedServer | undefined;
  afterEach(() => stopServer(server));

  it('GET shows url and the batch span processor defaults, and no trace_file / log_frequency', async () => {
    server = await startServer(
      ['mode=opentelemetry', 'opentelemetry,url=localhost:10000/v1/traces', 'level=TIMESTAMPS', 'rate=0'],
      {},
    );
    const expected =
      '{"trace_level":["TIMESTAMPS"],"trace_rate":"0","trace_count":"-1","trace_mode":"opentelemetry",' +
      '"url":"localhost:10000/v1/traces","bsp_max_queue_size":"2048","bsp_schedule_delay":"5000",' +
      '"bsp_max_export_batch_size":"512"}';
    for (const model of [undefined, 'simple']) {
      const result = await getSetting(server, model);
      assert.equal(result.status, 200);
      assert.equal(result.text, expected);
      assert.ok(!('trace_file' in result.json) && !('log_frequency' in result.json));
    }
    // The OpenTelemetry settings are read-only: url in an update is ignored; the rate can change.
    const updated = await update(server, undefined, { trace_rate: '5', url: 'localhost:1/v1/traces' });
    assert.equal(updated.trace_rate, '5');
    assert.equal(updated.url, 'localhost:10000/v1/traces');
    assert.deepEqual(filesIn(server.dir), []);
    assert.ok(!fs.existsSync(server.file));
  });
});
