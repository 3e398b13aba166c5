// A contacts load on PostgreSQL while another session holds a conflicting lock on `contacts` (psql:
// BEGIN; LOCK TABLE contacts IN SHARE MODE; left open): the load waited for ever and said nothing.
// Now it says who holds the lock while it waits (pid, application, state and since when), gives up
// after its bound as a failed run `database-locked` naming that session, changes nothing, and loads
// once the session ends. Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresDatabase } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { loadContacts } from "./load_contacts.ts";
import { migratePostgres } from "./migrate.ts";

test("a PostgreSQL load blocked by another session's lock names that session while it waits and when it gives up", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lock-wait-"));
  const url = await postgresDatabaseFor(`lock-wait:${dir}`);
  const owner = await PostgresDatabase.connect(url, { max: 1 });
  const holder = await PostgresDatabase.connect(url, { max: 1, applicationName: "nightly-report" });
  let release = () => {};
  try {
    await migratePostgres(owner);
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.org\nBea,Soto,bea@example.org\n");
    const dataDir = join(dir, "data");
    const held = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE");
    const holderPid = held.pid;
    release = held.release;

    const lines: string[] = [];
    const failed = await loadContacts({
      csvPath: csv,
      dataDir,
      databaseUrl: url,
      postgresLockWaitMs: 3000,
      postgresLockProgressMs: 500,
      onPostgresLockWait: (line) => lines.push(line),
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    const session = new RegExp(`pid ${holderPid} \\(application 'nightly-report', user '\\w+', (from [^,]+, )?state 'idle in transaction' since \\S+Z, transaction open since \\S+Z\\)`);
    assert.ok(lines.length >= 1, "a line said what the load waits for");
    assert.match(lines[0], /^Contacts load: waiting \d+ s for a lock on 'contacts' \(RowExclusiveLock\) held by PostgreSQL session /);
    assert.match(lines[0], session);
    assert.match(lines[0], /giving up after 3 s$/);
    assert.equal(failed?.code, "database-locked", failed?.message);
    assert.match(failed!.message, /^The contacts load gave up after waiting 3 s for a lock on 'contacts' \(RowExclusiveLock\) held by PostgreSQL session /);
    assert.match(failed!.message, session);
    assert.match(failed!.message, /nothing was loaded/);
    const run = readRuns(dataDir).at(-1)!;
    assert.equal(run.status, "failed");
    assert.deepEqual(run.error, { code: "database-locked", message: failed!.message });
    assert.equal(Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM contacts"))!.n), 0, "nothing was written");

    release();
    const loaded = await loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: 3000, onPostgresLockWait: (line) => lines.push(line) });
    assert.equal(loaded.inserted, 2);
  } finally {
    release();
    await holder.close();
    await owner.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
