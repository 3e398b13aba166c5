/**
 * A guard for a known bug of the `postgres` client (3.4.x; porsager/postgres#1154, #1066, #1208,
 * unfixed upstream): when the server closes a connection (a restart, a failover) while a small
 * write is waiting in a setImmediate, the client later writes to its nulled socket and throws
 * `TypeError: Cannot read properties of null (reading 'write')` from `nextWrite`, where no caller
 * can catch it, and the whole process dies: every API process at once on a database restart. The
 * connection is gone either way and its queries fail with a connection error, so that one error is
 * logged and the process goes on. Every other uncaught exception ends the process as Node would.
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
 * Installs the guard once per process (with the first PostgreSQL connection).
 *
 * @example
 * ```ts
 * guardPostgresSocketRace((line) => console.error(line));
 * ```
 */
export function guardPostgresSocketRace(log: (line: string) => void = (line) => console.error(line)): void {
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
}
