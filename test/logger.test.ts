/**
 * The logger writes one line per message: control characters from clients or model code are escaped, so a
 * message cannot forge a log line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InferFunc, Tensor, Triton } from '../src/index.ts';
import { escapeControlCharacters, log, type LogLevel, setLogSink } from '../src/logger.ts';

describe('logger', () => {
  const lines: { level: LogLevel; message: string }[] = [];
  let previous: ReturnType<typeof setLogSink>;
  before(() => {
    previous = setLogSink((level, message) => lines.push({ level, message }));
  });
  after(() => setLogSink(previous));

  it('escapes CR, LF, tab, ESC, DEL, C1 controls and Unicode line separators', () => {
    assert.equal(escapeControlCharacters('plain text'), 'plain text');
    assert.equal(
      escapeControlCharacters('a\r\nI1205 forged\tx\u001b[31m\u007f\u0085\u2028\u2029\u0000'),
      'a\\r\\nI1205 forged\\tx\\u001b[31m\\u007f\\u0085\\u2028\\u2029\\u0000',
    );
    assert.equal(escapeControlCharacters('naïve ✓ 日本'), 'naïve ✓ 日本');
  });

  it('escapes every message on its way to the sink', () => {
    lines.length = 0;
    log.warn('first\nE1205 00:00:00.000000 1 ts-triton] forged');
    assert.deepEqual(lines, [{ level: 'warn', message: 'first\\nE1205 00:00:00.000000 1 ts-triton] forged' }]);
  });

  it('a model error message with CR/LF is logged on one line', async () => {
    const failing: InferFunc = () => {
      throw new Error('bad input\r\nI1205 12:00:00.000000 1 ts-triton] Started HTTPService at 0.0.0.0:9999');
    };
    const triton = new Triton({
      config: { httpPort: 0, httpAddress: '127.0.0.1', allowGrpc: false, allowMetrics: false },
    });
    triton.bind({
      modelName: 'failing',
      inferFunc: failing,
      inputs: [Tensor({ name: 'x', dtype: 'FP32', shape: [1] })],
      outputs: [Tensor({ name: 'y', dtype: 'FP32', shape: [1] })],
    });
    await triton.run();
    try {
      lines.length = 0;
      const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/failing/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [1] }] }),
      });
      assert.equal(response.status, 500);
      await response.text();
      const logged = lines.filter((line) => line.message.includes('bad input'));
      assert.ok(logged.length > 0, 'the failure is logged');
      for (const { message } of logged) {
        assert.doesNotMatch(message, /[\r\n]/);
        assert.ok(message.includes('bad input\\r\\nI1205 12:00:00.000000 1 ts-triton] Started'), message);
      }
    } finally {
      await triton.stop();
    }
  });
});
