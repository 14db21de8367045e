/** Resolves or rejects like `promise`, failing after `ms` (a timer that keeps the event loop alive meanwhile). */
export async function within<T>(promise: Promise<T>, ms = 5000, what = 'the operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `condition()` holds, checking it again every `everyMs`; fails after `ms`. For state the test
 * cannot hear change (a server's queue, a file another process writes); where the test owns the code that
 * changes it, a {@link Recorder} hears the change itself.
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'the condition',
  everyMs = 5,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Values recorded as they happen (by a model, a callback), and waits for the ones a test expects. */
export class Recorder<T> {
  readonly values: T[] = [];
  readonly #waiters = new Set<() => void>();

  /** Records `values` and wakes the waits they satisfy. */
  push(...values: T[]): void {
    this.values.push(...values);
    for (const wake of this.#waiters) wake();
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.values.length = 0;
  }

  /** Resolves with the values once `test` holds for them (at once if it already does); fails after `ms`. */
  until(test: (values: readonly T[]) => boolean, ms = 5000, what = 'the expected values'): Promise<readonly T[]> {
    if (test(this.values)) return Promise.resolve(this.values);
    let wake!: () => void;
    const reached = new Promise<readonly T[]>((resolve) => {
      wake = () => {
        if (!test(this.values)) return;
        this.#waiters.delete(wake);
        resolve(this.values);
      };
      this.#waiters.add(wake);
    });
    return within(reached, ms, what).finally(() => this.#waiters.delete(wake));
  }

  /** Resolves once `value` is recorded (`includes`). */
  includes(value: T, ms = 5000): Promise<readonly T[]> {
    return this.until((values) => values.includes(value), ms, `${String(value)} to be recorded`);
  }
}

/** Reads `read()` until `done` holds for what it read, and returns that; fails after `ms` (see {@link until}). */
export async function eventually<T>(
  read: () => T,
  done: (value: T) => boolean,
  ms = 5000,
  what = 'the expected value',
): Promise<T> {
  let value = read();
  await until(() => done((value = read())), ms, what);
  return value;
}
