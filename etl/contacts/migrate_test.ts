import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { defaultMigrationsDir, migrate, MigrationError } from "./migrate.ts";
import { fold } from "../text/mod.js";
import { ingestContacts } from "./ingest_contacts.ts";

async function withTemp<T>(fn: (dir: string, open: () => Promise<Database>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "contacts-migrate-"));
  const opened: Database[] = [];
  try {
    return await fn(dir, async () => {
      const db = await Database.open(join(dir, "contacts.duckdb"));
      opened.push(db);
      return db;
    });
  } finally {
    for (const db of opened) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A folder holding the shipped migrations numbered up to `last`: a database as an older build left it. */
function shippedUpTo(dir: string, last: number): string {
  const target = join(dir, `upTo${last}`);
  mkdirSync(target);
  for (const name of readdirSync(defaultMigrationsDir)) {
    if (name.endsWith(".sql") && Number(name.slice(0, 3)) <= last) copyFileSync(join(defaultMigrationsDir, name), join(target, name));
  }
  return target;
}

function copyMigrations(dir: string): string {
  const target = join(dir, "migrations");
  cpSync(defaultMigrationsDir, target, { recursive: true });
  return target;
}

test("migrate() applies the shipped migrations once and records their checksums", async () => {
  await withTemp(async (_dir, open) => {
    const db = await open();
    const shipped = ["001_contacts.sql", "002_api_idempotency_keys.sql", "003_sql_reads.sql", "004_uncompressed_search.sql", "005_links_by_contact.sql", "006_uncompressed_fields.sql", "007_links_without_pair_key.sql", "008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"];
    assert.deepEqual(await migrate(db), shipped);
    assert.deepEqual(await migrate(db), []);
    const rows = await db.all<{ version: number; name: string; checksum: string; applied_at: Date }>(
      "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
    );
    assert.equal(rows.length, shipped.length);
    for (const [i, name] of shipped.entries()) {
      const text = readFileSync(join(defaultMigrationsDir, name), "utf8");
      assert.equal(rows[i].name, name);
      assert.equal(rows[i].checksum, createHash("sha256").update(text).digest("hex"));
      assert.ok(rows[i].applied_at instanceof Date);
    }
    const tables = await db.all<{ name: string }>("SELECT table_name AS name FROM duckdb_tables() ORDER BY 1");
    assert.deepEqual(
      tables.map((t) => t.name),
      ["api_idempotency_keys", "contact_departments", "contact_loads", "contacts", "departments", "schema_migrations"],
    );
  });
});

test("migrate() adopts the idempotency table an older API build created itself", async () => {
  // Before migration 002 the API ran CREATE TABLE IF NOT EXISTS api_idempotency_keys at start-up:
  // such a database has 001 recorded and the table already there, with live keys in it.
  await withTemp(async (dir, open) => {
    const only001 = join(dir, "only001");
    mkdirSync(only001);
    copyFileSync(join(defaultMigrationsDir, "001_contacts.sql"), join(only001, "001_contacts.sql"));
    const db = await open();
    assert.deepEqual(await migrate(db, { dir: only001 }), ["001_contacts.sql"]);
    await db.run(`CREATE TABLE IF NOT EXISTS api_idempotency_keys (
      key VARCHAR PRIMARY KEY, fingerprint VARCHAR NOT NULL, status INTEGER NOT NULL, location VARCHAR,
      body VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)`);
    await db.run("INSERT INTO api_idempotency_keys (key, fingerprint, status, location, body) VALUES ('k1', 'f', 201, '/contacts/1', '{}')");
    assert.deepEqual(await migrate(db), ["002_api_idempotency_keys.sql", "003_sql_reads.sql", "004_uncompressed_search.sql", "005_links_by_contact.sql", "006_uncompressed_fields.sql", "007_links_without_pair_key.sql", "008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    const keys = await db.all<{ key: string; status: number }>("SELECT key, status FROM api_idempotency_keys");
    assert.deepEqual(keys, [{ key: "k1", status: 201 }]);
    assert.deepEqual(await migrate(db), []);
  });
});

test("migrate() stops on an applied migration whose file was edited", async () => {
  await withTemp(async (dir, open) => {
    const migrations = copyMigrations(dir);
    const db = await open();
    await migrate(db, { dir: migrations });
    appendFileSync(join(migrations, "001_contacts.sql"), "\n-- a harmless-looking edit\n");
    await assert.rejects(migrate(db, { dir: migrations }), (error: unknown) => {
      assert.ok(error instanceof MigrationError);
      assert.equal(error.code, "edited");
      assert.equal(error.file, "001_contacts.sql");
      assert.match(error.message, /001_contacts\.sql' was edited after it was applied/);
      return true;
    });
  });
});

test("migrate() treats a CRLF checkout as the same migration", async () => {
  await withTemp(async (dir, open) => {
    const migrations = copyMigrations(dir);
    const db = await open();
    await migrate(db, { dir: migrations });
    const path = join(migrations, "001_contacts.sql");
    writeFileSync(path, readFileSync(path, "utf8").replaceAll("\n", "\r\n"));
    assert.deepEqual(await migrate(db, { dir: migrations }), []);
  });
});

test("migrate() stops when an applied migration's file is gone", async () => {
  await withTemp(async (dir, open) => {
    const migrations = copyMigrations(dir);
    writeFileSync(join(migrations, "900_note.sql"), "CREATE TABLE note (x INTEGER);");
    const db = await open();
    assert.deepEqual(await migrate(db, { dir: migrations }), ["001_contacts.sql", "002_api_idempotency_keys.sql", "003_sql_reads.sql", "004_uncompressed_search.sql", "005_links_by_contact.sql", "006_uncompressed_fields.sql", "007_links_without_pair_key.sql", "008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql", "900_note.sql"]);
    unlinkSync(join(migrations, "900_note.sql"));
    await assert.rejects(migrate(db, { dir: migrations }), { name: "MigrationError", code: "missing" });
  });
});

test("migrate() applies each migration in its own transaction", async () => {
  await withTemp(async (dir, open) => {
    const migrations = copyMigrations(dir);
    writeFileSync(join(migrations, "900_good.sql"), "CREATE TABLE good (x INTEGER);");
    writeFileSync(join(migrations, "901_bad.sql"), "CREATE TABLE half (x INTEGER);\nSELECT * FROM no_such_table;");
    const db = await open();
    await assert.rejects(migrate(db, { dir: migrations }), (error: unknown) => {
      assert.ok(error instanceof MigrationError);
      assert.equal(error.code, "failed");
      assert.match(error.message, /901_bad\.sql' failed and was rolled back/);
      return true;
    });
    const versions = await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY 1");
    assert.deepEqual(versions.map((v) => v.version), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 900]);
    const half = await db.all("SELECT table_name FROM duckdb_tables() WHERE table_name = 'half'");
    assert.equal(half.length, 0, "the failed migration left nothing behind");
    writeFileSync(join(migrations, "901_bad.sql"), "CREATE TABLE half (x INTEGER);");
    // A migration that failed was never recorded, so fixing it is allowed.
    assert.deepEqual(await migrate(db, { dir: migrations }), ["901_bad.sql"]);
  });
});

test("migrate() refuses badly named and duplicate migrations", async () => {
  await withTemp(async (dir, open) => {
    const migrations = copyMigrations(dir);
    const db = await open();
    writeFileSync(join(migrations, "2-oops.sql"), "SELECT 1;");
    await assert.rejects(migrate(db, { dir: migrations }), { code: "bad-name" });
    unlinkSync(join(migrations, "2-oops.sql"));
    writeFileSync(join(migrations, "001_again.sql"), "SELECT 1;");
    await assert.rejects(migrate(db, { dir: migrations }), { code: "duplicate-version" });
  });
});

test("migrate() 004-006 keep every contact of a 003 database and store the scanned, sorted and fetched text columns uncompressed", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 3) });
    await db.run(`INSERT INTO contacts (first_name, last_name, company_name, email, email_key, company_name_sort, search_text)
      SELECT 'Ann', 'Lee ' || i, 'Acme ' || i, 'a' || i || '@b.co', 'a' || i || '@b.co', 'acme ' || i, 'ann lee ' || i || ' a' || i || '@b.co' FROM range(5000) r(i)`);
    const rows = "SELECT * EXCLUDE (company_name_sort, search_text), company_name_sort, search_text FROM contacts ORDER BY id";
    const before = await db.all(rows);
    const columns = "SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_name = 'contacts' ORDER BY ordinal_position";
    const shape = await db.all(columns);
    assert.deepEqual(await migrate(db), ["004_uncompressed_search.sql", "005_links_by_contact.sql", "006_uncompressed_fields.sql", "007_links_without_pair_key.sql", "008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    assert.deepEqual(await db.all(rows), before);
    assert.deepEqual(await db.all(columns), shape, "the same columns, in the same order, with the same defaults");
    const next = await db.one<{ id: number }>("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('B', 'C', 'new@b.co', 'new@b.co') RETURNING id");
    assert.equal(Number(next!.id), 5001, "the id sequence goes on");
    await assert.rejects(db.run("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('B', 'C', 'a1@b.co', 'a1@b.co')"), /constraint|Duplicate/i);
    await db.run("CHECKPOINT");
    const stored = await db.all<{ column_name: string; compression: string }>(
      "SELECT DISTINCT column_name, compression FROM pragma_storage_info('contacts') WHERE column_name IN ('search_text', 'company_name_sort', 'first_name_sort', 'last_name_sort', 'company_name', 'email') AND segment_type = 'VARCHAR' AND compression <> 'Constant' ORDER BY 1",
    );
    assert.deepEqual(stored, [
      { column_name: "company_name", compression: "Uncompressed" },
      { column_name: "company_name_sort", compression: "Uncompressed" },
      { column_name: "email", compression: "Uncompressed" },
      { column_name: "first_name_sort", compression: "Uncompressed" },
      { column_name: "last_name_sort", compression: "Uncompressed" },
      { column_name: "search_text", compression: "Uncompressed" },
    ]);
  });
});

