/**
 * Trace files are written off the request path: a request only queues its trace, an asynchronous writer writes
 * the queue (appends batched, indexed files at once), `close()` writes everything, and a failing write is logged
 * once and counted without failing any request.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { type LogLevel, setLogSink } from '../../src/logger.ts';
import { TraceFile } from '../../src/tracing/trace-file.ts';
import { within } from '../helpers/within.ts';
import { infer, readTraceFile, startServer, stopServer, type TracedServer, tracesInFile } from './trace-helpers.ts';

let server: TracedServer | undefined;
let watchdog: ChildProcess | undefined;
let tmp: string | undefined;
let fifo: string | undefined;
afterEach(async () => {
  watchdog?.kill();
  watchdog = undefined;
  // A test that failed before reading its FIFO: open it for a moment so that a write blocked on it ends.
  if (fifo) fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  fifo = undefined;
  await stopServer(server);
  server = undefined;
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

function tempDir(): string {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-triton-trace-writer-'));
  return tmp;
}

/** Collects log lines while `fn` runs. */
async function capturingLogs<T>(fn: (lines: [LogLevel, string][]) => Promise<T>): Promise<T> {
  const lines: [LogLevel, string][] = [];
  const previous = setLogSink((level, message) => lines.push([level, message]));
  try {
    return await fn(lines);
  } finally {
    setLogSink(previous);
  }
}

describe('trace file writer', () => {
  it(
    'answers requests while the trace file cannot be written (a FIFO nobody reads)',
    { skip: process.platform === 'win32' },
    async () => {
      // log-frequency 1: every request's trace is a file of its own, the first one `<file>.0`. Made a FIFO with no
      // reader, opening it blocks until a reader comes: a synchronous write would block the whole server. A watchdog
      // process becomes that reader after 10 s (and leaves a marker), so that a blocked server is seen as a failure
      // rather than a hang.
      server = await startServer(['triton,file={file}', 'triton,log-frequency=1', 'level=TIMESTAMPS', 'rate=1']);
      const s = server;
      fifo = `${s.file}.0`;
      const marker = path.join(s.dir, 'watchdog-fired');
      execFileSync('mkfifo', [fifo]);
      watchdog = spawn(process.execPath, [
        '-e',
        `setTimeout(() => { const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(marker)}, ''); fs.readFileSync(${JSON.stringify(fifo)}); }, 10000);`,
      ]);

      await infer(s, 1);
      await infer(s, 5);
      assert.equal(fs.existsSync(marker), false, 'the requests were answered while the trace file write was blocked');

      // Now read the FIFO: the writer goes on, in order.
      const text = await within(fs.promises.readFile(fifo, 'utf8'), 5000, 'reading the FIFO');
      fifo = undefined;
      watchdog.kill();
      assert.equal(JSON.parse(text).filter((o: { model_name?: string }) => o.model_name === 'simple').length, 1);
      await s.triton.stop();
      for (let i = 1; i <= 5; i++) assert.equal(tracesInFile(`${s.file}.${i}`), 1, `${s.file}.${i}`);
    },
  );

  it('logs a failing write once, counts every one, and fails no request', async () => {
    server = await startServer(['triton,file={file}', 'triton,log-frequency=1', 'level=TIMESTAMPS', 'rate=1'], {
      fileName: 'missing-dir/trace.log',
    });
    const s = server;
    await capturingLogs(async (lines) => {
      await infer(s, 5);
      await s.triton.tracing!.traceFile!.flush();
      await s.triton.stop();
      assert.equal(s.triton.tracing!.traceFile!.failedWrites, 5);
      const errors = lines.filter(([level, message]) => level === 'error' && message.includes('trace file'));
      assert.equal(errors.length, 1, JSON.stringify(lines));
      assert.match(
        errors[0]![1],
        /^cannot write trace file .*missing-dir\/trace\.log\.0: ENOENT.*\(further failures are only counted\)$/,
      );
    });
  });

  it('writes every trace collected before stop(), appends batched into one array', async () => {
    server = await startServer(['triton,file={file}', 'level=TIMESTAMPS', 'rate=1']);
    const s = server;
    await infer(s, 50);
    await s.triton.stop();
    assert.equal(tracesInFile(s.file), 50);
  });

  it('keeps the plain file one JSON array across batches and flushes', async () => {
    const file = new TraceFile(path.join(tempDir(), 'trace.log'));
    file.append([{ id: 1 }, { id: 1, x: 'a' }]);
    await file.flush();
    file.append([{ id: 2 }]);
    file.append([]);
    file.append([{ id: 3 }]);
    await file.close();
    assert.deepEqual(readTraceFile(file.path), [{ id: 1 }, { id: 1, x: 'a' }, { id: 2 }, { id: 3 }]);
    assert.equal(file.failedWrites, 0);
  });

  it('writes indexed files in order, each a complete array', async () => {
    const file = new TraceFile(path.join(tempDir(), 'trace.log'));
    for (let i = 0; i < 3; i++) file.writeIndexed([{ id: i }]);
    await file.close();
    for (let i = 0; i < 3; i++) assert.deepEqual(readTraceFile(`${file.path}.${i}`), [{ id: i }]);
  });

  it('drops traces past its queue bound, logging once and counting each', async () => {
    const file = new TraceFile(path.join(tempDir(), 'trace.log'), { maxPendingBytes: 64 });
    await capturingLogs(async (lines) => {
      file.append([{ id: 1, text: 'x'.repeat(30) }]);
      file.append([{ id: 2, text: 'x'.repeat(30) }]);
      file.append([{ id: 3, text: 'x'.repeat(30) }]);
      await file.close();
      assert.equal(file.droppedTraces, 2);
      assert.equal(lines.filter(([level]) => level === 'error').length, 1);
    });
    assert.deepEqual(readTraceFile(file.path), [{ id: 1, text: 'x'.repeat(30) }]);
  });
});
