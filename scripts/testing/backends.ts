/**
 * The contacts backends the tests run on: DuckDB always, PostgreSQL when a server is at hand.
 * `.ci/run` starts a throwaway PostgreSQL cluster and sets TEST_POSTGRES_URL to it (any database on
 * it; tests create their own databases next to it and drop them). Without it the PostgreSQL
 * variants skip with a message saying so.
 *
 * A suite runs on PostgreSQL by a small wrapper file (`*_postgres_test.ts`) that calls
 * `usePostgres()` and imports the suite: every `testServer()` in that process then keeps its
 * contacts in a database of its own, one per data dir (a restart on the same dir finds its data).
 */
import { after } from "node:test";
import { createHash } from "node:crypto";
import { PostgresDatabase } from "../../etl/db/mod.ts";

/** The PostgreSQL server tests may use, or undefined. */
export const TEST_POSTGRES_URL: string | undefined = process.env.TEST_POSTGRES_URL || undefined;

/** Why the PostgreSQL variants skip, or false when they run. */
export const POSTGRES_SKIP: string | false = TEST_POSTGRES_URL
  ? false
  : "no PostgreSQL for tests: set TEST_POSTGRES_URL to a server tests may create databases on (.ci/run starts one)";

let active = false;
const created = new Set<string>();
let admin: Promise<PostgresDatabase> | undefined;

// At the end of the file's tests (registered at load, so it belongs to the file, not to one test).
after(async () => {
  if (admin === undefined) return;
  const pg = await admin;
  for (const db of created) await pg.run(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
  await pg.close();
});

/** Makes every testServer() of this process keep contacts in PostgreSQL; false when none is at hand. */
export function usePostgres(): boolean {
  if (TEST_POSTGRES_URL === undefined) return false;
  active = true;
  return true;
}

/** True when this process runs its suites on PostgreSQL. */
export function onPostgres(): boolean {
  return active;
}

/**
 * Returns the URL of a database of its own for `key` (a data dir, a test name), created empty the
 * first time and dropped when the process's tests end.
 *
 * @example
 * ```ts
 * const url = await postgresDatabaseFor(dir);
 * ```
 */
export async function postgresDatabaseFor(key: string): Promise<string> {
  if (TEST_POSTGRES_URL === undefined) throw new Error(String(POSTGRES_SKIP));
  const name = `t_${createHash("sha256").update(`${process.pid}:${key}`).digest("hex").slice(0, 20)}`;
  if (!created.has(name)) {
    admin ??= PostgresDatabase.connect(TEST_POSTGRES_URL, { max: 1 });
    const pg = await admin;
    // The name is ours (hex), never data: it can be spelled into the statement.
    await pg.run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await pg.run(`CREATE DATABASE ${name}`);
    created.add(name);
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
