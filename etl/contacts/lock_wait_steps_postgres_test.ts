// The steps of a PostgreSQL contacts load other than its write, while another session holds a lock
// they need (psql: BEGIN; LOCK TABLE ... left open): the migrations (an upgrade's pending one), the
// unchanged-file check (its fingerprint reads the tables, which ACCESS EXCLUSIVE blocks) and the
// clean-up after the COMMIT (ANALYZE, behind SHARE UPDATE EXCLUSIVE) each waited for ever and said
// nothing. Now they wait as the write does: lines naming the holder, then `database-locked` with
// nothing written (the clean-up: a warning, the load being committed). Each call is raced against a
// deadline well past its bound, so a wait without end fails the test instead of hanging it.
// Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresDatabase } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { until } from "../../scripts/testing/until.ts";
import { isStillPending, within } from "../../scripts/testing/within.ts";
import { loadContacts } from "./load_contacts.ts";
import { defaultPostgresMigrationsDir, migratePostgres } from "./migrate.ts";

const WAIT_MS = 2000;
/** Far past WAIT_MS: a call still running then waits without end. */
const DEADLINE_MS = 20_000;

/** What `work` came to within DEADLINE_MS: its value, its error, or "still waiting". */
function settled<T>(work: Promise<T>): Promise<{ value?: T; error?: { code?: string; message: string }; waiting?: true }> {
  return within(DEADLINE_MS, "the call", work).then(
    (value) => ({ value }),
    (error: { code?: string; message: string }) => (isStillPending(error) ? { waiting: true as const } : { error }),
  );
}

/** A CSV of `n` distinct people. */
function peopleCsv(path: string, n: number): void {
  const rows = ["first_name,last_name,email"];
  for (let i = 0; i < n; i++) rows.push(`Ana${i},Ruiz,ana${i}@example.org`);
  writeFileSync(path, `${rows.join("\n")}\n`);
}

async function withHolder(name: string, fn: (ctx: { dir: string; url: string; owner: PostgresDatabase; holder: PostgresDatabase; released: { release(): void } }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const url = await postgresDatabaseFor(`${name}:${dir}`);
  const owner = await PostgresDatabase.connect(url, { max: 1 });
  const holder = await PostgresDatabase.connect(url, { max: 1, applicationName: "nightly-report" });
  const released = { release: () => {} };
  try {
    await fn({ dir, url, owner, holder, released });
  } finally {
    // Also lets a call of old code that still waits finish, so the pools close.
    released.release();
    await holder.close();
    await owner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Migrates, then holds SHARE UPDATE EXCLUSIVE on contacts (what a VACUUM or CREATE INDEX CONCURRENTLY
 * holds), which lets a load's writes through but not the ANALYZE that follows a load changing a
 * twentieth of the table; returns the lock and a 1,500-person CSV to load.
 */
async function cleanUpHeldBack(ctx: { dir: string; owner: PostgresDatabase; holder: PostgresDatabase; released: { release(): void } }) {
  await migratePostgres(ctx.owner);
  const held = await holdLock(ctx.holder, "LOCK TABLE contacts IN SHARE UPDATE EXCLUSIVE MODE");
  ctx.released.release = held.release;
  const csv = join(ctx.dir, "contacts.csv");
  peopleCsv(csv, 1500);
  return { held, csv, dataDir: join(ctx.dir, "data") };
}

const sessionOf = (pid: number) => new RegExp(`held by PostgreSQL session pid ${pid} \\(application 'nightly-report', user '\\w+', (from [^,]+, )?state 'idle in transaction'`);

test("a load whose migrations wait for another session's lock names it and fails database-locked, applying none", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  await withHolder("lock-migrate", async ({ dir, url, owner, holder, released }) => {
    // A database one migration behind (an upgrade), whose pending migration needs `contacts`.
    const older = join(dir, "older");
    mkdirSync(older);
    for (const f of ["001_contacts.sql", "002_fold_everywhere.sql", "003_contact_loads_run.sql"]) cpSync(join(defaultPostgresMigrationsDir, f), join(older, f));
    await migratePostgres(owner, { dir: older });
    const held = await holdLock(holder, "LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE");
    released.release = held.release;
    const csv = join(dir, "contacts.csv");
    peopleCsv(csv, 2);
    const dataDir = join(dir, "data");

    const lines: string[] = [];
    const outcome = await settled(
      loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: WAIT_MS, postgresLockProgressMs: 500, onPostgresLockWait: (line) => lines.push(line) }),
    );
    assert.equal(outcome.waiting, undefined, "the migrations waited without end");
    assert.equal(outcome.error?.code, "database-locked", outcome.error?.message);
    assert.match(outcome.error!.message, /^The contacts migrations gave up after waiting 2 s for a lock on 'contacts' \(\w+\) held by PostgreSQL session /);
    assert.match(outcome.error!.message, sessionOf(held.pid));
    assert.match(outcome.error!.message, /none was applied, the database is as it was\. End that transaction/);
    assert.ok(lines.length >= 1, "a line said what the migrations wait for");
    assert.match(lines[0], /^Contacts migrations: waiting \d+ s for a lock on 'contacts' /);
    assert.match(lines[0], sessionOf(held.pid));
    assert.deepEqual(readRuns(dataDir).at(-1)?.error, { code: "database-locked", message: outcome.error!.message });
    const applied = await owner.all<{ name: string }>("SELECT name FROM schema_migrations ORDER BY version");
    assert.deepEqual(applied.map((r) => r.name), ["001_contacts.sql", "002_fold_everywhere.sql", "003_contact_loads_run.sql"]);

    held.release();
    const loaded = await loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: WAIT_MS });
    assert.equal(loaded.inserted, 2);
  });
});

