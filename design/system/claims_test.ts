// Holds the names design/system's prose gives to the code (problem codes, settings and constants,
// source files, migrations) to the code itself, so a renamed or removed one cannot stay described.
// The generated sections are model_test.ts's; the benchmark log (benchmarks.md) is history, not
// a description of today's code, and is left out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const here = fileURLToPath(new URL(".", import.meta.url));

/** The design documents, by path from the repository's root: every claim below is looked for there. */
function designTexts(): Map<string, string> {
  const files = ["README.md", "publication.md", "packages.md", "model.ts", ...readdirSync(join(here, "adr")).map((f) => join("adr", f))];
  return new Map(files.map((f) => [join("design/system", f), readFileSync(join(here, f), "utf8")]));
}

/** The product's source (api/, etl/; tests left out), as one text to search. */
function productSource(): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|sql)$/.test(entry.name) && !/_test\.ts$/.test(entry.name)) parts.push(readFileSync(join(root, path), "utf8"));
    }
  };
  walk("api");
  walk("etl");
  return parts.join("\n");
}

/** Every match of `pattern` in the documents (its first group that matched), with the file it is in. */
function claims(texts: Map<string, string>, pattern: RegExp): { file: string; name: string }[] {
  return [...texts].flatMap(([file, text]) => [...text.matchAll(pattern)].map((m) => ({ file, name: m[1] ?? m[2] })));
}

/** Problem codes named after a status (`503 database-locked`) or alone in backticks (`snapshot-copy-failed`). */
export const PROBLEM_CODE = /\b[45]\d\d `?([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b(?!-)|`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`/g;
/** Names in capitals with an underscore: settings (`PG_POOL_SIZE`) and constants (`UPLOAD_NAME`). */
export const CONSTANT = /\b([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b/g;
/** Source files of this repository named by their path. */
export const SOURCE_PATH = /(?<![\w/.-])((?:api|etl|scripts|design)\/[\w./-]*\.(?:ts|js|sql))\b/g;
/** A numbered DuckDB migration (`migration 007`). */
export const MIGRATION = /\bmigrations? (\d{3})\b/g;

/** Names the documents give that are not ours: npm packages, POSIX flags. */
const NOT_OURS = new Set(["duckdb-async", "O_APPEND"]);

/** The claims of `texts` whose name `exists` denies, as "file: name" lines. */
export function unsupported(texts: Map<string, string>, pattern: RegExp, exists: (name: string) => boolean): string[] {
  const bad = claims(texts, pattern).filter((c) => !NOT_OURS.has(c.name) && !exists(c.name));
  return [...new Set(bad.map((c) => `${c.file}: ${c.name}`))];
}

const source = productSource();
const codeExists = (name: string) => source.includes(`"${name}"`) || source.includes(`'${name}'`);
const constantExists = (name: string) => new RegExp(`\\b${name}\\b`).test(source);
const pathExists = (name: string) => existsSync(join(root, name));
const duckdbMigrations = readdirSync(join(root, "etl/contacts/migrations")).filter((f) => f.endsWith(".sql"));
const migrationExists = (name: string) => duckdbMigrations.some((f) => f.startsWith(`${name}_`));

test("every problem code design/system names is one the code answers or records", () => {
  assert.deepEqual(unsupported(designTexts(), PROBLEM_CODE, codeExists), []);
});

test("every setting and constant design/system names is in the code", () => {
  assert.deepEqual(unsupported(designTexts(), CONSTANT, constantExists), []);
});

test("every source file design/system names exists", () => {
  assert.deepEqual(unsupported(designTexts(), SOURCE_PATH, pathExists), []);
});

test("every DuckDB migration design/system names by number exists", () => {
  assert.deepEqual(unsupported(designTexts(), MIGRATION, migrationExists), []);
});

test("the checks find a wrong claim of each kind", () => {
  const wrong = new Map([["x.md", "a 503 `database-gone`, PG_POOL_SIZES, `etl/contacts/no_such.ts`, migration 099"]]);
  assert.deepEqual(unsupported(wrong, PROBLEM_CODE, codeExists), ["x.md: database-gone"]);
  assert.deepEqual(unsupported(wrong, CONSTANT, constantExists), ["x.md: PG_POOL_SIZES"]);
  assert.deepEqual(unsupported(wrong, SOURCE_PATH, pathExists), ["x.md: etl/contacts/no_such.ts"]);
  assert.deepEqual(unsupported(wrong, MIGRATION, migrationExists), ["x.md: 099"]);
});