test("migrate() 007 keeps every link of a 006 database, its foreign key and its index by contact, and drops only the pair key", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 6) });
    await db.run(`INSERT INTO departments (name) VALUES ('Sales'), ('Ops'), ('HR');
      INSERT INTO contacts (first_name, last_name, email, email_key) SELECT 'Ann', 'Lee ' || i, 'a' || i || '@b.co', 'a' || i || '@b.co' FROM range(3000) r(i);
      INSERT INTO contact_departments (contact_id, department_id, created_at)
        SELECT c.id, d.id, TIMESTAMPTZ '2026-01-02 03:04:05+00' + to_seconds(c.id) FROM contacts c JOIN departments d ON (c.id + d.id) % 3 <> 0`);
    const links = "SELECT contact_id, department_id, created_at FROM contact_departments ORDER BY 1, 2";
    const before = await db.all(links);
    assert.equal(before.length, 6000);
    const columns = "SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_name = 'contact_departments' ORDER BY ordinal_position";
    const shape = await db.all(columns);
    assert.deepEqual(await migrate(db), ["007_links_without_pair_key.sql", "008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    assert.deepEqual(await db.all(links), before);
    assert.deepEqual(await db.all(columns), shape, "the same columns, in the same order, with the same defaults");
    const constraints = await db.all<{ type: string }>("SELECT constraint_type AS type FROM duckdb_constraints() WHERE table_name = 'contact_departments' AND constraint_type <> 'NOT NULL' ORDER BY 1");
    assert.deepEqual(constraints.map((c) => c.type), ["FOREIGN KEY"]);
    const indexes = await db.all<{ name: string }>("SELECT index_name AS name FROM duckdb_indexes() WHERE table_name = 'contact_departments'");
    assert.deepEqual(indexes.map((i) => i.name), ["contact_departments_contact"]);
    await assert.rejects(db.run("INSERT INTO contact_departments (contact_id, department_id) VALUES (1, 9999)"), /foreign key/i);
    await assert.rejects(db.run("INSERT INTO contact_departments (contact_id) VALUES (1)"), /NOT NULL/i);
    // Departments still know the table that points at them: one no longer linked can be deleted.
    await db.run("DELETE FROM contact_departments WHERE department_id = 3; DELETE FROM departments WHERE id = 3");
    assert.deepEqual(await db.all("SELECT name FROM departments ORDER BY id"), [{ name: "Sales" }, { name: "Ops" }]);
  });
});

