/**
 * The one module that touches the PostgreSQL client (`postgres`, porsager/postgres). It is loaded
 * with a dynamic import only when a DATABASE_URL is given, so the embedded DuckDB default needs
 * nothing of it. Same small vocabulary as the DuckDB `Database`: `run`, `all`, `one`, `transaction`,
 * plus what a server offers: a pool, `COPY ... FROM STDIN`, `LISTEN`, advisory locks via SQL.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { QueryOptions, Row, SqlRunner } from "./sql_runner.ts";
import { guardPostgresClient, patchPostgresClient, settlePostgresTypesQuery } from "./_postgres_client_guards.ts";

type PostgresSql = import("postgres").Sql<Record<string, never>>;
type PostgresTx = import("postgres").TransactionSql<Record<string, never>>;
type Reserved = import("postgres").ReservedSql<Record<string, never>>;
type Unsafe = Pick<PostgresSql, "unsafe">;

/** How to connect. */
export interface PostgresOptions {
  /** Pool size (default 10): concurrent statements this process may run. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** PostgreSQL's lock_timeout and statement_timeout for this pool's sessions, in ms (default: the server's). */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Seconds a pooled connection may sit idle before it is closed (default POSTGRES_IDLE_TIMEOUT_S). */
  idleTimeoutS?: number;
}

/**
 * A pooled connection idle this long is closed. Without it a burst left every API process holding
 * its 16 connections for good, and on a server with the default 100 (or a provider's smaller
 * limit) analysts and `npm run etl` were refused ("too many clients") until an API restarted.
 */
export const POSTGRES_IDLE_TIMEOUT_S = 10;

/**
 * How much longer than its statement_timeout the client waits for a statement of a pool that sets
 * one (the API's) before it gives up on it (`QUERY_TIMEOUT`, an unavailable database: a 503). The
 * server's timeout needs a server that answers: a frozen one, or one cut off by a network partition
 * (TCP retransmits for ~15 min), left every request waiting with no end.
 */
export const CLIENT_GRACE_MS = 5_000;

/** Rejects with `QUERY_TIMEOUT` when `work` has not settled within `ms` (and calls `onTimeout`). */
function bounded<T>(ms: number | undefined, work: PromiseLike<T>, onTimeout: () => void = () => {}): Promise<T> {
  if (ms === undefined) return Promise.resolve(work);
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(Object.assign(new Error(`PostgreSQL did not answer within ${ms / 1000} s`), { code: "QUERY_TIMEOUT" }));
    }, ms);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

/** The QUERY_TIMEOUT of a statement refused because its transaction was already given up on. */
function givenUp(): Error {
  return Object.assign(new Error("PostgreSQL did not answer in time; the transaction was given up"), { code: "QUERY_TIMEOUT" });
}

/** A PostgreSQL error's SQLSTATE (`23505` unique violation...) and constraint, when it is one. */
export function postgresErrorOf(error: unknown): { code: string; constraint: string | undefined } | undefined {
  const e = error as { name?: string; code?: unknown; constraint_name?: string };
  return e?.name === "PostgresError" && typeof e.code === "string" ? { code: e.code, constraint: e.constraint_name } : undefined;
}

// The client's own codes for a lost or refused connection, the socket's, and PostgreSQL's SQLSTATEs
// for "no server to talk to": class 08 (connection exception), 57P01-57P03 (shut down, crashed,
// starting), 3D000 (the database is gone).
const UNAVAILABLE = new Set([
  "QUERY_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
  "ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "EPIPE",
  "57P01", "57P02", "57P03", "3D000",
]);

/**
 * Whether `error` means the PostgreSQL server cannot be reached or has gone (a restart, a failover,
 * a dropped database), as opposed to a query it refused: the API answers those with 503 and
 * Retry-After, not an opaque 500.
 *
 * @example
 * ```ts
 * await PostgresDatabase.connect("postgres://127.0.0.1:1/x").catch(isDatabaseUnavailable); // true
 * ```
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, syscall } = (error ?? {}) as { code?: unknown; syscall?: unknown };
  // ENOENT only from connecting: a Unix socket that is not there (no server listening). Any other
  // missing file is not the database's.
  if (code === "ENOENT") return syscall === "connect";
  return typeof code === "string" && (UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/**
 * Whether `error` is PostgreSQL saying a table is not there (42P01, undefined_table). Every table
 * the API and loads name is one their migrations create, so that is the contacts tables gone under
 * a running process (dropped, a `pg_restore --clean` not finished, a database recreated empty):
 * the operator's to restore or migrate, not a bug of the statement.
 */
