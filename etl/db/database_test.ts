import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, quoteIdent } from "./database.ts";

test("Database.open() writes a real file and reads it back read-only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "db-test-"));
  try {
    const path = join(dir, "t.duckdb");
    const db = await Database.open(path);
    await db.run("create table t (id integer primary key, name varchar not null)");
    await db.run("insert into t values ($1, $2)", [1, "Ñandú"]);
    db.close();
    db.close();
    const ro = await Database.open(path, { readOnly: true });
    try {
      assert.deepEqual(await ro.all("select id, name from t"), [{ id: 1, name: "Ñandú" }]);
      await assert.rejects(ro.run("insert into t values (2, 'x')"));
    } finally {
      ro.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Database.transaction() rolls back on a throw", async () => {
  const db = await Database.open(":memory:");
  try {
    await db.run("create table t (id integer)");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.run("insert into t values (1)");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(await db.all("select count(*)::integer as n from t"), [{ n: 0 }]);
  } finally {
    db.close();
  }
});

test("quoteIdent() doubles embedded quotes", () => {
  assert.equal(quoteIdent('a"b'), '"a""b"');
});
