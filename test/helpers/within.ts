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