test("migrate() 007 stops, and changes nothing, when the links table has a column it does not know", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 6) });
    await db.run(`INSERT INTO departments (name) VALUES ('Sales');
      INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('Ann', 'Lee', 'a@b.co', 'a@b.co');
      ALTER TABLE contact_departments ADD COLUMN role VARCHAR;
      INSERT INTO contact_departments (contact_id, department_id, role) VALUES (1, 1, 'lead')`);
    const before = await db.all("SELECT * FROM contact_departments");
    await assert.rejects(migrate(db), (error: unknown) => error instanceof MigrationError && error.code === "failed" && /007_links_without_pair_key\.sql/.test(error.message));
    assert.deepEqual(await db.all("SELECT * FROM contact_departments"), before, "the column and its values are still there");
    const recorded = await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY 1");
    assert.deepEqual(recorded.map((r) => r.version), [1, 2, 3, 4, 5, 6]);
  });
});

test("migrate() 008 keeps every contact in its place, drops only the e-mail CHECK, and a load's update then stays in place", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 7) });
    // Stored out of id order, as loads write them (by state and city).
    await db.run(`INSERT INTO contacts (id, first_name, last_name, state, email, email_key, first_name_sort)
      SELECT i, 'Ann', 'Lee ' || i, ['TX', 'CA', 'NY'][i % 3 + 1], 'A' || i || '@b.co', 'a' || i || '@b.co', 'ann' FROM range(1, 3001) r(i) ORDER BY i % 3, i DESC`);
    const stored = "SELECT * FROM contacts"; // no ORDER BY: the order they are stored in
    const before = await db.all(stored);
    const columns = "SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_name = 'contacts' ORDER BY ordinal_position";
    const shape = await db.all(columns);
    const constraintsSql = "SELECT constraint_type AS type, constraint_text AS text FROM duckdb_constraints() WHERE table_name = 'contacts' ORDER BY 1, 2";
    const constraints = await db.all<{ type: string; text: string }>(constraintsSql);
    assert.deepEqual(await migrate(db), ["008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    assert.deepEqual(await db.all(stored), before, "every row and value, in the same order");
    assert.deepEqual(await db.all(columns), shape);
    assert.deepEqual(await db.all(constraintsSql), constraints.filter((c) => c.text !== "CHECK((email_key = lower(email)))"));
    assert.equal(constraints.length - (await db.all(constraintsSql)).length, 1);
    await assert.rejects(db.run("INSERT INTO contacts (first_name, last_name, email, email_key) VALUES ('B', 'C', 'x@y.co', 'a7@b.co')"), /Duplicate key/);
    // What the migration is for: an update without RETURNING (a load's) keeps the row where it is.
    const rowid = async () => (await db.one<{ r: bigint }>("SELECT rowid AS r FROM contacts WHERE id = 2"))!.r;
    const at = await rowid();
    await db.run("UPDATE contacts SET phone1 = '555-0100', version = version + 1 WHERE id = 2");
    assert.equal(await rowid(), at);
  });
});

