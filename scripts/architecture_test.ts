// The layout's rules, checked on every file's imports, so the README's layout table and the code
// cannot drift apart: data flows files -> etl/ -> DuckDB files -> api/ -> clients; api/ reaches the
// ETL only through package entry points (mod.ts; mod.js for etl/settings, which is plain JavaScript
// so `npm run etl --help` needs no TypeScript loader); only etl/db/ touches the database drivers
// (DuckDB and the PostgreSQL client, which etl/db/postgres.ts alone loads, on demand); test
// tooling under scripts/ is never imported by product code; there are no import cycles.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { importGraph, REPO_ROOT as root, type ImportEdge as Edge } from "../design/system/import_graph.ts";

const { files, edges } = importGraph();
const isTest = (file: string) => file.endsWith("_test.ts");
const top = (file: string) => file.split("/")[0];
/** etl/<package>/... -> "<package>"; files directly in etl/ are the CLIs. */
const etlPackage = (file: string) => (file.startsWith("etl/") && file.split("/").length > 2 ? file.split("/")[1] : null);

function violations(rule: (edge: Edge) => boolean): string[] {
  return edges.filter(rule).map((e) => `${e.from} -> ${e.to}`);
}

test("the import graph is read (a rule that checks nothing cannot fail)", () => {
  assert.ok(files.length > 100, `${files.length} files`);
  assert.ok(edges.some((e) => e.from === "api/app.ts" && e.to === "etl/runs/mod.ts"));
});

test("product code never imports test tooling from scripts/ (tests may)", () => {
  assert.deepEqual(violations((e) => top(e.from) !== "scripts" && top(e.to) === "scripts" && !isTest(e.from)), []);
});

test("api/ reaches etl/ only through package entry points (mod.ts or mod.js)", () => {
  assert.deepEqual(violations((e) => top(e.from) === "api" && top(e.to) === "etl" && !/\/mod\.(ts|js)$/.test(e.to)), []);
});

test("etl/ packages reach each other only through mod.ts or mod.js", () => {
  assert.deepEqual(
    violations((e) => {
      const from = etlPackage(e.from);
      const to = etlPackage(e.to);
      return top(e.from) === "etl" && to !== null && to !== from && !/\/mod\.(ts|js)$/.test(e.to);
    }),
    [],
  );
});

test("data flows one way: etl/ imports nothing from api/ or design/", () => {
  assert.deepEqual(violations((e) => top(e.from) === "etl" && (top(e.to) === "api" || top(e.to) === "design")), []);
});

test("only etl/db/ imports the database drivers (DuckDB, and the PostgreSQL client)", () => {
  const driver = (to: string) => to.startsWith("@duckdb/") || to === "postgres" || to.startsWith("postgres/") || to === "pg" || to.startsWith("pg-");
  assert.deepEqual(violations((e) => driver(e.to) && !e.from.startsWith("etl/db/")), []);
  // The PostgreSQL client is loaded only when DATABASE_URL asks for it: by a dynamic import, never a static one.
  const postgresFile = readFileSync(join(root, "etl/db/postgres.ts"), "utf8");
  assert.match(postgresFile, /await import\("postgres"\)/);
  assert.doesNotMatch(postgresFile, /^import [^;]*from "postgres"/m);
});

test("the dashboard's browser code imports only its own folder's modules", () => {
  assert.deepEqual(violations((e) => e.from.startsWith("api/web/") && e.from.endsWith(".js") && !e.to.startsWith("api/web/")), []);
});

test("private modules (_name.ts) are imported only from their own folder", () => {
  assert.deepEqual(
    violations((e) => /(^|\/)_[^/]+\.(ts|js)$/.test(e.to) && dirname(e.to) !== dirname(e.from)),
    [],
  );
});

test("there are no import cycles", () => {
  const graph = new Map<string, string[]>();
  for (const e of edges) if (files.includes(e.to)) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      return;
    }
    state.set(file, "open");
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of files) visit(file, []);
  assert.deepEqual(cycles, []);
});

test("the README's layout table names every top-level package folder", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const folders = new Set(files.filter((f) => f.split("/").length > 2).map((f) => f.split("/").slice(0, 2).join("/") + "/"));
  const missing = [...folders].filter((folder) => !readme.includes(`\`${folder}\``) && !readme.includes(`[\`${folder}\`]`));
  assert.deepEqual(missing, [], `README.md layout table lacks ${missing.join(", ")}`);
});
