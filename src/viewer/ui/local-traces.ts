/**
 * Traces opened from files: kept in the page (and in sessionStorage, so a reload keeps them while the tab lives),
 * shown at `/trace/<id>?file=1` like stored ones.
 *
 * @module
 */

import { fromOtlp, parseTraceFile, type Trace, toOtlp } from './model.ts';

const KEY = 'ts-triton-viewer-files';
const opened = new Map<string, Trace>();

function restore(): void {
  try {
    const saved = sessionStorage.getItem(KEY);
    if (saved) for (const t of fromOtlp(JSON.parse(saved))) opened.set(t.traceId, t);
  } catch {
    // storage unavailable or stale: the file can be opened again
  }
}

function save(): void {
  try {
    const all = [...opened.values()].flatMap((t) => toOtlp(t).resourceSpans);
    sessionStorage.setItem(KEY, JSON.stringify({ resourceSpans: all }));
  } catch {
    // too large for sessionStorage: kept in the page only
  }
}

restore();

/** Reads a file's traces and keeps them; throws with the reason when the file is not a trace file. */
export async function openFile(file: File): Promise<Trace[]> {
  let traces: Trace[];
  try {
    traces = parseTraceFile(await file.text());
  } catch (error) {
    throw new Error(`${file.name}: ${(error as Error).message}`);
  }
  if (traces.length === 0) throw new Error(`${file.name}: no spans in the file`);
  for (const t of traces) opened.set(t.traceId, t);
  save();
  return traces;
}

/** A trace opened from a file, if any. */
export function openedTrace(traceId: string): Trace | undefined {
  return opened.get(traceId);
}

/** Every trace opened from files, newest first. */
export function openedTraces(): Trace[] {
  return [...opened.values()].sort((a, b) => b.startUs - a.startUs);
}
