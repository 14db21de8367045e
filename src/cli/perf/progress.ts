/**
 * Live progress on stderr: one line rewritten in place, only when stderr is a terminal.
 *
 * @module
 */

import type { TrialReport } from './profiler.ts';

/** Reports progress of the windows of one level. */
export interface Progress {
  /** Shows the window just measured. */
  trial(label: string, report: TrialReport, maxTrials: number): void;
  /** Clears the line. */
  done(): void;
}

const SILENT: Progress = { trial: () => {}, done: () => {} };

/** A progress line on `stream` when it is a TTY, else nothing. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  return {
    trial(label, { trial, throughput, avgLatencyUs }, maxTrials) {
      const latency = Number.isFinite(avgLatencyUs) ? `${Math.round(avgLatencyUs)} usec` : 'no requests';
      stream.write(`\r\x1b[K${label}: window ${trial}/${maxTrials}, ${throughput.toFixed(2)} infer/sec, ${latency}`);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
