/**
 * Another PostgreSQL session holding a lock open, as psql's `BEGIN; LOCK TABLE contacts IN SHARE
 * MODE;` left in a terminal does: for the tests of what waits for it.
 */
import type { PostgresDatabase } from "../../etl/db/mod.ts";

/**
 * Runs `BEGIN` and `lock` (a `LOCK TABLE ...` statement, or a `SELECT ... FOR UPDATE` with `params`)
 * on a session of `holder` and keeps the transaction open; resolves once the lock is held, with the
 * session's backend pid and `release()`, which rolls it back and resolves once it has (safe to call
 * twice). With `releaseAfterMs` it is released then at the latest, so that code waiting for the lock
 * with no bound of its own ends too.
 *
 * @example
 * ```ts
 * const held = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE");
 * // ... a load waits for held.pid ...
 * await held.release();
 * ```
 */
export function holdLock(
  holder: PostgresDatabase,
  lock: string,
  options: { params?: readonly unknown[]; releaseAfterMs?: number } = {},
): Promise<{ pid: number; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    let cap: NodeJS.Timeout | undefined;
    const ended: Promise<void> = holder.session(async (s) => {
      await s.run("BEGIN");
      await s.run(lock, options.params);
      const pid = Number((await s.one<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
      if (options.releaseAfterMs !== undefined) cap = setTimeout(release, options.releaseAfterMs);
      resolve({
        pid,
        release: () => {
          release();
          return ended;
        },
      });
      await released;
      clearTimeout(cap);
      await s.run("ROLLBACK");
    });
    ended.catch(reject);
  });
}
