// The database enforces the contact rules on its own, and the DuckDB 1.5 index caveats that shaped
// migrations/001_contacts.sql still hold (if DuckDB lifts them, the "still refuses" test fails and
// the missing foreign key on contact_departments.contact_id can come back).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Database } from "../db/mod.ts";
import { contactSql, LINK_NAMES, readSql, WRITE_CHECK } from "./contact_sql.ts";
import { contactRecord } from "./contact_record.ts";
import { migrate } from "./migrate.ts";

async function withDb(fn: (db: Database) => Promise<void>): Promise<void> {
  const db = await Database.open(":memory:");
  try {
    await migrate(db);
    await fn(db);
  } finally {
    db.close();
  }
}

const base = {
  first_name: "Ann",
  last_name: "Lee",
  company_name: null,
  address: null,
  city: null,
  state: "NY",
  zip: "08014",
  phone1: null,
  phone2: null,
  email: "Ann@Example.com",
};

async function insert(db: Database, fields: Record<string, string | null> = {}): Promise<number> {
  const value: Record<string, string | null> = { ...base, ...fields };
  const row = await db.one<{ id: number }>(contactSql.insert, contactSql.columns.map((c) => value[c] ?? null));
  return row!.id;
}

async function link(db: Database, contactId: number, department: string): Promise<void> {
  await db.run("INSERT INTO departments (name) VALUES ($1) ON CONFLICT DO NOTHING", [department]);
  await db.run(
    "INSERT INTO contact_departments (contact_id, department_id) SELECT $1, id FROM departments WHERE name = $2",
    [contactId, department],
  );
}

test("contacts table constraints", async (t) => {
  await withDb(async (db) => {
    const id = await insert(db);
    const row = await db.one<{ email_key: string; version: number }>("SELECT email_key, version FROM contacts WHERE id = $1", [id]);
    assert.deepEqual(row, { email_key: "ann@example.com", version: 1 });
    const refused = async (fields: Record<string, string | null>, pattern: RegExp) =>
      assert.rejects(insert(db, { email: "other@example.com", ...fields }), pattern);
    await t.test("e-mail unique without regard to case", () => refused({ email: "ANN@example.COM" }, /Duplicate key/));
    await t.test("state is two letters A-Z", async () => {
      await refused({ state: "ny" }, /CHECK/);
      await refused({ state: "NYC" }, /CHECK/);
    });
    await t.test("zip is a text ZIP code", () => refused({ zip: "8014" }, /CHECK/));
    await t.test("names are required", async () => {
      await refused({ first_name: null }, /NOT NULL/);
      await refused({ last_name: "" }, /CHECK/);
    });
    await t.test("lengths", () => refused({ city: "x".repeat(101) }, /CHECK/));
    await t.test("email_key is lower(email), as the writers derive it (008 took the CHECK away)", async () => {
      const key = async (id: number) => (await db.one<{ k: string }>("SELECT email_key AS k FROM contacts WHERE id = $1", [id]))?.k;
      const other = await insert(db, { email: "Mixed.Case@Example.COM" });
      assert.equal(await key(other), "mixed.case@example.com");
      await db.run(contactSql.update(["email"]), ["Other.Case@Example.COM", other]);
      assert.equal(await key(other), "other.case@example.com");
      // A load's inserts use the same derived columns, and its updates never set it (people are
      // matched on it); ingest_contacts_test.ts checks a load, contacts_regression_test.ts a write group.
      assert.ok(contactSql.derivedSets(["email"], () => "'X@Y.io'").includes(`"email_key" = lower('X@Y.io')`));
    });
    await t.test("department names are unique; links need a department; a pair is kept once by its writers, not by a key", async () => {
      await db.run("INSERT INTO departments (name) VALUES ('Sales')");
      await assert.rejects(db.run("INSERT INTO departments (name) VALUES ('Sales')"), /Duplicate key/);
      await assert.rejects(db.run("INSERT INTO contact_departments VALUES ($1, 9999, DEFAULT)", [id]), /foreign key/i);
      await link(db, id, "Sales");
      // Migration 007 took the (contact_id, department_id) key away (every relinking write paid for
      // it); the loads and the API write each pair once, and their tests look for a pair stored twice.
      await link(db, id, "Sales");
      const pairs = await db.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM contact_departments WHERE contact_id = $1", [id]);
      assert.equal(pairs?.n, 2, "DuckDB stores a pair twice if told to");
    });
  });
});

