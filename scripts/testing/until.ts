import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waits for a state, never for a time: polls `done()` until it holds, and fails naming `what` after
 * a generous deadline (a loaded machine only makes the wait longer).
 *
 * @example
 * ```ts
 * await until("the first trim", () => engine.trims!.done === 1);
 * ```
 */
export async function until(what: string, done: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}