test("a load's unchanged-file check behind an ACCESS EXCLUSIVE lock names the holder and fails database-locked", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  await withHolder("lock-unchanged", async ({ dir, url, holder, released }) => {
    const csv = join(dir, "contacts.csv");
    peopleCsv(csv, 2);
    const dataDir = join(dir, "data");
    assert.equal((await loadContacts({ csvPath: csv, dataDir, databaseUrl: url })).inserted, 2);
    // The same file again: only the fingerprint of the tables tells whether it is unchanged.
    const held = await holdLock(holder, "LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE");
    released.release = held.release;

    const lines: string[] = [];
    const outcome = await settled(
      loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: WAIT_MS, postgresLockProgressMs: 500, onPostgresLockWait: (line) => lines.push(line) }),
    );
    assert.equal(outcome.waiting, undefined, "the unchanged-file check waited without end");
    assert.equal(outcome.error?.code, "database-locked", outcome.error?.message);
    assert.match(outcome.error!.message, /^The contacts load gave up after waiting 2 s for a lock on 'contacts' \(AccessShareLock\) held by PostgreSQL session /);
    assert.match(outcome.error!.message, sessionOf(held.pid));
    assert.match(outcome.error!.message, /nothing was loaded/);
    assert.ok(lines.length >= 1);
    assert.match(lines[0], /^Contacts load: waiting \d+ s for a lock on 'contacts' \(AccessShareLock\) /);
    assert.equal(readRuns(dataDir).at(-1)?.error?.code, "database-locked");

    held.release();
    const again = await loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: WAIT_MS });
    assert.notEqual(again.unchanged_since, undefined, "then found unchanged");
  });
});

test("a load's clean-up behind another session's lock names it and leaves the committed load a success with a warning", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  await withHolder("lock-cleanup", async (ctx) => {
    const { url, owner } = ctx;
    const { held, csv, dataDir } = await cleanUpHeldBack(ctx);

    const lines: string[] = [];
    const outcome = await settled(
      loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: WAIT_MS, postgresLockProgressMs: 500, onPostgresLockWait: (line) => lines.push(line) }),
    );
    assert.equal(outcome.waiting, undefined, "the clean-up waited without end");
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.equal(outcome.value!.inserted, 1500);
    const warning = outcome.value!.warnings.find((w) => w.startsWith("The contacts load's clean-up"));
    assert.ok(warning, outcome.value!.warnings.join("\n"));
    assert.match(warning, /gave up after waiting 2 s for a lock on 'contacts' \(ShareUpdateExclusiveLock\) held by PostgreSQL session /);
    assert.match(warning, sessionOf(held.pid));
    assert.match(warning, /the load itself is committed/);
    assert.ok(lines.length >= 1);
    assert.match(lines[0], /^Contacts load: waiting \d+ s for a lock on 'contacts' \(ShareUpdateExclusiveLock\) /);
    assert.equal(readRuns(dataDir).at(-1)?.status, "succeeded");
    assert.equal(Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM contacts"))!.n), 1500);
  });
});

test("a load's clean-up whose session is cut off after the COMMIT leaves the committed load a success with a warning (review)", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  await withHolder("cut-cleanup", async (ctx) => {
    const { url, owner } = ctx;
    // The clean-up waits behind the lock (as above); meanwhile its session is terminated, as a
    // restart of the server or a network cut would end it. The load was committed before.
    const { held, csv, dataDir } = await cleanUpHeldBack(ctx);
    const load = settled(loadContacts({ csvPath: csv, dataDir, databaseUrl: url, postgresLockWaitMs: 30_000 }));
    let waiting = 0;
    await until("the clean-up waiting for the lock", async () => {
      const row = await owner.one<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1 LIMIT 1",
        [held.pid],
      );
      waiting = Number(row?.pid ?? 0);
      return waiting !== 0;
    });
    await owner.run("SELECT pg_terminate_backend($1)", [waiting]);
    const outcome = await load;
    held.release();
    assert.equal(outcome.waiting, undefined, "the load did not end");
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.equal(outcome.value!.inserted, 1500);
    assert.match(outcome.value!.warnings.join("\n"), /The contacts load's clean-up .* failed: .*; the load itself is committed/);
    assert.equal(readRuns(dataDir).at(-1)?.status, "succeeded");
    assert.equal(Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM contacts"))!.n), 1500);
  });
});
