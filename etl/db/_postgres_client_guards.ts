/**
 * Guards for two known bugs of the `postgres` client (3.4.x, unfixed upstream) that end the whole
 * process, every API process on the database at once, from where no caller can catch them:
 *
 * - When the server closes a connection (a restart, a failover) while a small write is waiting in
 *   a setImmediate, the client later writes to its nulled socket and throws `TypeError: Cannot read
 *   properties of null (reading 'write')` from `nextWrite` (porsager/postgres#1154, #1066, #1208).
 * - A new connection's first statement, a pg_type query for the array types, runs from a promise
 *   the client drops (#1192, #1205, #1223): a server lost during it rejects that promise unhandled.
 *   `PostgresDatabase.connect()` turns the query off once its first connection has answered it, so
 *   only that first connection can still meet this.
 *
 * Either way the connection is gone and its statements fail with a connection error, which their
 * callers handle: that one error is logged and the process goes on. Every other uncaught exception
 * or unhandled rejection ends the process as Node would.
 */

let installed = false;

/** Whether `error` is the client's write on a closed socket (and nothing else). */
export function isPostgresSocketRace(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    error.message === "Cannot read properties of null (reading 'write')" &&
    /[\\/]postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? "") &&
    /\bnextWrite\b/.test(error.stack ?? "")
  );
}

/**
 * Whether `reason` is the failure of the client's array-types query: the client names the statement
 * an error came from in its `query` property.
 */
export function isPostgresTypesFetch(reason: unknown): boolean {
  const query = (reason as { query?: unknown } | null)?.query;
  return typeof query === "string" && /\bpg_catalog\.pg_type\b/.test(query) && /\btyparray\b/.test(query);
}

/**
 * Installs both guards once per process (with the first PostgreSQL connection).
 *
 * @example
 * ```ts
 * guardPostgresClient((line) => console.error(line));
 * ```
 */
export function guardPostgresClient(log: (line: string) => void = (line) => console.error(line)): void {
  if (installed) return;
  installed = true;
  process.on("uncaughtException", (error) => {
    if (isPostgresSocketRace(error)) {
      log("PostgreSQL closed a connection while the client was writing to it (postgres client bug #1154); that connection is dropped and its queries fail");
      return;
    }
    // Another listener (a test runner) decides; alone, do what Node does without one.
    if (process.listenerCount("uncaughtException") > 1) return;
    console.error(error);
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    if (isPostgresTypesFetch(reason)) {
      log(`PostgreSQL went away while a new connection asked for its array types (postgres client bug #1192: ${firstLine(reason)}); that connection's statements fail`);
      return;
    }
    if (process.listenerCount("unhandledRejection") > 1) return;
    // What Node does without a listener: the rejection becomes an uncaught exception.
    throw reason;
  });
}

function firstLine(reason: unknown): string {
  const e = reason as { code?: unknown; message?: unknown };
  return `${typeof e.code === "string" ? `${e.code} ` : ""}${String(e.message ?? reason).split("\n")[0]}`;
}