test("contactSql.update() bumps version and can change a linked contact's e-mail", async () => {
  await withDb(async (db) => {
    const id = await insert(db);
    await link(db, id, "Sales");
    const v2 = await db.one<{ version: number }>(contactSql.update(["city", "state"]), ["Albany", "NY", id]);
    assert.equal(v2?.version, 2);
    // The e-mail key is indexed: DuckDB turns this UPDATE into delete + insert of the row.
    const v3 = await db.one<{ version: number }>(contactSql.update(["email"], { ifVersion: true }), ["ann.lee@example.com", id, 2]);
    assert.equal(v3?.version, 3);
    const stale = await db.all(contactSql.update(["city"], { ifVersion: true }), ["Troy", id, 2]);
    assert.equal(stale.length, 0, "a stale version updates nothing");
    const other = await insert(db, { email: "bob@example.com" });
    await assert.rejects(db.run(contactSql.update(["email"]), ["ANN.LEE@example.com", other]), /Duplicate key/);
    const row = await db.one("SELECT email, email_key, city, version FROM contacts WHERE id = $1", [id]);
    assert.deepEqual(row, { email: "ann.lee@example.com", email_key: "ann.lee@example.com", city: "Albany", version: 3 });
  });
});

test("deleting a contact and its links is one transaction", async () => {
  await withDb(async (db) => {
    const id = await insert(db);
    await link(db, id, "Sales");
    await link(db, id, "HR");
    await db.transaction(async (tx) => {
      await tx.run("DELETE FROM contact_departments WHERE contact_id = $1", [id]);
      await tx.run("DELETE FROM contacts WHERE id = $1", [id]);
    });
    const left = await db.one<{ n: number }>(
      "SELECT count(*)::INTEGER n FROM contact_departments l WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = l.contact_id)",
    );
    assert.equal(left?.n, 0);
  });
});

test("DuckDB still refuses to delete or re-key a row a foreign key points at, even in one transaction", async () => {
  const db = await Database.open(":memory:");
  try {
    await db.run(`CREATE TABLE p (id INTEGER PRIMARY KEY, k VARCHAR UNIQUE);
                  CREATE TABLE c (p_id INTEGER REFERENCES p (id), n INTEGER);
                  INSERT INTO p VALUES (1, 'a'); INSERT INTO c VALUES (1, 1);`);
    // Why migrations/001_contacts.sql has no FK from contact_departments.contact_id to contacts.
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run("DELETE FROM c WHERE p_id = 1");
        await tx.run("DELETE FROM p WHERE id = 1");
      }),
      /foreign key/,
    );
    await assert.rejects(db.run("UPDATE p SET k = 'b' WHERE id = 1"), /foreign key/);
    // Here a column no index covers updates in place; the contacts table differs (next test).
    await db.run("ALTER TABLE p ADD COLUMN note VARCHAR");
    await db.run("UPDATE p SET note = 'fine' WHERE id = 1");
  } finally {
    db.close();
  }
});

test("an update with RETURNING moves a contact to the table's end; one without stays in place (008)", async () => {
  // DuckDB 1.5 (TableCatalogEntry::BindUpdateConstraints) runs an UPDATE that sets an indexed column
  // as a delete and an insert, and an UPDATE ... RETURNING sets every column, the indexed id and
  // email_key among them: the API's writes move the rows they update to the table's end, out of the
  // state and city order loads write. A load's UPDATE has no RETURNING; until migration 008 the
  // CHECK (email_key = lower(email)) made every update set email_key too, so it moved them as well.
  // If this fails, DuckDB updates in place again: etl/contacts/README.md, step 6, says otherwise.
  await withDb(async (db) => {
    const ann = await insert(db);
    await insert(db, { email: "bob@example.com" });
    const rowid = async () => Number((await db.one<{ r: bigint }>("SELECT rowid AS r FROM contacts WHERE id = $1", [ann]))!.r);
    const before = await rowid();
    await db.run("UPDATE contacts SET phone1 = '555-0100', version = version + 1 WHERE id = $1", [ann]);
    assert.equal(await rowid(), before, "a load's update stays in place");
    await db.run(contactSql.update(["phone1"]), ["555-0101", ann]);
    assert.notEqual(await rowid(), before, "the API's update, with RETURNING, moved the row");
  });
});

test("the unique e-mail key is not over-eager inside a transaction", async (t) => {
  await withDb(async (db) => {
    const ann = await insert(db, { email: "ann@example.com" });
    const bob = await insert(db, { email: "bob@example.com" });
    await link(db, ann, "Sales");
    await t.test("two contacts swap e-mail addresses in one transaction", async () => {
      await db.transaction(async (tx) => {
        await tx.run(contactSql.update(["email"]), ["swap@example.invalid", ann]);
        await tx.run(contactSql.update(["email"]), ["ann@example.com", bob]);
        await tx.run(contactSql.update(["email"]), ["bob@example.com", ann]);
      });
      const rows = await db.all<{ id: number; email_key: string }>("SELECT id, email_key FROM contacts ORDER BY id");
      assert.deepEqual(rows, [
        { id: ann, email_key: "bob@example.com" },
        { id: bob, email_key: "ann@example.com" },
      ]);
    });
    await t.test("a deleted contact's e-mail can be reused in the same transaction", async () => {
      await db.transaction(async (tx) => {
        await tx.run("DELETE FROM contact_departments WHERE contact_id = $1", [bob]);
        await tx.run("DELETE FROM contacts WHERE id = $1", [bob]);
        await insert(tx, { email: "ANN@example.com" });
      });
      const n = await db.one<{ n: number }>("SELECT count(*)::INTEGER n FROM contacts WHERE email_key = 'ann@example.com'");
      assert.equal(n?.n, 1);
    });
  });
});

