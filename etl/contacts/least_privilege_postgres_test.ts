// A role granted only SELECT/INSERT/UPDATE/DELETE on a database someone else migrated (README: "a
// role granted only reads and writes loads and writes as before"): the API starts and a load of a
// file bigger than the table runs. Both failed: `CREATE TABLE IF NOT EXISTS schema_migrations`
// needs CREATE on the schema even when the table is there ("permission denied for schema public"),
// and a load that rebuilds the secondary indexes dropped indexes it does not own ("must be owner of
// index"). Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PostgresDatabase } from "../db/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { migratePostgres } from "./migrate.ts";

test("a role granted only reads and writes starts the API and loads 15k rows into an empty table", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("least-privilege-");
  const ownerUrl = await postgresDatabaseFor(`least-privilege:${dir}`);
  const role = `t_app_${process.pid}`;
  const owner = await PostgresDatabase.connect(ownerUrl, { max: 1 });
  const admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  let app: PostgresDatabase | undefined;
  try {
    await migratePostgres(owner);
    await admin.run(`DROP ROLE IF EXISTS ${role}`);
    await admin.run(`CREATE ROLE ${role} LOGIN`);
    await owner.run(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO ${role};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
      GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    const url = new URL(ownerUrl);
    url.username = role;
    url.password = "";

    app = await PostgresDatabase.connect(url.toString(), { max: 2 });
    assert.deepEqual(await migratePostgres(app), [], "nothing to migrate, and no CREATE needed to find that out");
    const csv = join(dir, "contacts.csv");
    const { people } = writeContactsCsv(csv, 15_000, 11);
    const summary = await ingestContactsPostgres(app, csv, { workDir: dir });
    assert.ok(summary.inserted > 10_000 && summary.inserted <= people, JSON.stringify(summary));
    const indexes = await owner.one<{ n: number }>("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'contacts'");
    assert.ok(Number(indexes!.n) >= 14, "the owner's indexes are all still there");
    const keys = await owner.one<{ n: number }>("SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'contact_departments'::regclass AND contype = 'f'");
    assert.equal(Number(keys!.n), 2, "and the links' foreign keys");
    await app.close();
    app = undefined;

    const server = await testServer(join(dir, "data"), { databaseUrl: url.toString() });
    try {
      const page = await raw(server.url, { path: "/contacts?limit=1" });
      assert.equal(page.status, 200, page.text);
    } finally {
      await server.close();
    }
  } finally {
    await app?.close();
    await owner.run(`DROP OWNED BY ${role}`).catch(() => {});
    await owner.close();
    await admin.run(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.close();
    cleanup();
  }
});