test("migrate() 008 stops, and changes nothing, when contacts has a column it does not know", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 7) });
    await db.run(`ALTER TABLE contacts ADD COLUMN title VARCHAR;
      INSERT INTO contacts (first_name, last_name, email, email_key, title) VALUES ('Ann', 'Lee', 'a@b.co', 'a@b.co', 'Dr')`);
    const before = await db.all("SELECT * FROM contacts");
    await assert.rejects(migrate(db), (error: unknown) => error instanceof MigrationError && error.code === "failed" && /008_email_key_without_check\.sql/.test(error.message));
    assert.deepEqual(await db.all("SELECT * FROM contacts"), before, "the column and its values are still there");
    const recorded = await db.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY 1");
    assert.deepEqual(recorded.map((r) => r.version), [1, 2, 3, 4, 5, 6, 7]);
    // The way out etl/contacts/README.md gives: the column added to 008's table, which has not run.
    const edited = copyMigrations(dir);
    const file = join(edited, "008_email_key_without_check.sql");
    writeFileSync(file, readFileSync(file, "utf8").replace("  CHECK (updated_at >= created_at)\n);", "  title VARCHAR,\n  CHECK (updated_at >= created_at)\n);"));
    assert.deepEqual(await migrate(db, { dir: edited }), ["008_email_key_without_check.sql", "009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    assert.deepEqual(await db.all("SELECT * FROM contacts"), before);
  });
});

