// POST /imports/contacts on PostgreSQL while another session holds `LOCK TABLE contacts IN SHARE
// MODE` open: the import waited for ever, holding its client. Now it gives up after its bound with a
// 503 `database-locked` whose detail names the blocking session, and imports once it has ended.
// Real PostgreSQL and a real server; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { settledWithin } from "../../scripts/testing/within.ts";

test("POST /imports/contacts blocked by another session's lock answers 503 database-locked naming it", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir("import-lock-");
  const url = await postgresDatabaseFor(`import-lock:${dir}`);
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgImportLockWaitMs: 2000 } });
  const holder = await PostgresDatabase.connect(url, { max: 1, applicationName: "nightly-report" });
  let release = () => {};
  try {
    const held = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE");
    const holderPid = held.pid;
    release = held.release;
    const body = "first_name,last_name,email\nAna,Ruiz,ana@example.org\n";
    const refused = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.headers["retry-after"], "60");
    const problem = refused.json();
    assert.equal(problem.type, "/docs#problem-database-locked");
    assert.match(problem.detail, new RegExp(`gave up after waiting 2 s for a lock on 'contacts' \\(RowExclusiveLock\\) held by PostgreSQL session pid ${holderPid} \\(application 'nightly-report'`));
    assert.equal((await raw(server.url, { path: "/contacts" })).json().items.length, 0);

    release();
    const imported = await raw(server.url, { method: "POST", path: "/imports/contacts", headers: { "content-type": "text/csv" }, body });
    assert.equal(imported.status, 200, imported.text);
    assert.equal(imported.json().inserted, 1);
  } finally {
    release();
    await holder.close();
    await server.close();
    cleanup();
  }
});

// The API's start-up migrations behind another session's lock on schema_migrations (or on a table an
// upgrade's migration changes): `npm start` hung silently. Now start-up fails `database-locked`
// after the import's bound, naming the session, and starts once it has ended. Raced against a
// deadline well past that bound, so a start that still waits fails instead of hanging the test.
test("an API starting while another session's lock keeps its migrations waiting fails database-locked naming it", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir("start-lock-");
  const url = await postgresDatabaseFor(`start-lock:${dir}`);
  const first = await testServer(dir, { databaseUrl: url });
  await first.close();
  const holder = await PostgresDatabase.connect(url, { max: 1, applicationName: "nightly-report" });
  let release = () => {};
  let late: Promise<{ close(): Promise<void> } | undefined> = Promise.resolve(undefined);
  try {
    const held = await holdLock(holder, "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE");
    release = held.release;
    const starting = testServer(dir, { databaseUrl: url, contacts: { pgImportLockWaitMs: 2000 } });
    late = starting.catch(() => undefined);
    const outcome = await settledWithin(20_000, "the start-up behind the lock", starting);
    assert.ok("error" in outcome, "started");
    const error = outcome.error as { code?: string; message: string };
    assert.equal(error.code, "database-locked", error.message);
    assert.match(error.message, new RegExp(`^The contacts migrations gave up after waiting 2 s for a lock on 'schema_migrations' \\(AccessShareLock\\) held by PostgreSQL session pid ${held.pid} \\(application 'nightly-report'`));

    release();
    const server = await testServer(dir, { databaseUrl: url, contacts: { pgImportLockWaitMs: 2000 } });
    await server.close();
  } finally {
    release();
    // Old code's start, still waiting, goes on once the lock is gone: close what it opened.
    await (await late)?.close();
    await holder.close();
    cleanup();
  }
});
