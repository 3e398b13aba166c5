// SQL's fold() is etl/text fold() on every code point, alone and after a letter, on both backends:
// the same combining marks taken off (DuckDB's 013 and PostgreSQL's 005 list the same set, which is
// JavaScript's \p{M} on this Node), and only the letters both databases' lower() and normalize() do
// not know yet folding differently (etl/contacts/README.md, "Each backend folds with its own Unicode
// tables"). Before 013, DuckDB's strip_accents() kept the 93 marks Unicode 16 and 17 added, and
// this sweep found each of them. The PostgreSQL half runs with TEST_POSTGRES_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Database, PostgresDatabase } from "../db/mod.ts";
import { fold } from "../text/mod.js";
import { defaultMigrationsDir, defaultPostgresMigrationsDir, migrate, migratePostgres } from "./mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { tempDir } from "../../scripts/testing/api_server.ts";

/**
 * Letters of Unicode 16 and 17 that etl/text fold() lower-cases or decomposes (U+A7CB, Garay and
 * Beria Erfe capitals; Todhri and Tulu-Tigalari letters whose second half is a mark) and neither
 * database does yet: a known limit, alike on both (etl/text/fold.js).
 */
const NEWER_LETTERS = [
  0x1c89, 0xa7cb, 0xa7cc, 0xa7ce, 0xa7d2, 0xa7d4, 0xa7da, 0xa7dc, 0x105c9, 0x105e4, ...span(0x10d50, 0x10d65), 0x11383, 0x11385, 0x1138e, 0x11391,
  ...span(0x16ea0, 0x16eb8),
];

function span(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

const migrationFile = (name: string) => readFileSync(join(defaultMigrationsDir, name), "utf8");
const MIGRATION_013 = migrationFile("013_fold_unicode_17_marks.sql");

/** The code points of a regular-expression class of single code points and ranges (`\uXXXX`, `\UXXXXXXXX`, `\x{X}`). */
function classSet(cls: string): Set<number> {
  const body = cls.replace(/^\[|\]$/g, "");
  const one = String.raw`\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x\{([0-9a-fA-F]+)\})`;
  const token = new RegExp(`${one}(?:-${one})?`, "gy");
  const set = new Set<number>();
  let matched = 0;
  for (const m of body.matchAll(token)) {
    const first = parseInt(m[1] ?? m[2] ?? m[3], 16);
    const last = m[4] ?? m[5] ?? m[6] ? parseInt(m[4] ?? m[5] ?? m[6], 16) : first;
    for (let cp = first; cp <= last; cp++) set.add(cp);
    matched += m[0].length;
  }
  assert.equal(matched, body.length, `the class is only code points and ranges: ${cls.slice(0, 40)}...`);
  return set;
}

/** The classes quoted in `sql` that begin with `start`, in order. */
function classesIn(sql: string, start: string): string[] {
  return [...sql.matchAll(/'(\[[^']*\])'/g)].map((m) => m[1]).filter((c) => c.startsWith(start));
}

/** Every code point but the surrogates and NUL (neither database stores it). */
const CODE_POINTS = [...span(1, 0xd7ff), ...span(0xe000, 0x10ffff)];

/**
 * The code points whose SQL fold (`sqlFolds`: cp -> fold(prefix || chr(cp)), given only where it
 * is not the text itself) differs from etl/text fold() of the same text.
 */
function disagreements(prefix: string, sqlFolds: Map<number, string>): number[] {
  const out: number[] = [];
  for (const cp of CODE_POINTS) {
    const text = prefix + String.fromCodePoint(cp);
    if (fold(text) !== (sqlFolds.get(cp) ?? text)) out.push(cp);
  }
  return out;
}

const hex = (cps: readonly number[]) => cps.map((cp) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`);

test("DuckDB's fold() (013) and PostgreSQL's (005) take off the same marks, JavaScript's \\p{M}; 013 rewrites the rows of every mark its fold takes off anew", () => {
  const [duck] = classesIn(MIGRATION_013, "[\\x{0300}");
  const [pg] = classesIn(readFileSync(join(defaultPostgresMigrationsDir, "005_fold_ascii.sql"), "utf8"), "[\\u0300");
  const marks = CODE_POINTS.filter((cp) => /\p{M}/u.test(String.fromCodePoint(cp)));
  assert.deepEqual(hex([...classSet(duck)]), hex(marks));
  assert.deepEqual(hex([...classSet(pg)]), hex(marks));
});

test("DuckDB: fold() is etl/text fold() on every code point, alone and after a letter, but the letters newer than its tables", async () => {
  const db = await Database.open(":memory:");
  try {
    await migrate(db);
    // The fold before 013 beside it, to see which code points 013 changed.
    await db.run(migrationFile("009_fold_final_sigma.sql").match(/CREATE OR REPLACE MACRO fold\(x\) AS [^;]*;/)![0].replace("MACRO fold(x)", "MACRO fold_009(x)"));
    await db.run("CREATE TEMP TABLE cp AS SELECT range::INTEGER AS cp, chr(range::INTEGER) AS c FROM range(1, 1114112) WHERE range NOT BETWEEN 55296 AND 57343");
    const sqlFolds = async (prefix: string) => {
      const rows = await db.all<{ cp: number; f: string }>(`SELECT cp, fold($1 || c) AS f FROM cp WHERE fold($1 || c) <> $1 || c`, [prefix]);
      return new Map(rows.map((r) => [Number(r.cp), r.f]));
    };
    // Compared in SQL, where a value is kept: @duckdb/node-api drops a U+FEFF that begins a text it reads.
    assert.deepEqual(hex(disagreements("", await sqlFolds(""))), hex(NEWER_LETTERS));
    assert.deepEqual(hex(disagreements("a", await sqlFolds("a"))), hex(NEWER_LETTERS));
    // Every code point whose fold 013 changed is one its UPDATE looks for, so no stored fold is left stale.
    const [, rewritten] = classesIn(MIGRATION_013, "[\\x{");
    const changed = await db.all<{ cp: number }>(
      "SELECT cp FROM cp WHERE (fold(c) <> fold_009(c) OR fold('a' || c) <> fold_009('a' || c)) ORDER BY cp",
    );
    assert.deepEqual(hex(changed.map((r) => Number(r.cp))), hex([...classSet(rewritten)]));
  } finally {
    db.close();
  }
});

test("PostgreSQL: fold() is etl/text fold() on every code point, alone and after a letter, but the letters newer than its tables", { skip: POSTGRES_SKIP }, async () => {
  const { dir, cleanup } = tempDir();
  const pg = await PostgresDatabase.connect(await postgresDatabaseFor(dir), { max: 1 });
  try {
    await migratePostgres(pg);
    const sqlFolds = async (prefix: string) => {
      const rows = await pg.all<{ cp: number; f: string }>(
        `SELECT cp, f FROM (SELECT cp, fold($1 || chr(cp)) AS f, $1 || chr(cp) AS t FROM generate_series(1, 1114111) AS cp WHERE cp NOT BETWEEN 55296 AND 57343) s WHERE f <> t`,
        [prefix],
      );
      return new Map(rows.map((r) => [Number(r.cp), r.f]));
    };
    assert.deepEqual(hex(disagreements("", await sqlFolds(""))), hex(NEWER_LETTERS));
    assert.deepEqual(hex(disagreements("a", await sqlFolds("a"))), hex(NEWER_LETTERS));
  } finally {
    await pg.close();
    cleanup();
  }
});
