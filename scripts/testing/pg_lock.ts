/**
 * Another PostgreSQL session holding a lock open, as psql's `BEGIN; LOCK TABLE contacts IN SHARE
 * MODE;` left in a terminal does: for the tests of what waits for it. And another process's write
 * committed while ours waits for it: for the tests of writes racing each other.
 */
import { PostgresDatabase, type SqlRunner } from "../../etl/db/mod.ts";
import { until } from "./until.ts";

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

/**
 * Another process's write that commits while `work` waits for it: on a session of its own (at
 * `url`, application `other-writer`) runs `BEGIN` and `hold`, starts `work()`, waits until a
 * session of this database waits for a lock (pg_locks), runs `meanwhile` and commits; resolves with
 * what `work` came to. Rolled back if anything before the COMMIT fails.
 *
 * @example
 * ```ts
 * // A PUT that began before another process created its contact.
 * const res = await commitWhileWaiting(url, {
 *   hold: (s) => s.run("LOCK TABLE contacts IN EXCLUSIVE MODE"),
 *   meanwhile: (s) => s.run("INSERT INTO contacts ..."),
 * }, () => raw(server.url, { method: "PUT", path: "/contacts/7", ... }));
 * ```
 */
export async function commitWhileWaiting<T>(
  url: string,
  steps: { hold: (s: SqlRunner) => Promise<unknown>; meanwhile?: (s: SqlRunner) => Promise<unknown> },
  work: () => Promise<T>,
): Promise<T> {
  const holder = await PostgresDatabase.connect(url, { max: 1, applicationName: "other-writer" });
  const watcher = await PostgresDatabase.connect(url, { max: 1 });
  try {
    const pending = await holder.session(async (s) => {
      await s.run("BEGIN");
      try {
        await steps.hold(s);
        const pending = work();
        pending.catch(() => {});
        await until("a session waiting for the other write's lock", async () => (await waitingForLocks(watcher)) > 0);
        await steps.meanwhile?.(s);
        await s.run("COMMIT");
        return { pending };
      } catch (error) {
        await s.run("ROLLBACK").catch(() => {});
        throw error;
      }
    });
    return await pending.pending;
  } finally {
    await holder.close();
    await watcher.close();
  }
}

/**
 * How many locks sessions of `watcher`'s database are waiting for (this database's only: other test
 * files wait for locks of their own meanwhile).
 */
export async function waitingForLocks(watcher: SqlRunner): Promise<number> {
  const row = await watcher.one<{ n: number }>(`SELECT count(*)::integer AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE NOT l.granted AND a.datname = current_database()`);
  return Number(row!.n);
}
