/**
 * `promise`, or a rejection naming `what` once `ms` have passed without it settling: a guard
 * against waiting for good (a hang is the defect these tests look for), never a timing, so `ms`
 * is generous. The timer is cleared either way, so it keeps no test process alive.
 *
 * @example
 * ```ts
 * const rows = await within(5_000, "a statement on the pool", pg.all("SELECT 1"));
 * ```
 */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what}: still pending after ${ms} ms`), { code: STILL_PENDING })), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * What `promise` came to within `ms`: `{ value }` or `{ error }`, for a test that expects a failure
 * and asserts on it. Still pending then, it rejects as `within` does: a hang is never taken for a
 * failure (the idiom it replaces had to remember to rethrow `isStillPending` errors).
 *
 * @example
 * ```ts
 * const outcome = await settledWithin(20_000, "the start-up", starting);
 * assert.ok("error" in outcome, "it started");
 * ```
 */
export function settledWithin<T>(ms: number, what: string, promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return within(ms, what, promise).then(
    (value) => ({ value }),
    (error: unknown) => {
      if (isStillPending(error)) throw error;
      return { error };
    },
  );
}

/** The `code` of `within`'s rejection. */
export const STILL_PENDING = "STILL_PENDING";

/** Whether `error` is `within`'s: the promise never settled, rather than failed. */
export function isStillPending(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === STILL_PENDING;
}