interface PlanNode {
  operator_type?: string;
  extra_info?: Record<string, string>;
  children?: PlanNode[];
}

/** How `sql` read `table` when it ran (DuckDB decides on an index scan while running, so EXPLAIN alone does not say). */
async function scansOf(db: Database, sql: string, params: unknown[], table: string): Promise<string[]> {
  await db.run("PRAGMA enable_profiling = 'json'");
  try {
    const [row] = await db.all<{ explain_value: string }>(`EXPLAIN ANALYZE ${sql}`, params);
    const found: string[] = [];
    const walk = (node: PlanNode) => {
      if (node.operator_type === "TABLE_SCAN" && node.extra_info?.Table?.endsWith(`.${table}`)) found.push(node.extra_info.Type ?? "?");
      for (const child of node.children ?? []) walk(child);
    };
    walk(JSON.parse(row.explain_value) as PlanNode);
    return found;
  } finally {
    await db.run("PRAGMA disable_profiling");
  }
}

test("a contact's departments are found through an index, not by scanning every link", async () => {
  await withDb(async (db) => {
    await db.run("INSERT INTO departments (name) VALUES ('Sales'), ('Support')");
    await db.run(`INSERT INTO contacts (first_name, last_name, email, email_key) SELECT 'A', 'B', 'a' || i || '@b.co', 'a' || i || '@b.co' FROM range(20000) r(i)`);
    await db.run("INSERT INTO contact_departments (contact_id, department_id) SELECT c.id, d.id FROM contacts c, departments d");
    const reads = readSql(contactRecord, "duckdb");
    // The links of a point read, and of a page's contacts.
    assert.deepEqual(await scansOf(db, reads.linksByIds!, [[123]], "contact_departments"), ["Index Scan"]);
    assert.deepEqual(await scansOf(db, reads.linksByIds!, [[5, 7000, 19000]], "contact_departments"), ["Index Scan"]);
    // And the departments a write answers with when it did not relink them.
    assert.deepEqual(await scansOf(db, LINK_NAMES, [123], "contact_departments"), ["Index Scan"]);
    assert.deepEqual((await db.all<{ name: string }>(LINK_NAMES, [123])).map((r) => r.name), ["Sales", "Support"]);
    const rows = await db.all<{ id: number; name: string }>(reads.linksByIds!, [[5, 7000]]);
    assert.deepEqual(rows.map((r) => `${r.id} ${r.name}`).sort(), ["5 Sales", "5 Support", "7000 Sales", "7000 Support"]);
  });
});

test("a contact's own text fields are stored uncompressed, so reading a row by id decodes no neighbours", async () => {
  await withDb(async (db) => {
    await db.run(`INSERT INTO contacts (first_name, last_name, company_name, address, phone1, phone2, email, email_key)
      SELECT 'Ann' || (i % 97), 'Lee' || (i % 89), 'Acme ' || (i % 83), i || ' Main St', '555-' || i, '556-' || i, 'a' || i || '@b.co', 'a' || i || '@b.co' FROM range(30000) r(i)`);
    await db.run("CHECKPOINT");
    const rows = await db.all<{ column_name: string; compression: string }>(
      "SELECT DISTINCT column_name, compression FROM pragma_storage_info('contacts') WHERE segment_type = 'VARCHAR' AND compression <> 'Constant'",
    );
    const of = (column: string) => rows.filter((r) => r.column_name === column).map((r) => r.compression);
    for (const column of ["first_name", "last_name", "company_name", "address", "phone1", "phone2", "email"]) {
      assert.deepEqual(of(column), ["Uncompressed"], column);
    }
  });
});

test("a write's check finds the contact and the e-mail's owner through indexes, not by scanning every contact", async () => {
  await withDb(async (db) => {
    await db.run(`INSERT INTO contacts (first_name, last_name, email, email_key) SELECT 'A', 'B', 'a' || i || '@b.co', 'a' || i || '@b.co' FROM range(20000) r(i)`);
    // An update of contact 5 to another's e-mail, to its own, and a create (id 0) of a new one.
    for (const params of [[5, "a70@b.co"], [5, "a4@b.co"]]) {
      assert.deepEqual(await scansOf(db, WRITE_CHECK, params, "contacts"), ["Index Scan", "Index Scan"], String(params));
    }
    // (DuckDB may answer this one without scanning at all: no id 0, no such key.)
    assert.ok(!(await scansOf(db, WRITE_CHECK, [0, "new@b.co"], "contacts")).includes("Sequential Scan"));
    const rows = await db.all<{ id: number }>(WRITE_CHECK, [5, "a70@b.co"]);
    assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), [5, 71]);
  });
});
