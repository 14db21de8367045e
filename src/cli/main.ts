#!/usr/bin/env node
/**
 * The `ts-triton` command line: `ts-triton serve <model-repository> [options]`, `ts-triton perf -m <model>
 * [options]`, `ts-triton viewer [options]`. Exit status 0 on success, 1 on a runtime error (server unreachable,
 * unknown model, failed request, a server that cannot start), 2 on a wrong command line.
 *
 * @module
 */

import { runPerf } from './perf/perf-command.ts';
import { runServe } from './serve/serve-command.ts';
import { UsageError } from './usage-error.ts';
import { runViewer } from './viewer-command.ts';

const COMMANDS: Readonly<Record<string, (args: readonly string[]) => Promise<void>>> = {
  perf: runPerf,
  serve: runServe,
  viewer: runViewer,
};

const USAGE = `Usage: ts-triton <command> [options]

Commands:
  perf    measure a model's throughput and latency (perf_analyzer-style); ts-triton perf --help
  serve   serve a model repository folder (tritonserver-style); ts-triton serve --help
  viewer  receive, keep and show traces (OTLP receivers and a trace viewer); ts-triton viewer --help
`;

/**
 * Runs the command named by the first argument.
 * @returns the exit status.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ts-triton: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    await command(args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ts-triton ${name}: ${error.message}\nRun 'ts-triton ${name} --help' for the options.\n`);
      return 2;
    }
    process.stderr.write(`ts-triton ${name}: error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
