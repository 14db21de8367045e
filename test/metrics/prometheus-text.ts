/**
 * A small parser of the Prometheus text exposition format (0.0.4) for the metrics tests: HELP and TYPE
 * lines per family, and samples with their labels.
 */

/** One sample line: `name{label="value",...} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed scrape. */
export interface Exposition {
  /** HELP text per family, unescaped. */
  readonly help: ReadonlyMap<string, string>;
  /** TYPE per family. */
  readonly type: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const COMMENT = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

const unescape = (text: string): string => text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** A sample value; like Prometheus (Go's ParseFloat), NaN and Inf in any case. */
function parseValue(text: string): number {
  const special = text.toLowerCase();
  if (special === 'nan') return NaN;
  if (special === '+inf' || special === 'inf') return Infinity;
  if (special === '-inf') return -Infinity;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`bad sample value '${text}'`);
  return value;
}

function parseLabels(text: string | undefined, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`bad labels in '${line}'`);
    labels[match[1]!] = unescape(match[2]!);
    if (match[3] === '') break;
  }
  return labels;
}

/**
 * Parses a scrape; throws on a line that is neither a comment nor a sample.
 * @param text - the body of `GET /metrics`.
 */
export function parseExposition(text: string): Exposition {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = COMMENT.exec(line);
    if (comment) {
      if (comment[1] === 'HELP') help.set(comment[2]!, unescape(comment[3]!));
      else type.set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`unparsable line '${line}'`);
    samples.push({ name: sample[1]!, labels: parseLabels(sample[2], line), value: parseValue(sample[3]!) });
  }
  return { help, type, samples };
}

/** The samples of `name` whose labels include every entry of `labels`. */
export function samplesOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
}

/**
 * The value of the one sample of `name` with exactly `labels`.
 * @throws when there is no such sample or more than one.
 */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const wanted = Object.keys(labels).length;
  const found = samplesOf(exposition, name, labels).filter((s) => Object.keys(s.labels).length === wanted);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}
