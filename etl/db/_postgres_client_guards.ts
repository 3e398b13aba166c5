/**
 * Guards for two known bugs of the `postgres` client (3.4.x, unfixed upstream) that end the whole
 * process, every API process on the database at once, from where no caller can catch them:
 *
 * - When the server closes a connection (a restart, a failover) while a small write is waiting in
 *   a setImmediate, the client later writes to its nulled socket and throws `TypeError: Cannot read
 *   properties of null (reading 'write')` from `nextWrite` (porsager/postgres#1154, #1066, #1208).
 *   That one error is logged and the process goes on; every other uncaught exception ends it as
 *   Node would.
 * - A new connection's first statement, a pg_type query for the array types, is awaited in a
 *   function whose promise the client drops (#1192, #1205, #1223): a server lost during it rejected
 *   that promise unhandled. That statement now settles with no types instead of rejecting: the
 *   pool's array parsers are shared by its connections, and `connect()` answers only once its first
 *   connection has learnt them. The client's own remedy, `fetch_types: false`, is
 *   no remedy: `reserve()` then never settles on a connection it opens (#751, #1219), and every
 *   load's session would hang.
 *
 * Either way the connection is gone, and the statements sent on it fail with a connection error
 * that their callers handle. Not covered: `target_session_attrs` in DATABASE_URL makes the client
 * run one more statement of its own on each new connection, from a promise nobody ever awaits.
 *
 * And one bug that ends no process but leaves a connection of the pool dead for good: see
 * patchPostgresClient().
 */
import { register } from "node:module";

let installed = false;
let patched = false;

/**
 * Mends, as the client is loaded (module hooks, _postgres_client_patch_hooks.mjs), its teardown of
 * a connection whose socket closed while a small write waited for its setImmediate: the timer was
 * cleared but not forgotten, so every later write of that pool slot, its reconnections' start-up
 * message included, waited for a flush that never came. Each reconnection then failed
 * CONNECT_TIMEOUT after 10 s against a healthy server, and a PostgreSQL restart or a
 * pg_terminate_backend under load left an API process answering 503 for good on part of its pool.
 * Before the client's first import; once per process.
 *
 * @example
 * ```ts
 * patchPostgresClient();
 * const { default: postgres } = await import("postgres");
 * ```
 */
export function patchPostgresClient(): void {
  if (patched) return;
  patched = true;
  register(new URL("./_postgres_client_patch_hooks.mjs", import.meta.url));
}

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
 * Whether `query` (one of the client's statements) is its own array-types query: made without a
 * canceller (every statement of ours gets the pool's, or null once cancelled), and with that text.
 */
export function isPostgresTypesQuery(query: unknown): boolean {
  const q = query as { canceller?: unknown; strings?: unknown } | null;
  if (q === null || typeof q !== "object" || !("canceller" in q) || q.canceller !== undefined) return false;
  const strings = q.strings;
  return Array.isArray(strings) && strings.length === 1 && typeof strings[0] === "string" && strings[0].includes("b.typarray") && strings[0].includes("pg_catalog.pg_type");
}

type Then = (this: unknown, onFulfilled?: ((value: unknown) => unknown) | null, onRejected?: ((reason: unknown) => unknown) | null) => Promise<unknown>;
const settling = new WeakSet<object>();

/**
 * Makes the client's array-types query settle with no types when it fails, on `queryPrototype`,
 * the prototype of the client's statements (what `sql.unsafe()` returns): the function awaiting it
 * then ends normally instead of rejecting a promise nobody holds. Once per prototype.
 *
 * @example
 * ```ts
 * const first = sql.unsafe("SELECT 1");
 * settlePostgresTypesQuery(Object.getPrototypeOf(first));
 * await first;
 * ```
 */
export function settlePostgresTypesQuery(queryPrototype: { then: Then }): void {
  if (settling.has(queryPrototype)) return;
  settling.add(queryPrototype);
  const then = queryPrototype.then;
  queryPrototype.then = function (this: unknown, onFulfilled, onRejected) {
    if (!isPostgresTypesQuery(this)) return then.call(this, onFulfilled, onRejected);
    // Its connection is lost: no types are learnt on it now, and the statement that opened it
    // fails with the same error, to a caller who handles it.
    return then.call(this, onFulfilled, () => (onFulfilled ? onFulfilled([]) : []));
  };
}

/**
 * Installs the guard against the write on a closed socket, once per process (with the first
 * PostgreSQL connection).
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
}
