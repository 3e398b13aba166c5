import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, duckDbFailure, quoteIdent } from "./database.ts";

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

test("Database.chunkAppender() appends INTEGER and BOOLEAN rows, NULLs included, across chunks and flushes", async () => {
  const db = await Database.open(":memory:");
  try {
    await db.run("create table p (a integer, b integer, ab boolean, ba boolean)");
    // 300,000 rows: 147 chunks of 2048, two appender flushes on the way, a partial last chunk.
    const n = 300_000;
    const ab = (i: number) => (i % 3 === 0 ? null : i % 3 === 1);
    const ba = (i: number) => (i % 7 === 0 ? null : i % 2 === 0);
    const rows = await db.chunkAppender("p");
    try {
      for (let i = 0; i < n; i++) rows.int(i).int(i % 5 === 0 ? null : -i).bool(ab(i)).bool(ba(i)).endRow();
    } finally {
      rows.close();
    }
    const summary = await db.one<Record<string, number>>(
      `select count(*)::integer as n, sum(a)::double as sum_a, count(b)::integer as b_set, sum(b)::double as sum_b,
              count(ab)::integer as ab_set, sum(ab::integer)::integer as ab_true, count(ba)::integer as ba_set, sum(ba::integer)::integer as ba_true from p`,
    );
    let sumB = 0, abSet = 0, abTrue = 0, baSet = 0, baTrue = 0, bSet = 0;
    for (let i = 0; i < n; i++) {
      if (i % 5 !== 0) (bSet++, (sumB += -i));
      if (ab(i) !== null) (abSet++, (abTrue += ab(i) ? 1 : 0));
      if (ba(i) !== null) (baSet++, (baTrue += ba(i) ? 1 : 0));
    }
    assert.deepEqual(summary, { n, sum_a: (n * (n - 1)) / 2, b_set: bSet, sum_b: sumB, ab_set: abSet, ab_true: abTrue, ba_set: baSet, ba_true: baTrue });
    // Spot checks at chunk edges: validity bits must not leak from one chunk into the next.
    for (const i of [0, 1, 2047, 2048, 2049, 4095, 4096, n - 1]) {
      const row = await db.one<{ a: number; b: number | null; ab: boolean | null; ba: boolean | null }>("select * from p where a = $1", [i]);
      assert.deepEqual(row, { a: i, b: i % 5 === 0 ? null : -i, ab: ab(i), ba: ba(i) }, `row ${i}`);
    }
  } finally {
    db.close();
  }
});

test("Database.chunkAppender() refuses tables with columns it cannot copy, and rows of the wrong width", async () => {
  const db = await Database.open(":memory:");
  try {
    await db.run("create table t (id integer, name varchar)");
    await assert.rejects(db.chunkAppender("t"), (e: unknown) => e instanceof TypeError && /column 2 is VARCHAR/.test(e.message));
    await db.run("create table u (a integer, b integer)");
    const rows = await db.chunkAppender("u");
    try {
      assert.throws(() => rows.int(1).endRow(), RangeError);
    } finally {
      rows.close();
    }
  } finally {
    db.close();
  }
});

