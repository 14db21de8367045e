/**
 * perf_analyzer's CSV (`-f`): rows by ascending throughput, times in µs, its column order for the columns
 * measured here. Client send/recv times are not measured (their columns are left out and included in
 * "Network+Server Send/Recv"); the server columns are left out when there are no server statistics.
 *
 * @module
 */

import { levelOf, type PerfPoint, type PerfRun } from './perf-result.ts';

const PERCENTILE_COLUMNS = ['p50 latency', 'p90 latency', 'p95 latency', 'p99 latency'];
const SERVER_COLUMNS = [
  'Network+Server Send/Recv',
  'Server Queue',
  'Server Compute Input',
  'Server Compute Infer',
  'Server Compute Output',
];

const us = (value: number): string => (Number.isFinite(value) ? String(Math.round(value)) : '');

/** Whether every point has server statistics. */
function hasServer(run: PerfRun): boolean {
  return run.points.length > 0 && run.points.every((p) => p.server !== undefined);
}

/** The CSV header of a run. */
export function csvHeader(run: PerfRun): string[] {
  const level = run.mode === 'concurrency' ? 'Concurrency' : 'Request Rate';
  return [level, 'Inferences/Second', ...(hasServer(run) ? SERVER_COLUMNS : []), ...PERCENTILE_COLUMNS];
}

function serverCells(point: PerfPoint): string[] {
  const s = point.server!;
  const compute = s.avgQueueUs + s.avgComputeInputUs + s.avgComputeInferUs + s.avgComputeOutputUs;
  const network = Math.max(0, point.client.avgLatencyUs - compute);
  return [network, s.avgQueueUs, s.avgComputeInputUs, s.avgComputeInferUs, s.avgComputeOutputUs].map(us);
}

function row(point: PerfPoint, server: boolean): string[] {
  const c = point.client;
  return [
    String(levelOf(point)),
    String(Number(c.throughput.toFixed(2))),
    ...(server ? serverCells(point) : []),
    ...[c.p50Us, c.p90Us, c.p95Us, c.p99Us].map(us),
  ];
}

/** The whole CSV text (header and one row per level, by ascending throughput). */
export function formatCsv(run: PerfRun): string {
  const server = hasServer(run);
  const rows = [...run.points].sort((a, b) => a.client.throughput - b.client.throughput).map((p) => row(p, server));
  return [csvHeader(run), ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
