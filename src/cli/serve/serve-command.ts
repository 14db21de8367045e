/**
 * `ts-triton serve [<model-repository>] [options]`: tritonserver's command line for a ts-triton model repository.
 *
 * @module
 */

import { log } from '../../logger.ts';
import { Triton } from '../../triton.ts';
import { UsageError } from '../usage-error.ts';
import { environmentUnderFlags, parseServeArgs, serveUsage } from './serve-options.ts';

/**
 * Runs the server until SIGINT or SIGTERM (node as PID 1 in a container gets SIGTERM here), then drains and returns.
 * @throws {UsageError} for a wrong command line; the server's error when it cannot start.
 */
export async function runServe(args: readonly string[]): Promise<void> {
  const { config, help } = parseServeArgs(args);
  if (help) {
    process.stdout.write(serveUsage());
    return;
  }
  const { env, overridden } = environmentUnderFlags(config, process.env);
  if (config.modelRepository === undefined && !env.TS_TRITON_MODEL_REPOSITORY) {
    throw new UsageError('no model repository: give its folder (ts-triton serve <dir>) or --model-repository');
  }
  for (const variable of overridden) log.warn(`${variable}: the command line sets it`);
  await new Triton({ config, env }).serve();
}
