/**
 * Another PostgreSQL session holding a lock open, as psql's `BEGIN; LOCK TABLE contacts IN SHARE
 * MODE;` left in a terminal does: for the tests of what waits for it.
 */
import type { PostgresDatabase } from "../../etl/db/mod.ts";

/**
 * Runs `BEGIN` and `lock` (a `LOCK TABLE ...` statement) on a session of `holder` and keeps the
 * transaction open; resolves once the lock is held, with the session's backend pid and `release()`,
 * which rolls it back (safe to call twice).
 *
 * @example
 * ```ts
 * const held = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE");
 * // ... a load waits for held.pid ...
 * held.release();
 * ```
 */
export function holdLock(holder: PostgresDatabase, lock: string): Promise<{ pid: number; release(): void }> {
  return new Promise((resolve, reject) => {
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    holder
      .session(async (s) => {
        await s.run("BEGIN");
        await s.run(lock);
        const pid = Number((await s.one<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
        resolve({ pid, release });
        await released;
        await s.run("ROLLBACK");
      })
      .catch(reject);
  });
}
