// PostgreSQL refusing the role of DATABASE_URL (it may not log in, or lacks a privilege) or having
// no connection free: the load's run said only "ingest-failed: permission denied for table
// departments" or "sorry, too many clients already", naming neither PostgreSQL nor DATABASE_URL nor
// what to grant. Now `database-refused` (or `database-unavailable`), a message that says which and
// what to do, and the tables as they were. Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresDatabase } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";
import { loadContacts } from "./load_contacts.ts";
import { migratePostgres } from "./migrate.ts";

const CSV = "first_name,last_name,email\nAna,Ruiz,ana@example.org\n";

function as(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = "pw";
  return u.toString();
}

test("a load as a role PostgreSQL refuses is recorded as database-refused, saying what to fix, with no password", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "load-refused-"));
  const ownerUrl = await postgresDatabaseFor(`load-refused:${dir}`);
  const reader = `t_reader_${process.pid}`;
  const nologin = `t_nologin_${process.pid}`;
  const limited = `t_limited_${process.pid}`;
  const owner = await PostgresDatabase.connect(ownerUrl, { max: 1 });
  const admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  try {
    await migratePostgres(owner);
    await owner.run("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Eva', 'Sol', 'eva@example.org', 'eva@example.org')");
    for (const role of [reader, nologin, limited]) await admin.run(`DROP ROLE IF EXISTS ${role}`);
    await admin.run(`CREATE ROLE ${reader} LOGIN`);
    await admin.run(`CREATE ROLE ${nologin} NOLOGIN`);
    await admin.run(`CREATE ROLE ${limited} LOGIN CONNECTION LIMIT 0`);
    await owner.run(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${reader}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`);
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, CSV);
    const dataDir = join(dir, "data");

    // `npm run etl` prints the thrown error: the same words as the run, not the client's bare message.
    const thrown = await loadContacts({ csvPath: csv, dataDir, databaseUrl: as(ownerUrl, nologin) }).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    let error = readRuns(dataDir).at(-1)?.error;
    assert.deepEqual({ code: thrown?.code, message: thrown?.message }, error);
    assert.equal(error?.code, "database-refused", JSON.stringify(error));
    assert.match(error!.message, /^PostgreSQL refused the role of DATABASE_URL: .*not permitted to log in/);

    await assert.rejects(loadContacts({ csvPath: csv, dataDir, databaseUrl: as(ownerUrl, reader) }));
    error = readRuns(dataDir).at(-1)?.error;
    assert.equal(error?.code, "database-refused", JSON.stringify(error));
    assert.match(error!.message, /^The role of DATABASE_URL lacks a privilege: permission denied for table \w+ \(.*SELECT, INSERT, UPDATE and DELETE.*npm run migrate/);
    // Out of connections (the role's limit here, a full server's max_connections alike): the server
    // not taking the load now, as when it is down.
    await assert.rejects(loadContacts({ csvPath: csv, dataDir, databaseUrl: as(ownerUrl, limited) }));
    error = readRuns(dataDir).at(-1)?.error;
    assert.equal(error?.code, "database-unavailable", JSON.stringify(error));
    assert.match(error!.message, /^The PostgreSQL server of DATABASE_URL refused or did not answer: too many connections for role/);

    for (const run of readRuns(dataDir)) assert.doesNotMatch(JSON.stringify(run), /:pw@/);
    const rows = await owner.all<{ email: string }>("SELECT email FROM contacts ORDER BY id");
    assert.deepEqual(rows.map((r) => r.email), ["eva@example.org"], "nothing half-written");
  } finally {
    await owner.run(`DROP OWNED BY ${reader}`).catch(() => {});
    await owner.close();
    for (const role of [reader, nologin, limited]) {
      await admin.run(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    }
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
