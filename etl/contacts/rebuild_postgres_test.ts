// A load that at least doubles the contacts builds their secondary indexes, the links' index and the
// links' foreign keys once at the end instead of row by row (ingest_postgres.ts). What it drops it
// must put back as it was: every index and key with its definition, and the keys still enforced.
// Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { PostgresDatabase } from "../db/mod.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { migratePostgres } from "./migrate.ts";

test("a load into an empty table puts back every index and foreign key it dropped, and the keys hold", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("rebuild-");
  const pg = await PostgresDatabase.connect(await postgresDatabaseFor(`rebuild:${dir}`), { max: 1 });
  try {
    await migratePostgres(pg);
    const schema = () =>
      pg.all(
        `SELECT 'index' AS kind, indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN ('contacts', 'contact_departments')
         UNION ALL
         SELECT 'constraint', c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ('contacts', 'contact_departments')
         ORDER BY 1, 2`,
      );
    const before = await schema();
    assert.ok(before.filter((r) => r.kind === "constraint" && String(r.definition).startsWith("FOREIGN KEY")).length >= 2, JSON.stringify(before));

    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, 15_000, 11);
    const summary = await ingestContactsPostgres(pg, csv, { workDir: dir });
    assert.ok(summary.inserted > 10_000 && summary.links > 10_000, JSON.stringify(summary));
    assert.deepEqual(await schema(), before);

    // The keys are enforced again: a link to no contact is refused, and a contact's links go with it.
    await assert.rejects(pg.run("INSERT INTO contact_departments (contact_id, department_id) SELECT max(id) + 1, (SELECT min(id) FROM departments) FROM contacts"), /foreign key/);
    const linked = (await pg.one<{ id: number }>("SELECT contact_id AS id FROM contact_departments ORDER BY contact_id LIMIT 1"))!.id;
    await pg.run("DELETE FROM contacts WHERE id = $1", [linked]);
    assert.equal((await pg.one<{ n: number }>("SELECT count(*)::int AS n FROM contact_departments WHERE contact_id = $1", [linked]))!.n, 0);
  } finally {
    await pg.close();
    cleanup();
  }
});
