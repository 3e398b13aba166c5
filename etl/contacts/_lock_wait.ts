/**
 * A PostgreSQL load's write transaction waiting for a lock another session holds (a `LOCK TABLE
 * contacts IN SHARE MODE` left open in psql, a long report holding a conflicting lock): without a
 * bound it waited silently for ever. While it waits, the blocking sessions are looked up
 * (`pg_blocking_pids`, `pg_stat_activity`) and named in a progress line; when `lock_timeout` gives up,
 * the error names them too, so the operator knows whom to ask (or which pid to terminate).
 */
import { postgresErrorOf, type PostgresDatabase, type SqlRunner } from "../db/mod.ts";
import { terminalText } from "../text/mod.js";

/** Where progress lines go unless the caller takes them. */
function sayOnStderr(line: string): void {
  process.stderr.write(`${terminalText(line)}\n`);
}

/** How long a load's transaction waits for one lock before it gives up, by default (5 minutes). */
export const LOAD_LOCK_WAIT_MS = 5 * 60_000;

/**
 * The longest one statement of a load, or of the migrations, may run (PostgreSQL's statement_timeout
 * for their session; the client gives up CLIENT_GRACE_MS later). Both lift the API's 30 s: the insert
 * of a 3M-row file's contacts took minutes, and a migration may build an index on every row. Without
 * any bound, a server that froze or was cut off while it held such a statement (TCP then retransmits
 * for ~15 min, or for ever to a stopped process that still acknowledges) left `npm run etl`, the
 * API's daily load, and `npm start` at its migrations, waiting for good.
 */
export const LOAD_STATEMENT_TIMEOUT_MS = 30 * 60_000;

/**
 * How long a load's or the migrations' transaction may sit idle between its statements (PostgreSQL's
 * idle_in_transaction_session_timeout): they send their next statement within milliseconds, so a
 * transaction idle this long is one its client gave up on, whose locks would otherwise hold the
 * contacts' writers (and, for the migrations, every other process's start-up) until the connection
 * closed.
 */
export const LOAD_IDLE_IN_TRANSACTION_MS = 5 * 60_000;

/** A session holding a lock the load waits for, as pg_stat_activity shows it (nulls: not visible to our role). */
export interface LockHolder {
  pid: number;
  application_name: string | null;
  usename: string | null;
  client_addr: string | null;
  state: string | null;
  state_change: string | null;
  xact_start: string | null;
  /** The relation and lock mode the load is waiting for. */
  relation: string | null;
  mode: string | null;
}

/**
 * The load gave up waiting for a lock (PostgreSQL's lock_timeout, SQLSTATE 55P03). `holders` are the
 * sessions last seen blocking it (empty when it gave up before they could be looked up).
 */