test("migrate() 009 folds the Greek final sigma as etl/text fold() does, rewriting only the rows that hold one", async () => {
  await withTemp(async (dir, open) => {
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 8) });
    // Stored by a write of the code before: its fold kept the typed ς.
    const write = (id: number, first: string, last: string, email: string) =>
      db.run(
        `INSERT INTO contacts (id, first_name, last_name, email, email_key, first_name_sort, last_name_sort, search_text)
         VALUES ($1, $2, $3, $4, lower($4), fold($2), fold($3), fold($2) || ' ' || fold($3) || ' ' || fold($4))`,
        [id, first, last, email],
      );
    await write(1, "Γιώργος", "Παπαδόπουλος", "g@example.com");
    await write(2, "Ann", "Lee", "ann@example.com");
    const row = (id: number) => db.one<{ last_name_sort: string; search_text: string; rid: bigint }>("SELECT last_name_sort, search_text, rowid AS rid FROM contacts WHERE id = $1", [id]);
    assert.equal((await row(1))!.last_name_sort, "παπαδοπουλος");
    const ann = await row(2);
    assert.deepEqual(await migrate(db), ["009_fold_final_sigma.sql", "010_contact_loads_run.sql", "011_merge_folded_departments.sql", "012_drop_merged_departments.sql", "013_merge_spaced_departments.sql", "014_drop_spaced_departments.sql", "015_merge_unseen_departments.sql", "016_drop_unseen_departments.sql"]);
    assert.equal((await row(1))!.last_name_sort, fold("ΠΑΠΑΔΟΠΟΥΛΟΣ"));
    assert.equal((await row(1))!.search_text, `${fold("Γιώργος")} ${fold("Παπαδόπουλος")} g@example.com`);
    assert.deepEqual(await row(2), ann, "a row without ς is not written again");
    assert.equal((await db.one<{ f: string }>("SELECT fold('ΟΔΟΣ') AS f"))!.f, fold("οδος"));
  });
});

test("migrate() makes one the departments the final-sigma fold equates, as a fresh load of the same lines has them: each link kept once, the contacts it moved given a new version", async () => {
  await withTemp(async (dir, open) => {
    // Lines a load of the code before stored as two departments: its fold kept the typed ς.
    const lines = [
      ["ann@example.com", "ΟΔΟΣ"],
      ["bob@example.com", "οδος"],
      ["cy@example.com", "ΟΔΟΣ"],
      ["cy@example.com", "οδος"],
      ["dee@example.com", "Sales"],
    ];
    const db = await open();
    await migrate(db, { dir: shippedUpTo(dir, 8) });
    await db.run("INSERT INTO departments (id, name) VALUES (1, 'ΟΔΟΣ'), (2, 'οδος'), (3, 'Sales')");
    for (const [i, email] of ["ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"].entries()) {
      await db.run(
        `INSERT INTO contacts (id, first_name, last_name, email, email_key, first_name_sort, last_name_sort, search_text)
         VALUES ($1, 'A', 'B', $2, $2, 'a', 'b', 'a b ' || $2)`,
        [i + 1, email],
      );
    }
    await db.run("INSERT INTO contact_departments (contact_id, department_id) VALUES (1, 1), (2, 2), (3, 1), (3, 2), (4, 3)");
    await migrate(db);
    const state = async (of: Database) => ({
      departments: (await of.all<{ name: string }>("SELECT name FROM departments ORDER BY name")).map((d) => d.name),
      links: (
        await of.all<{ email: string; name: string }>(
          "SELECT c.email, d.name FROM contact_departments l JOIN contacts c ON c.id = l.contact_id JOIN departments d ON d.id = l.department_id ORDER BY c.email, d.name",
        )
      ).map((l) => `${l.email} ${l.name}`),
    });

    const fresh = await Database.open(join(dir, "fresh.duckdb"));
    try {
      await migrate(fresh);
      const csv = join(dir, "same.csv");
      writeFileSync(csv, `first_name,last_name,email,department\n${lines.map(([email, department]) => `A,B,${email},${department}`).join("\n")}\n`);
      await ingestContacts(fresh, csv);
      assert.deepEqual(await state(db), await state(fresh));
    } finally {
      fresh.close();
    }
    assert.deepEqual(await state(db), { departments: ["Sales", "ΟΔΟΣ"], links: ["ann@example.com ΟΔΟΣ", "bob@example.com ΟΔΟΣ", "cy@example.com ΟΔΟΣ", "dee@example.com Sales"] });
    const versions = await db.all<{ id: number; version: number }>("SELECT id, version FROM contacts ORDER BY id");
    assert.deepEqual(versions.map((v) => Number(v.version)), [1, 2, 2, 1], "bob's and cy's departments changed: new ETags; ann's and dee's did not");
  });
});
