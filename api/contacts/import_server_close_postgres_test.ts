// The API closing (SIGTERM to `npm start`, server.close()) while POST /imports/contacts loads into
// PostgreSQL: the import was given no stop, so the close waited its grace (10 s) for it, cut its
// client off with no answer, and ended it only by closing the pool's connections under it. Now the
// close stops it as the CLI's stop does: its statement cancelled on the server, rolled back, its run
// recorded `stopped`, its client answered 503 `shutting-down`.
// The import is held provably mid-way by a lock another session holds; the close is known to have
// been prompt because it ends while that lock is still held. Real PostgreSQL and a real server;
// skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { readRuns } from "../../etl/runs/mod.ts";
import { raw, tempDir, testServer, type RawResponse } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { until } from "../../scripts/testing/until.ts";

test("the API closing while a PostgreSQL import waits for another session's lock: the import is stopped and rolled back, its client answered 503 shutting-down, its run recorded stopped, the close done while the lock is still held", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("import-close-pg-");
  const url = await postgresDatabaseFor(`import-close:${dir}`);
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgImportLockWaitMs: 90_000 } });
  let closed = false;
  const holder = await PostgresDatabase.connect(url, { max: 2, applicationName: "psql-left-open" });
  try {
    // Released once the close has ended; at the latest after 30 s, so that an import that waits for
    // it ends too and the test fails on what it asserts.
    const lock = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE", { releaseAfterMs: 30_000 });
    const body = "first_name,last_name,email,department\nAna,Ruiz,ana@example.org,Sales\nLuis,Gil,luis@example.org,Support\n";
    const answer: Promise<RawResponse | Error> = raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv", "x-source-name": "contacts.csv" }, body }).catch(
      (error: Error) => error,
    );
    const waiting = async () =>
      Number((await holder.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'relaciones-api' AND wait_event_type = 'Lock'"))!.n) > 0;
    await until("the import to wait for the lock", waiting, 60_000);

    // A grace longer than the lock is held: a close that waits for the import ends only after it.
    await server.close(60_000);
    closed = true;
    const stillHeld = await holder.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_locks WHERE pid = $1 AND relation = 'contacts'::regclass AND granted", [lock.pid]);
    await lock.release();
    assert.equal(Number(stillHeld!.n), 1, "the close ended while the other session still held its lock: it did not wait for the import");

    const response = await answer;
    assert.ok(!(response instanceof Error), `the import's client got an answer: ${response instanceof Error ? response.message : ""}`);
    assert.equal(response.status, 503, response.text);
    assert.match(String(response.headers["content-type"]), /^application\/problem\+json/);
    assert.ok(response.headers["retry-after"] !== undefined, "with Retry-After");
    const problem = response.json();
    assert.equal(problem.type, "/docs#problem-shutting-down");
    assert.match(problem.detail, /shutting down.*nothing was loaded/);

    const runs = readRuns(dir);
    assert.equal(runs.length, 1, "the import's run is recorded");
    assert.equal(runs[0].kind, "contacts");
    assert.equal(runs[0].status, "failed");
    assert.equal(runs[0].error?.code, "stopped");
    assert.match(runs[0].error?.message ?? "", /before its COMMIT; nothing was loaded/);
    assert.deepEqual(readdirSync(join(dir, "uploads")), [], "the body's copy and the load's work folder are removed");
    const stored = await holder.one<{ contacts: number; departments: number; loads: number }>(
      "SELECT (SELECT count(*) FROM contacts)::integer AS contacts, (SELECT count(*) FROM departments)::integer AS departments, (SELECT count(*) FROM contact_loads)::integer AS loads",
    );
    assert.deepEqual({ ...stored }, { contacts: 0, departments: 0, loads: 0 }, "nothing of the stopped import is written");
  } finally {
    if (!closed) await server.close();
    await holder.close();
    cleanup();
  }
});