export function isSchemaMissing(error: unknown): boolean {
  return postgresErrorOf(error)?.code === "42P01";
}

// The server is there but cannot take this statement now: out of connections (class 53, 53300),
// a statement cancelled by statement_timeout (57014), a lock not granted within lock_timeout (55P03),
// or its transaction rolled back to break a deadlock or a serialization conflict with other writers
// (40P01, 40001) once more after the write was run again.
const BUSY = new Set(["53000", "53100", "53200", "53300", "57014", "55P03", "40P01", "40001"]);

/** Whether `error` is PostgreSQL being too busy or too slow for a statement (answered 503, not 500). */
export function isDatabaseBusy(error: unknown): boolean {
  const { code } = (error ?? {}) as { code?: unknown };
  return typeof code === "string" && BUSY.has(code);
}

/**
 * What the operator must change when PostgreSQL refused the role of DATABASE_URL, as a message; the
 * `code` a run records for it. Undefined for anything else. Without it a load's run said only
 * "permission denied for table departments" or "password authentication failed", naming neither
 * PostgreSQL nor DATABASE_URL nor what to grant.
 *
 * @example
 * ```ts
 * postgresRefusal(error); // { code: "database-refused", message: "PostgreSQL refused the role of DATABASE_URL: ..." }
 * ```
 */
export function postgresRefusal(error: unknown): { code: "database-refused"; message: string } | undefined {
  const code = (error as { code?: unknown })?.code;
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  // Class 28: a wrong password, a role that may not log in, no pg_hba.conf line for it.
  if (typeof code === "string" && code.startsWith("28")) {
    return { code: "database-refused", message: `PostgreSQL refused the role of DATABASE_URL: ${reason} (check the user name and password in DATABASE_URL, its special characters percent-encoded, and the server's pg_hba.conf)` };
  }
  if (code === "42501") {
    return {
      code: "database-refused",
      message:
        `The role of DATABASE_URL lacks a privilege: ${reason} (the API and loads need SELECT, INSERT, UPDATE and DELETE on the contacts tables ` +
        "and USAGE on their sequences; creating or migrating them needs CREATE on the schema: have their owner run `npm run migrate` first)",
    };
  }
  return undefined;
}

/**
 * Whether a transaction failed on a write another one committed meanwhile, so that running it
 * again is safe (nothing it did stays) and meets that write as a fact: PostgreSQL broke a deadlock
 * (40P01) or a serialization conflict (40001), or a foreign key check (23503) saw a commit later
 * than the statement's snapshot: a link to a contact or department deleted meanwhile, or the
 * delete of a department linked meanwhile (READ COMMITTED checks keys against the latest commits).
 * Our writers never refer to a row they have not seen, so a 23503 is such a race.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "40P01" || code === "40001" || code === "23503";
}

/**
 * `url` as libpq reads it, for the client: `?host=/run/postgresql` names the folder of a Unix socket
 * (how Debian's package listens, and authenticates a local user by name) and `?port=` its port. The
 * client takes neither from the query (it would send them to the server as settings), so they become
 * options. A local server is cheaper to reach by its socket: a statement on loopback TCP cost the
 * API about 0.3 ms of CPU in its socket write alone (design/system/benchmarks.md).
 *
 * @example
 * ```ts
 * connectionOf("postgres:///contacts?host=/run/postgresql"); // { url: "postgres:///contacts", host: "/run/postgresql" }
 * ```
 */
