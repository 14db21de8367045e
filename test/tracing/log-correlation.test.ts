/**
 * Log lines and traces: the `json` log format beside Triton's `default` and `ISO8601`, `logFormat` /
 * `TS_TRITON_LOG_FORMAT` and the logging API, and the trace and span ids that lines written inside a traced
 * span carry (checked against the spans the collector received).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InferFunc, log, ModelConfig, Tensor, Triton } from '../../src/index.ts';
import {
  formatLogLine,
  type LogSink,
  type LogTraceContext,
  logSettings,
  setLogFormat,
  setLogSink,
} from '../../src/logger.ts';
import { findSpan, startOtlpReceiver } from '../fixtures/otlp-receiver.ts';
import { otlpTraceConfig } from '../helpers/server.ts';

const TRACE = { traceId: '0af7651916cd43dd8448eb211c12666c', spanId: 'b7ad6b7169242424' };
const AT = new Date('2026-12-05T21:30:15.250Z');

describe('log line formats', () => {
  after(() => setLogFormat('default'));

  it('json: one object per line with time, level, pid and message, and the ids inside a traced span', () => {
    setLogFormat('json');
    assert.deepEqual(JSON.parse(formatLogLine('warn', 'a "quoted"\nline', undefined, AT)), {
      time: '2026-12-05T21:30:15.250Z',
      level: 'WARNING',
      pid: process.pid,
      message: 'a "quoted"\nline',
    });
    const traced = JSON.parse(formatLogLine('info', 'hello', TRACE, AT));
    assert.equal(traced.level, 'INFO');
    assert.equal(traced.trace_id, TRACE.traceId);
    assert.equal(traced.span_id, TRACE.spanId);
  });

  it("Triton's formats keep their prefix and end with trace_id=… span_id=… inside a traced span", () => {
    setLogFormat('ISO8601');
    assert.equal(formatLogLine('error', 'boom', undefined, AT), '2026-12-05T21:30:15Z E ts-triton] boom');
    assert.equal(
      formatLogLine('error', 'boom', TRACE, AT),
      `2026-12-05T21:30:15Z E ts-triton] boom trace_id=${TRACE.traceId} span_id=${TRACE.spanId}`,
    );
    setLogFormat('default');
    assert.match(
      formatLogLine('info', 'x', TRACE, AT),
      new RegExp(
        `^I1205 \\d\\d:30:15\\.250000 ${process.pid} ts-triton\\] x trace_id=${TRACE.traceId} span_id=${TRACE.spanId}$`,
      ),
    );
  });
});

describe('logFormat setting', () => {
  after(() => setLogFormat('default'));

  it('TS_TRITON_LOG_FORMAT=json sets the format at run(); the logging API reads and changes it', async () => {
    const triton = new Triton({
      env: { TS_TRITON_LOG_FORMAT: 'json' },
      config: { httpPort: 0, allowGrpc: false, allowMetrics: false },
    });
    await triton.run();
    try {
      assert.equal(logSettings().format, 'json');
      const base = `http://127.0.0.1:${triton.httpPort}/v2/logging`;
      const format = async (response: Promise<Response>) =>
        ((await (await response).json()) as { log_format: string }).log_format;
      assert.equal(await format(fetch(base)), 'json');
      assert.equal(
        await format(fetch(base, { method: 'POST', body: JSON.stringify({ log_format: 'ISO8601' }) })),
        'ISO8601',
      );
      assert.equal(await format(fetch(base, { method: 'POST', body: JSON.stringify({ log_format: 'json' }) })), 'json');
    } finally {
      await triton.stop();
    }
  });

  it('refuses another format, naming the field and the variable', async () => {
    await assert.rejects(
      new Triton({ config: { logFormat: 'xml' as 'json' } }).run(),
      /TritonConfig\.logFormat must be one of default, ISO8601, json; got "xml"/,
    );
    await assert.rejects(
      new Triton({ env: { TS_TRITON_LOG_FORMAT: 'yaml' } }).run(),
      /TritonConfig\.logFormat \(from TS_TRITON_LOG_FORMAT\) must be one of default, ISO8601, json/,
    );
  });
});

describe('trace ids in log lines', () => {
  let lines: { message: string; trace?: LogTraceContext }[];
  let previous: LogSink;
  before(() => {
    lines = [];
    previous = setLogSink((_level, message, trace) => lines.push({ message, ...(trace && { trace }) }));
  });
  after(() => setLogSink(previous));

  it('a line written inside request.tracedSpan carries that span ids; a line outside any span carries none', async () => {
    const receiver = await startOtlpReceiver();
    const inferFunc: InferFunc = (requests) =>
      requests.map((request) => {
        log.info('model: before the span');
        request.tracedSpan('work', () => log.info('model: inside the span'));
        return { OUTPUT0: request.data.INPUT0! };
      });
    const triton = new Triton({
      env: {},
      config: {
        httpPort: 0,
        allowGrpc: false,
        allowMetrics: false,
        traceConfig: ['level=TIMESTAMPS', ...otlpTraceConfig(receiver.url)],
      },
    });
    triton.bind({
      modelName: 'simple',
      inferFunc,
      inputs: [Tensor({ name: 'INPUT0', dtype: 'INT32', shape: [1] })],
      outputs: [Tensor({ name: 'OUTPUT0', dtype: 'INT32', shape: [1] })],
      config: ModelConfig({ maxBatchSize: 0 }),
    });
    await triton.run();
    try {
      const response = await fetch(`http://127.0.0.1:${triton.httpPort}/v2/models/simple/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1], data: [5] }] }),
      });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
      const spans = await receiver.waitForSpans(5);
      const work = findSpan(spans, 'work');
      const inside = lines.find((line) => line.message === 'model: inside the span');
      const outside = lines.find((line) => line.message === 'model: before the span');
      assert.deepEqual(inside?.trace, { traceId: work.traceId, spanId: work.spanId });
      assert.ok(outside, 'the line outside the span was written');
      assert.equal(outside.trace, undefined);
      assert.equal(findSpan(spans, 'InferRequest').traceId, work.traceId);
    } finally {
      await triton.stop();
      await receiver.close();
    }
  });
});
