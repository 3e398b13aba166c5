import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db.ts";
import { ContactsCsvError, ingestContacts, type IngestSummary } from "./ingest_contacts.ts";
import { migrate } from "./migrate.ts";

const usersCsv = fileURLToPath(new URL("../../../shared/seed-data/sample.csv", import.meta.url));
const ourCsv = fileURLToPath(new URL("../../data/contacts.csv", import.meta.url));
const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";

async function withDb<T>(fn: (db: Database, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "contacts-ingest-"));
  const db = await Database.open(join(dir, "contacts.duckdb"));
  try {
    await migrate(db);
    return await fn(db, dir);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function csv(dir: string, text: string, name = "contacts.csv"): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function snapshot(db: Database): Promise<unknown> {
  return {
    contacts: await db.all("SELECT * FROM contacts ORDER BY id"),
    departments: await db.all("SELECT * FROM departments ORDER BY id"),
    links: await db.all("SELECT * FROM contact_departments ORDER BY contact_id, department_id"),
  };
}

function counts(s: IngestSummary) {
  return { inserted: s.inserted, updated: s.updated, unchanged: s.unchanged, rejected: s.rejected };
}

test("ingestContacts() on the users' CSV", { skip: existsSync(usersCsv) ? false : `no ${usersCsv}` }, async () => {
  await withDb(async (db) => {
    const first = await ingestContacts(db, usersCsv);
    assert.deepEqual(counts(first), { inserted: 100, updated: 0, unchanged: 0, rejected: 0 });
    assert.equal(first.rows, 106);
    assert.equal(first.departments, 7);
    assert.equal(first.links, 106);
    assert.equal(first.fixes, 12);
    assert.ok(first.fixed.every((f) => f.field === "zip" && f.to === `0${f.from}` && typeof f.line === "number"));
    const db1 = await snapshot(db);
    const n = await db.one<{ c: number; d: number; l: number; z: number }>(
      `SELECT (SELECT count(*) FROM contacts)::INTEGER c, (SELECT count(*) FROM departments)::INTEGER d,
              (SELECT count(*) FROM contact_departments)::INTEGER l,
              (SELECT count(*) FROM contacts WHERE length(zip) <> 5)::INTEGER z`,
    );
    assert.deepEqual(n, { c: 100, d: 7, l: 106, z: 0 });
    const second = await ingestContacts(db, usersCsv);
    assert.deepEqual(counts(second), { inserted: 0, updated: 0, unchanged: 100, rejected: 0 });
    assert.equal(second.links_added, 0);
    assert.deepEqual(await snapshot(db), db1, "a second run changes nothing");
  });
});

test("ingestContacts() on our generated sample", { skip: existsSync(ourCsv) ? false : `no ${ourCsv} yet` }, async () => {
  await withDb(async (db) => {
    const first = await ingestContacts(db, ourCsv);
    assert.ok(first.inserted > 0);
    assert.equal(first.inserted, first.contacts);
    for (const reject of first.rejects) assert.ok(reject.line === null || reject.line >= 2);
    const second = await ingestContacts(db, ourCsv);
    assert.equal(second.inserted + second.updated, 0);
    assert.equal(second.unchanged, first.contacts);
  });
});
