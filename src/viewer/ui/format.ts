/**
 * How the page writes times, durations and ids, reads the search form's fields, and colours services. Pure.
 *
 * @module
 */

/** A duration in microseconds, to three significant figures: `850 µs`, `12.3 ms`, `1.25 s`. */
export function formatDuration(us: number): string {
  const abs = Math.abs(us);
  if (us === 0) return '0';
  if (abs < 1) return `${Math.round(us * 1000)} ns`;
  if (abs < 1000) return `${trim(us)} µs`;
  if (abs < 1_000_000) return `${trim(us / 1000)} ms`;
  if (abs < 60_000_000) return `${trim(us / 1_000_000)} s`;
  const minutes = Math.floor(abs / 60_000_000);
  return `${minutes} min ${Math.round((abs - minutes * 60_000_000) / 1_000_000)} s`;
}

function trim(n: number): string {
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  return String(Number(n.toFixed(digits)));
}

/** A time in microseconds since the epoch as local `HH:MM:SS.mmm`, with the date when it is not today. */
export function formatTime(us: number, now: Date = new Date()): string {
  const d = new Date(us / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** How long ago: `just now`, `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(us: number, nowMs: number = Date.now()): string {
  const s = Math.max(0, (nowMs - us / 1000) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The first digits of an id, as Jaeger UI shows them. */
export const shortId = (id: string): string => id.slice(0, 7);

/** Go's duration syntax, as `/api/traces` takes `minDuration`/`maxDuration`: `1.5ms`, `200us`, `2s`, `1m30s`. */
export const DURATION_PATTERN = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/** Microseconds of a Go duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!DURATION_PATTERN.test(t)) return undefined;
  const factor: Record<string, number> = { ns: 0.001, us: 1, µs: 1, ms: 1000, s: 1e6, m: 6e7, h: 3.6e9 };
  let us = 0;
  for (const [, n, , unit] of t.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) us += Number(n) * factor[unit!]!;
  return us;
}

/**
 * The search form's tags: `key=value` pairs separated by spaces (a value with spaces in double quotes), as in
 * Jaeger UI. Returns the pairs, or an error message naming the part that is not `key=value`.
 */
export function parseTags(text: string): { tags: [string, string][] } | { error: string } {
  const tags: [string, string][] = [];
  const re = /\s*([^\s=]+)=("((?:[^"\\]|\\.)*)"|(\S*))/y;
  let rest = text.trim();
  while (rest !== '') {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) return { error: `expected key=value, got "${rest.split(/\s+/)[0]}"` };
    tags.push([m[1]!, m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!]);
    rest = rest.slice(m[0].length).trim();
  }
  return { tags };
}

const PALETTE = [
  '#1c7ed6',
  '#f08c00',
  '#2f9e44',
  '#ae3ec9',
  '#0c8599',
  '#e8590c',
  '#5c7cfa',
  '#d6336c',
  '#66a80f',
  '#7048e8',
];

/** A service's colour: the same name always gets the same one. */
export function serviceColor(service: string): string {
  let h = 2166136261;
  for (let i = 0; i < service.length; i++) h = Math.imul(h ^ service.charCodeAt(i), 16777619);
  return PALETTE[(h >>> 0) % PALETTE.length]!;
}

/** Round, readable tick steps for a time axis spanning `rangeUs` with about `count` ticks. */
export function niceStep(rangeUs: number, count: number): number {
  const raw = rangeUs / Math.max(1, count);
  if (raw <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  // The round step (1, 2 or 5 × a power of ten) nearest the raw one, in ratio.
  const candidates = [1, 2, 5, 10].map((c) => c * pow);
  return candidates.reduce((best, c) => (Math.abs(Math.log(c / raw)) < Math.abs(Math.log(best / raw)) ? c : best));
}
