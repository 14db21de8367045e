/**
 * Reading the deployment files under deploy/: every YAML manifest (all documents), and the Dockerfile's
 * instructions per stage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const DEPLOY = 'deploy';

/** A manifest document, with the file it came from. */
export interface Manifest {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  /** Checked by the validators; read freely by the tests. */
  readonly spec?: any;
  readonly data?: Record<string, string>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every document of every YAML file under deploy/. @throws {Error} naming the file of a YAML error. */
export function loadManifests(): Manifest[] {
  return yamlFiles(DEPLOY).flatMap((path) => {
    const file = relative(DEPLOY, path);
    return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return { ...(doc.toJS() as object), file } as Manifest;
    });
  });
}

/** The one manifest of a kind and name. */
export function manifest(all: readonly Manifest[], kind: string, name: string): Manifest {
  const found = all.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} '${name}', found ${found.length}`);
  return found[0]!;
}

/** A Dockerfile instruction: its keyword and the rest of the line (continuations joined). */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** A build stage: its FROM line and instructions. */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Parses a Dockerfile into stages (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot read '${line}'`);
    const keyword = match[1]!.toUpperCase();
    const args = match[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile: cannot read FROM '${args}'`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`Dockerfile: ${keyword} before FROM`);
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** An instruction's JSON (exec form) argument list. @throws {Error} when it is in shell form. */
export function execForm(instruction: Instruction, prefix = ''): string[] {
  const text = instruction.args.slice(prefix.length).trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${instruction.keyword} ${instruction.args} is not in exec form (a JSON array)`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new Error(`${instruction.keyword} is not a JSON array of strings`);
  return value as string[];
}

/** The value of a `--flag=value` argument. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const prefix = `--${flag}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** The variables a stage's `ENV KEY=value ...` instructions set. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new Error(`ENV ${i.args}: use the KEY=value form`);
      env[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
  }
  return env;
}