test("Database.connect({ statements }) answers repeated, concurrent and custom-planned queries with their own values", async () => {
  const db = await Database.open(":memory:");
  const reader = await db.connect({ statements: 2 });
  try {
    await db.run("create table t (id integer primary key, name varchar)");
    await db.run("insert into t select i, 'n' || i from range(100) r(i)");
    const byId = "select name from t where id = $1";
    for (const id of [3, 7, 3]) assert.deepEqual(await reader.all(byId, [id]), [{ name: `n${id}` }]);
    // The same text at once: each gets its own values (one runs unprepared while the other is bound).
    const names = await Promise.all([1, 2, 3, 4].map((id) => reader.one<{ name: string }>(byId, [id])));
    assert.deepEqual(names.map((r) => r?.name), ["n1", "n2", "n3", "n4"]);
    assert.deepEqual(await reader.all("select count(*)::integer as n from t where id < $1", [10], { plan: "custom" }), [{ n: 10 }]);
    // More texts than kept: the oldest go, every answer stays right; an empty list is still typed.
    for (let i = 0; i < 5; i++) assert.deepEqual(await reader.all(`select $1::integer + ${i} as v`, [1]), [{ v: 1 + i }]);
    assert.deepEqual(await reader.all("select count(*)::integer as n from t where id = any($1::integer[])", [[]]), [{ n: 0 }]);
    assert.deepEqual(await reader.all(byId, [8]), [{ name: "n8" }]);
    // Rows written after a statement was prepared are seen by its next run.
    await db.run("insert into t values (500, 'late')");
    assert.deepEqual(await reader.all(byId, [500]), [{ name: "late" }]);
  } finally {
    reader.close();
    db.close();
  }
});

test("Database.open({ statements }) keeps the writer's statements through transactions and a table replaced under them", async () => {
  const db = await Database.open(":memory:", { statements: 4 });
  try {
    await db.run("create table t (id integer primary key, name varchar)");
    const update = "update t set name = $2 where id = $1 returning id, name";
    await db.run("insert into t values (1, 'a')");
    assert.deepEqual(await db.all(update, [1, "b"]), [{ id: 1, name: "b" }]);
    assert.equal(db.statementsKept, 1, "kept on the connection open() made");
    // A rolled-back run leaves nothing, and the kept statement runs again afterwards.
    await assert.rejects(db.transaction(async (tx) => {
      await tx.all(update, [1, "c"]);
      throw new Error("roll back");
    }), /roll back/);
    assert.deepEqual(await db.all("select name from t", []), [{ name: "b" }]);
    assert.deepEqual(await db.all(update, [1, "d"]), [{ id: 1, name: "d" }]);
    assert.deepEqual(await db.all("select * from t where id = $1", [1]), [{ id: 1, name: "d" }]);
    // The table replaced with other columns (as a migration copies one): the same text binds anew.
    await db.run("drop table t; create table t (id integer primary key, name varchar, extra integer default 7); insert into t values (1, 'x', 8)");
    assert.deepEqual(await db.all(update, [1, "y"]), [{ id: 1, name: "y" }]);
    assert.deepEqual(await db.all("select * from t where id = $1", [1]), [{ id: 1, name: "y", extra: 8 }]);
  } finally {
    db.close();
  }
});

test("duckDbFailure tells DuckDB's out-of-memory and invalidated database from a statement's own error", async () => {
  const db = await Database.open(":memory:", { settings: { memory_limit: "1MB", threads: "1" } });
  try {
    const oom = await db.all("SELECT * FROM range(1000000) ORDER BY random()").then(() => undefined, (e: unknown) => e);
    assert.equal(duckDbFailure(oom), "out-of-memory", String(oom));
    const syntax = await db.run("SELEC 1").then(() => undefined, (e: unknown) => e);
    assert.equal(duckDbFailure(syntax), undefined);
  } finally {
    db.close();
  }
  // Not reproducible on demand: DuckDB's words for a database a fatal error has invalidated.
  const invalidated = new Error("FATAL Error: Failed: database has been invalidated because of a previous fatal error. The database must be restarted prior to being used again.");
  assert.equal(duckDbFailure(invalidated), "invalidated");
  for (const cause of ["failed to pin block of size 256.0 KiB (22.8 MiB/22.8 MiB used)", "could not allocate block of size 256.0 KiB", "failed to allocate data of size 32.0 MiB"]) {
    assert.equal(duckDbFailure(new Error(`TransactionContext Error: Failed to commit: ${cause}`)), "out-of-memory", cause);
  }
  assert.equal(duckDbFailure(new Error("TransactionContext Error: Failed to commit: PRIMARY KEY or UNIQUE constraint violation")), undefined);
  assert.equal(duckDbFailure("Out of Memory Error"), undefined, "only errors");
});
