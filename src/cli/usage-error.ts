/**
 * The error a command throws for a wrong command line (the CLI exits with status 2 and prints usage hints).
 *
 * @module
 */

/** A wrong command line: unknown option, missing or invalid value. */
export class UsageError extends Error {
  /** @param message - what is wrong, naming the option. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