export class ContactsLockTimeoutError extends Error {
  override readonly name = "ContactsLockTimeoutError";
  readonly code = "database-locked";
  constructor(
    message: string,
    readonly holders: LockHolder[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const BLOCKERS = `
  SELECT a.pid, a.application_name, a.usename, a.client_addr::text AS client_addr, a.state,
         to_char(a.state_change AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS state_change,
         to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS xact_start,
         w.relation, w.mode
    FROM pg_stat_activity a
    LEFT JOIN LATERAL (SELECT l.relation::regclass::text AS relation, l.mode FROM pg_locks l WHERE l.pid = $1 AND NOT l.granted LIMIT 1) w ON true
   WHERE a.pid = ANY(pg_blocking_pids($1))
   ORDER BY a.pid`;

/**
 * Describes the sessions blocking a load, for a person: pid, application, user, state and since when.
 * The query text is left out: it may hold personal data, and the pid is enough to find it.
 *
 * @example
 * ```ts
 * describeHolders([{ pid: 42, application_name: "psql", state: "idle in transaction", ... }]);
 * // "'contacts' (RowExclusiveLock) held by PostgreSQL session pid 42 (application 'psql', user 'ana', state 'idle in transaction' since 2026-12-01T21:14:03Z, transaction open since 2026-12-01T21:14:01Z)"
 * ```
 */
export function describeHolders(holders: readonly LockHolder[]): string {
  if (holders.length === 0) return "a lock held by another PostgreSQL session (it could not be looked up)";
  const first = holders[0];
  const what = first.relation === null ? "a lock" : `a lock on '${first.relation}'${first.mode === null ? "" : ` (${first.mode})`}`;
  const sessions = holders.map((h) => {
    const parts = [
      `application '${h.application_name ?? "?"}'`,
      h.usename === null ? null : `user '${h.usename}'`,
      h.client_addr === null ? null : `from ${h.client_addr}`,
      h.state === null ? null : `state '${h.state}'${h.state_change === null ? "" : ` since ${h.state_change}`}`,
      h.xact_start === null ? null : `transaction open since ${h.xact_start}`,
    ].filter((p) => p !== null);
    return `pid ${h.pid} (${parts.join(", ")})`;
  });
  return `${what} held by PostgreSQL session${holders.length === 1 ? "" : "s"} ${sessions.join(" and ")}`;
}

/** Options of `watchLockWait`. */
export interface LockWatchOptions {
  /** Who waits, as the lines start (default "Contacts load"). */
  who?: string;
  /** The bound the transaction has (its lock_timeout), said in the lines. */
  waitMs: number;
  /** How often a progress line is said while the load waits (default 10 s; the first after one interval). */
  progressMs?: number;
  /** How often the blockers are looked up (default 1 s, or progressMs when smaller). */
  pollMs?: number;
  /** Receives the progress lines (default: stderr, made safe for a terminal). */
  onLine?: (line: string) => void;
}

/**
 * Watches backend `pid` (the load's session) from another pooled connection and says, every
 * `progressMs` while it is blocked, who blocks it. Returns `stop()` and the holders last seen.
 *
 * @example
 * ```ts
 * const watch = watchLockWait(pg, pid, { waitMs: LOAD_LOCK_WAIT_MS, onLine: console.error });
 * try { ... } finally { watch.stop(); }
 * ```
 */
export function watchLockWait(pg: PostgresDatabase, pid: number, options: LockWatchOptions): { stop(): void; holders(): LockHolder[] } {
  const progressMs = options.progressMs ?? 10_000;
  const pollMs = Math.min(options.pollMs ?? 1000, progressMs);
  let last: LockHolder[] = [];
  let since: number | undefined;
  let said = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    try {
      const rows = await pg.all<LockHolder>(BLOCKERS, [pid]);
      if (stopped) return;
      if (rows.length === 0) {
        since = undefined;
        said = 0;
      } else {
        last = rows.map((r) => ({ ...r, pid: Number(r.pid) }));
        since ??= performance.now() - pollMs;
        const waited = performance.now() - since;
        if (waited >= progressMs * (said + 1)) {
          said++;
          (options.onLine ?? sayOnStderr)(
            `${options.who ?? "Contacts load"}: waiting ${Math.round(waited / 1000)} s for ${describeHolders(last)}; giving up after ${Math.round(options.waitMs / 1000)} s`,
          );
        }
      }
    } catch {
      // A lookup that fails (the pool busy, our role not allowed) only costs the progress line.
    }
    if (!stopped) timer = setTimeout(poll, pollMs);
  };
  timer = setTimeout(poll, pollMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
    holders: () => last,
  };
}

/** Options of `boundLockWaits`: the watch's, and what the failure says. */
export interface LockBoundOptions extends LockWatchOptions {
  /** The step that gives up, for the message ("The contacts load"). */
  subject: string;
  /** What giving up leaves ("nothing was loaded"). */
  outcome: string;
  /** What to do once the holder has ended ("load again"); undefined when nothing is to be done again. */
  retry: string | undefined;
}

/**
 * Runs `fn`, whose statements run on `runner` (a session or transaction of `pg` whose lock_timeout
 * the caller set to `options.waitMs`), watching its lock waits (`watchLockWait`), and returns what
 * it returns; `fn` gets the runner's backend pid, read once for the watch. PostgreSQL giving up a lock wait (55P03) becomes ContactsLockTimeoutError naming the
 * holders, so every step that waits for another session's lock says the same lines and fails the same way.
 *
 * @example
 * ```ts
 * await tx.run(`SET LOCAL lock_timeout = ${waitMs}`);
 * await boundLockWaits(pg, tx, { waitMs, onLine: console.error, subject: "The contacts migrations", outcome: "none was applied", retry: "start again" }, () => apply(tx));
 * ```
 */
export async function boundLockWaits<T>(pg: PostgresDatabase, runner: SqlRunner, options: LockBoundOptions, fn: (pid: number) => Promise<T>): Promise<T> {
  const pid = Number((await runner.one<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
  const watch = watchLockWait(pg, pid, options);
  try {
    return await fn(pid);
  } catch (error) {
    if (postgresErrorOf(error)?.code !== "55P03") throw error;
    const holders = watch.holders();
    throw new ContactsLockTimeoutError(
      `${options.subject} gave up after waiting ${Math.round(options.waitMs / 1000)} s for ${describeHolders(holders)}; ${options.outcome}.` +
        (options.retry === undefined ? "" : ` End that transaction (or SELECT pg_terminate_backend(pid)) and ${options.retry}.`),
      holders,
      { cause: error },
    );
  } finally {
    watch.stop();
  }
}
