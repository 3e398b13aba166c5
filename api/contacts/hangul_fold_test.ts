// Korean text folds the same on both backends and in etl/text fold(): composed (NFC), as DuckDB's
// strip_accents() leaves it. PostgreSQL's fold() left it decomposed into jamo, so sort=first_name put
// 김민수 before 李小龙 there and after it on DuckDB, and q=기 (a syllable that is only the start of
// 김) found 김민수 on PostgreSQL only. The PostgreSQL half runs with TEST_POSTGRES_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { defaultPostgresMigrationsDir, migratePostgres } from "../../etl/contacts/mod.ts";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { fold } from "../../etl/text/mod.js";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { postContact, raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

const NAMES = ["김민수", "李小龙", "Zed", "ᄀ"];
// Code point order of the composed folds (z < U+1100 ᄀ < U+674E 李 < U+AC00 김), as both databases
// compare sort keys (bytes / COLLATE "C").
const BY_FOLD = ["Zed", "ᄀ", "李小龙", "김민수"];

const backends = [
  { name: "DuckDB", skip: false as const, databaseUrl: async (_dir: string) => undefined },
  { name: "PostgreSQL", skip: POSTGRES_SKIP, databaseUrl: (dir: string) => postgresDatabaseFor(dir) },
];

test("etl/text fold() keeps Korean syllables composed", () => {
  assert.equal(fold("김민수"), "김민수".normalize("NFC"));
  assert.equal(fold("\u1100\u1175"), "기"); // jamo compose like DuckDB's strip_accents()
  const byFold = [...NAMES].sort((a, b) => (fold(a) < fold(b) ? -1 : fold(a) > fold(b) ? 1 : 0));
  assert.deepEqual(byFold, BY_FOLD);
});

for (const backend of backends) {
  test(`${backend.name}: Hangul names sort and match by q as etl/text fold() says`, { skip: backend.skip }, async () => {
    const { dir, cleanup } = tempDir();
    const server = await testServer(dir, { databaseUrl: await backend.databaseUrl(dir) });
    try {
      for (const [i, name] of NAMES.entries()) {
        assert.equal((await postContact(server.url, { first_name: name, last_name: "Han", email: `han${i}@example.com` })).status, 201);
      }
      const sorted = (await raw(server.url, { path: "/contacts?sort=first_name" })).json().items.map((c: { first_name: string }) => c.first_name);
      assert.deepEqual(sorted, BY_FOLD);
      const csv = (await raw(server.url, { path: "/contacts?sort=first_name&format=csv" })).text.trim().split("\r\n").slice(1).map((l) => l.split(",")[1]);
      assert.deepEqual(csv, BY_FOLD);
      assert.equal((await raw(server.url, { path: `/contacts?count=true&q=${encodeURIComponent("김민")}` })).json().total, 1);
      assert.equal((await raw(server.url, { path: `/contacts?count=true&q=${encodeURIComponent("기")}` })).json().total, 0);
    } finally {
      await server.close();
      cleanup();
    }
  });
}

test("PostgreSQL: migration 004 folds again the Hangul rows 002 stored decomposed", { skip: POSTGRES_SKIP }, async () => {
  const { dir, cleanup } = tempDir();
  const pg = await PostgresDatabase.connect(await postgresDatabaseFor(dir), { max: 1 });
  try {
    const upTo002 = join(dir, "m");
    mkdirSync(upTo002);
    for (const f of ["001_contacts.sql", "002_fold_everywhere.sql"]) copyFileSync(join(defaultPostgresMigrationsDir, f), join(upTo002, f));
    await migratePostgres(pg, { dir: upTo002 });
    await pg.run(
      "INSERT INTO contacts (first_name, last_name, email, email_key, first_name_sort, last_name_sort, search_text) VALUES ($1, 'Han', 'k@example.com', 'k@example.com', fold($1), 'han', fold($1) || ' han k@example.com')",
      ["김민수"],
    );
    await migratePostgres(pg);
    const row = await pg.one<{ first_name_sort: string; search_text: string }>("SELECT first_name_sort, search_text FROM contacts");
    assert.equal(row?.first_name_sort, fold("김민수"));
    assert.equal(row?.search_text, `${fold("김민수")} han k@example.com`);
  } finally {
    await pg.close();
    cleanup();
  }
});
