/**
 * The console report, in perf_analyzer's layout (times in whole µs).
 *
 * @module
 */

import type { ServerSummary } from './server-stats.ts';
import { levelOf, type PerfPoint, type PerfRun } from './perf-result.ts';
import type { ClientSummary } from './window.ts';

const us = (value: number): string => (Number.isFinite(value) ? String(Math.round(value)) : 'n/a');
const rate = (value: number): string => value.toFixed(2);

function settings(run: Omit<PerfRun, 'points'>): string[] {
  return [
    '*** Measurement Settings ***',
    `  Batch size: ${run.batchSize}`,
    `  Server: ${run.url} (${run.protocol}), model ${run.model}${run.modelVersion ? ` version ${run.modelVersion}` : ''}`,
    '  Using "time_windows" mode for stabilization',
    `  Measurement window: ${run.measurementIntervalMs} msec`,
    '  Stabilizing using average latency',
    '',
  ];
}

function heading(run: Pick<PerfRun, 'mode'>, point: PerfPoint): string {
  return run.mode === 'concurrency'
    ? `Request concurrency: ${levelOf(point)}`
    : `Request Rate: ${levelOf(point)} inference requests per seconds`;
}

function clientLines(c: ClientSummary): string[] {
  return [
    '  Client:',
    `    Request count: ${c.requestCount}`,
    `    Throughput: ${rate(c.throughput)} infer/sec`,
    `    Avg latency: ${us(c.avgLatencyUs)} usec (standard deviation ${us(c.stdLatencyUs)} usec)`,
    `    p50 latency: ${us(c.p50Us)} usec`,
    `    p90 latency: ${us(c.p90Us)} usec`,
    `    p95 latency: ${us(c.p95Us)} usec`,
    `    p99 latency: ${us(c.p99Us)} usec`,
  ];
}

function serverLines(s: ServerSummary | undefined): string[] {
  if (!s) return ['  Server: (no statistics; use an HTTP URL or --stats-url)'];
  return [
    '  Server:',
    `    Inference count: ${s.inferenceCount}`,
    `    Execution count: ${s.executionCount}`,
    `    Successful request count: ${s.successCount}`,
    `    Avg request latency: ${us(s.avgRequestUs)} usec (overhead ${us(s.avgOverheadUs)} usec + queue ${us(s.avgQueueUs)}` +
      ` usec + compute input ${us(s.avgComputeInputUs)} usec + compute infer ${us(s.avgComputeInferUs)}` +
      ` usec + compute output ${us(s.avgComputeOutputUs)} usec)`,
  ];
}

function summaryLine(run: PerfRun, point: PerfPoint): string {
  const label = run.mode === 'concurrency' ? 'Concurrency' : 'Request Rate';
  return `${label}: ${levelOf(point)}, throughput: ${rate(point.client.throughput)} infer/sec, latency ${us(point.client.avgLatencyUs)} usec`;
}

/**
 * Formats the report of one level (printed as soon as it is measured).
 * @returns lines ending with a newline.
 */
export function formatPoint(run: Pick<PerfRun, 'mode'>, point: PerfPoint): string {
  const lines = [heading(run, point), ...clientLines(point.client), ...serverLines(point.server)];
  if (!point.stable) lines.push(`  (not stable after ${point.trials} windows; the last 3 are reported)`);
  return `${lines.join('\n')}\n\n`;
}

/** Formats the settings block printed before the first level. */
export function formatSettings(run: Omit<PerfRun, 'points'>): string {
  return `${settings(run).join('\n')}\n`;
}

/** Formats the closing summary: one line per level. */
export function formatSummary(run: PerfRun): string {
  const lines = ['Inferences/Second vs. Client Average Batch Latency', ...run.points.map((p) => summaryLine(run, p))];
  return `${lines.join('\n')}\n`;
}
