// A session (the connection a PostgreSQL load reserves for its temp tables, COPY and transaction)
// whose connection the server closes: PostgreSQL restarted or stopped during `npm run etl`. Before,
// the statement after the failed one (the load's ROLLBACK, its DROP TABLE) never settled, and the
// loader exited with code 13 and no message, no run in runs.jsonl, no alert; in the API the request
// hung and its pooled connection went back to the pool dead. Real PostgreSQL (the backend is ended
// with pg_terminate_backend, as a fast shutdown ends each one); skipped without a server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PostgresDatabase } from "./mod.ts";
import { isStillPending, settledWithin, within } from "../../scripts/testing/within.ts";

// Not from scripts/testing/backends.ts: importing it registers an after() hook, which makes node:test
// install its own uncaughtException handler in the scenario's child too, and that handler ends the
// child on the client's race even though the guard logged it (seen in CI: exit code 7).
const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL || undefined;

/** Set in the child process that runs the scenario (see the test below). */
const SCENARIO = "SESSION_LOST_SCENARIO";

async function scenario(): Promise<void> {
  // The session only makes a temporary table, so the server's own database serves: a database of
  // the test's own would need backends.ts (above).
  const pg = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  const admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  // Only the guard may decide on an uncaught exception here: with another listener, the client's
  // race would end this process whatever the guard does.
  assert.equal(process.listenerCount("uncaughtException"), 1, "only guardPostgresClient() listens for uncaught exceptions");
  try {
    const outcome = within(10_000, "the session", pg.session(async (session) => {
      const pid = Number((await session.one<{ pid: number }>("SELECT pg_backend_pid() AS pid"))!.pid);
      await session.run("CREATE TEMP TABLE _t (a integer)");
      await session.run("BEGIN");
      await admin.run("SELECT pg_terminate_backend($1)", [pid]);
      try {
        await session.run("INSERT INTO _t SELECT 1 FROM pg_sleep(0.2)");
        assert.fail("the statement on a terminated backend succeeded");
      } finally {
        // What the load does next: roll back, then clean up.
        await assert.rejects(within(5_000, "ROLLBACK", session.run("ROLLBACK")));
      }
    }));
    await assert.rejects(outcome, (error: Error) => !isStillPending(error));
    // The pool has one connection: the dead one must not have been handed back. A statement may
    // still fail with the server's goodbye (57P01, answered 503 by the API); none may hang.
    let rows: unknown;
    for (let attempt = 1; attempt <= 3 && rows === undefined; attempt++) {
      const outcome = await settledWithin(5_000, "a statement on the pool", pg.all("SELECT 1 AS one"));
      rows = "value" in outcome ? outcome.value : undefined;
    }
    assert.deepEqual(rows, [{ one: 1 }]);
  } finally {
    await pg.close();
    await admin.close();
  }
}

if (process.env[SCENARIO] === "1") {
  await scenario();
  console.log("scenario passed");
} else {
  const { POSTGRES_SKIP } = await import("../../scripts/testing/backends.ts");
  test("a session whose connection the server closed fails its later statements at once, and the pool goes on", { skip: POSTGRES_SKIP, timeout: 60_000 }, () => {
    // In a child process: the client's known write on a closed socket (postgres#1154) may be thrown
    // from a setImmediate. Product processes survive it (guardPostgresClient()), but node:test's
    // own uncaughtException listener failed whichever test was running, now and then in CI.
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, [SCENARIO]: "1" }, encoding: "utf8", timeout: 55_000 });
    assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
    assert.match(child.stdout, /scenario passed/);
  });
}