export function connectionOf(url: string): { url: string; host?: string; port?: number } {
  refuseLibpqOnly(url);
  if (!/[?&](host|port)=/.test(url)) return { url };
  let parsed: URL;
  try {
    // libpq allows an empty host before the path (`postgres://user@/db?host=/run/postgresql`); a URL
    // parser does not, and the host parameter overrides it anyway.
    parsed = new URL(url.replace(/^(postgres(?:ql)?:\/\/[^/?#@]*@)(?=[/?])/, "$1localhost"));
  } catch {
    return { url };
  }
  const host = parsed.searchParams.get("host") ?? undefined;
  const port = parsed.searchParams.get("port") ?? undefined;
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new Error(`DATABASE_URL's port parameter must be a number; got '${port}'`);
  parsed.searchParams.delete("host");
  parsed.searchParams.delete("port");
  return { url: parsed.toString(), ...(host === undefined ? {} : { host }), ...(port === undefined ? {} : { port: Number(port) }) };
}

// libpq's parameters naming files or services the client does not read: it would send them to the
// server as settings, refused as `unrecognized configuration parameter "sslrootcert"` (sslrootcert=system,
// the system's authorities, it does know).
const LIBPQ_ONLY = ["sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslcrldir", "passfile", "service"];

function refuseLibpqOnly(url: string): void {
  const query = url.match(/\?([^#]*)/)?.[1];
  if (query === undefined) return;
  for (const [name, value] of new URLSearchParams(query)) {
    if (!LIBPQ_ONLY.includes(name) || (name === "sslrootcert" && value === "system")) continue;
    throw new Error(
      `DATABASE_URL's ${name} parameter is not supported by the PostgreSQL client (only libpq reads it). For a server certificate ` +
        "signed by a private authority, use sslmode=verify-full and give the authority's file in NODE_EXTRA_CA_CERTS; for the system's, sslrootcert=system",
    );
  }
}

/**
 * A server without SSL answers an sslmode=require client's request for it with "no"; the client
 * starts TLS anyway and the server hangs up, which the client reports only as "Client network socket
 * disconnected before secure TLS connection was established". Says what it means; the error keeps
 * its code (the database stays "unavailable" to the callers that ask).
 */
function withSslHint(error: unknown, url: string): unknown {
  if (!(error instanceof Error) || !/before secure TLS connection was established/.test(error.message)) return error;
  let mode: string | null = null;
  try {
    const params = new URL(url).searchParams;
    mode = params.get("sslmode") ?? params.get("ssl");
  } catch {
    return error;
  }
  if (mode === null || mode === "disable" || mode === "false") return error;
  error.message = `DATABASE_URL asks for SSL (sslmode=${mode}) but the server did not accept it (its ssl setting is off?): ${error.message}`;
  return error;
}

/**
 * Takes a statement given up on out of the pool's queue if it was never sent (postgres.js leaves
 * `state` null until then). One that was sent is left alone: the server had five seconds past its
 * own statement_timeout to end it and did not answer, and the client's cancel request would open a
 * connection to that server whose failure (refused, reset, timed out: a partition) postgres.js
 * rejects in a promise nobody holds (`query.cancel()` returns null), which ends the process.
 *
 * Not sent may also mean handed to a connection being opened for it, which runs it once it has
 * learnt the array types: the client skips a cancelled statement there and then never counts the
 * connection as open, lost to the pool until its max_lifetime (30-60 min). So the cancelled
 * statement (out of the queue, rejected) is made `SELECT 1`, which such a connection then runs
 * and answers into a promise already settled, and the connection joins the pool. A statement a
 * session had queued behind its running one likewise runs as `SELECT 1` instead of holding up
 * that connection's queue.
 */
function leaveQueue(pending: { state?: unknown; cancel(): unknown }): void {
  if (pending.state !== null) return;
  pending.cancel();
  Object.assign(pending, { cancelled: null, strings: ["SELECT 1"], args: [], options: { prepare: false } });
}

function runner(sql: Unsafe, deadlineMs?: number, abandoned?: { timedOut: boolean }): SqlRunner {
  // With parameters: a named prepared statement (parsed once per connection). Without: the simple
  // protocol, which also runs a script of several statements (a migration file).
  const query = (text: string, params: readonly unknown[] | undefined, options?: QueryOptions) => {
    // A transaction given up on (one of its statements timed out) runs nothing more: its caller
    // already answered, and a statement run after the server came back must not lead to a COMMIT.
    if (abandoned?.timedOut) return Promise.reject(givenUp());
    const pending =
      params === undefined || params.length === 0
        ? sql.unsafe(text)
        : sql.unsafe(text, params as never[], { prepare: options?.plan !== "custom" });
    return bounded(deadlineMs, pending, () => {
      if (abandoned) abandoned.timedOut = true;
      leaveQueue(pending);
    });
  };
  return {
    async run(text, params) {
      await query(text, params);
    },
    async all<T = Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      return [...(await query(text, params, options))] as T[];
    },
    async one<T = Row>(text: string, params?: readonly unknown[], options?: QueryOptions) {
      return (await query(text, params, options))[0] as T | undefined;
    },
  };
}

/**
 * A pool of connections to one PostgreSQL database.
 *
 * @example
 * ```ts
 * const pg = await PostgresDatabase.connect(process.env.DATABASE_URL!);
 * try { await pg.all("select count(*)::int as n from contacts"); } finally { await pg.close(); }
 * ```
 */
export class PostgresDatabase implements SqlRunner {
  readonly url: string;
  readonly #sql: PostgresSql;
  readonly #runner: SqlRunner;
  /** The client's bound on a statement: the pool's statement_timeout plus CLIENT_GRACE_MS; none without one. */
  readonly #deadlineMs: number | undefined;
  #closed = false;

  private constructor(url: string, sql: PostgresSql, deadlineMs: number | undefined) {
    this.url = url;
    this.#sql = sql;
    this.#deadlineMs = deadlineMs;
    this.#runner = runner(sql, deadlineMs);
  }

  /** Connects (and checks the connection with one query); throws the client's error when it cannot. */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
    patchPostgresClient();
    const { default: postgres } = await import("postgres");
    guardPostgresClient();
    const target = connectionOf(url);
    const sql = postgres(target.url, {
      ...(target.host === undefined ? {} : { host: target.host }),
      ...(target.port === undefined ? {} : { port: target.port }),
      max: options.max ?? 10,
      onnotice: () => {},
      connect_timeout: 10,
      idle_timeout: options.idleTimeoutS ?? POSTGRES_IDLE_TIMEOUT_S,
      transform: { undefined: null },
      connection: {
        application_name: options.applicationName ?? "relaciones",
        ...(options.lockTimeoutMs === undefined ? {} : { lock_timeout: options.lockTimeoutMs }),
        ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
      },
    }) as unknown as PostgresSql;
    // Its statements' prototype, before any connection opens: see settlePostgresTypesQuery().
    const first = sql.unsafe("SELECT 1");
    settlePostgresTypesQuery(Object.getPrototypeOf(first));
    try {
      await first;
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw withSslHint(error, target.url);
    }
    return new PostgresDatabase(url, sql, options.statementTimeoutMs === undefined ? undefined : options.statementTimeoutMs + CLIENT_GRACE_MS);
  }

  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.#runner.run(sql, params);
  }

  all<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<T[]> {
    return this.#runner.all<T>(sql, params, options);
  }

  one<T = Row>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<T | undefined> {
    return this.#runner.one<T>(sql, params, options);
  }

  /**
   * Yields the rows of a query in chunks of about 1000, from a server-side cursor. On a pool with a
   * statement timeout each chunk is bounded as a statement is (QUERY_TIMEOUT): the time the
   * consumer takes between chunks is its own, not the server's.
   */
  async *stream<T = Row>(text: string, params?: readonly unknown[]): AsyncGenerator<T[]> {
    const query = params === undefined || params.length === 0 ? this.#sql.unsafe(text) : this.#sql.unsafe(text, params as never[], { prepare: true });
    const chunks = query.cursor(1000)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await bounded(this.#deadlineMs, Promise.resolve(chunks.next()), () => leaveQueue(query));
        if (next.done) return;
        yield next.value as unknown as T[];
      }
    } finally {
      await chunks.return?.();
    }
  }

  /**
   * Runs `fn` in BEGIN/COMMIT on one pooled connection; a throw rolls back and rethrows. On a pool
   * with a statement timeout, waiting for the connection, each statement and the COMMIT are bounded
   * as statements are (QUERY_TIMEOUT). `deadlineMs` replaces the pool's bound for this transaction
   * (the migrations, which set their own statement_timeout under it).
   */
  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>, options: { deadlineMs?: number } = {}): Promise<T> {
    const deadlineMs = options.deadlineMs ?? this.#deadlineMs;
    if (deadlineMs === undefined) return (await this.#sql.begin((tx: PostgresTx) => fn(runner(tx)))) as T;
    const abandoned = { timedOut: false };
    const giveUp = () => void (abandoned.timedOut = true);
    let started!: () => void;
    let finished!: () => void;
    const fnStarted = new Promise<void>((resolve) => (started = resolve));
    const fnFinished = new Promise<void>((resolve) => (finished = resolve));
    let failure: { error: unknown } | undefined;
    const done = this.#sql.begin(async (tx: PostgresTx) => {
      // Its connection came after the caller gave up: nothing runs.
      if (abandoned.timedOut) throw givenUp();
      started();
      try {
        return await fn(runner(tx, deadlineMs, abandoned));
      } catch (error) {
        failure = { error };
        throw error;
      } finally {
        finished();
      }
    }) as Promise<T>;
    const settled = done.then(() => {}, () => {});
    // The wait for a connection and BEGIN, then `fn` (bounded statement by statement), then the
    // COMMIT or ROLLBACK, each bounded like a statement.
    await bounded(deadlineMs, Promise.race([fnStarted, settled]), giveUp);
    await Promise.race([fnFinished, settled]);
    // A statement of `fn` went unanswered for a whole deadline: the ROLLBACK goes to the same
    // server, so waiting for it would only double the caller's wait. The client sends it anyway.
    if (abandoned.timedOut) throw failure?.error ?? givenUp();
    await bounded(deadlineMs, settled, giveUp);
    return done;
  }

  /**
   * Runs `fn` on one connection taken from the pool for its whole duration (temp tables live on
   * one connection), with `copyIn` for `COPY ... FROM STDIN`; the connection goes back afterwards.
   * With `deadlineMs`, the wait for the connection, each statement and each COPY are given up on
   * (QUERY_TIMEOUT) when the server has not answered within it, and the session's later statements
   * fail at once: the caller should also have set a statement_timeout under it, so that a server
   * that still answers ends the statement itself, and an idle_in_transaction_session_timeout, so
   * that one that comes back ends the transaction nobody will finish.
   */
  async session<T>(fn: (session: SqlRunner & { copyIn(sql: string, source: Readable): Promise<void> }) => Promise<T>, options: { deadlineMs?: number } = {}): Promise<T> {
    // The wait for the connection is bounded as the statements are: the client hands the reserve()
    // of a new connection lost while it asks for the array types (a proxy's reset) to its
    // reconnect, which forgets it, and the session waited for good. One that comes after the caller
    // gave up goes back to the pool.
    const reserving = this.#sql.reserve();
    const reserved: Reserved = await bounded(options.deadlineMs, reserving, () => void reserving.then((late) => late.release(), () => {}));
    // The client never settles a statement sent on a reserved connection the server has closed (a
    // restart, a failover: porsager/postgres#1154), and `release()` would hand that dead connection
    // back to the pool, where the next statements hang the same way. So once a statement fails
    // because the connection is gone, the session's later ones (a ROLLBACK, the clean-up) fail at
    // once with that error, and the connection is not released: the client reconnects it.
    let lost: unknown;
    const guarded = <T>(work: () => Promise<T>): Promise<T> => {
      if (lost !== undefined) return Promise.reject(lost);
      return work().catch((error: unknown) => {
        if (isDatabaseUnavailable(error)) lost ??= error;
        throw error;
      });
    };
    // A statement given up on (QUERY_TIMEOUT, an unavailable database) stays sent: `lost` keeps the
    // connection from being released and anything more from being sent on it.
    const inner = runner(reserved, options.deadlineMs);
    const copy = async (sql: string, source: Readable) => pipeline(source, await reserved.unsafe(sql).writable());
    try {
      return await fn({
        run: (text, params) => guarded(() => inner.run(text, params)),
        all: (text, params, opts) => guarded(() => inner.all(text, params, opts)),
        one: (text, params, opts) => guarded(() => inner.one(text, params, opts)),
        copyIn: (sql: string, source: Readable) => guarded(() => bounded(options.deadlineMs, copy(sql, source), () => source.destroy())),
      });
    } finally {
      if (lost === undefined) reserved.release();
    }
  }

  /** Calls `onMessage` for every NOTIFY on `channel` (a dedicated connection); returns a stop function. */
  async listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const { unlisten } = await this.#sql.listen(channel, onMessage);
    return unlisten;
  }

  /** Waits for running queries (up to 5 s) and closes the pool; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 });
  }
}
