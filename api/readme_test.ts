// api/README.md is the users' manual of the API: its Endpoints table and its Folders table are
// checked here against what is built (the routes a real server documents at /openapi.json, the
// modules in the folders), so a route or module added later cannot be left out of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { raw, tempDir, testServer } from "../scripts/testing/api_server.ts";

const API_DIR = fileURLToPath(new URL(".", import.meta.url));
const README = readFileSync(join(API_DIR, "README.md"), "utf8");

/** The rows of the table under the `## heading` of the README, as arrays of cells (header and separator left out). */
function tableRows(heading: string): string[][] {
  const start = README.indexOf(`\n## ${heading}`);
  assert.ok(start >= 0, `api/README.md has a '## ${heading}' section`);
  const end = README.indexOf("\n## ", start + 1);
  const lines = README.slice(start, end < 0 ? undefined : end).split("\n").filter((l) => l.startsWith("|"));
  return lines.slice(2).map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
}

/**
 * "METHOD /path" for every operation the Endpoints table lists: a row's paths take its methods (as
 * "GET/PUT" or, one group per path, "GET/POST, GET/PUT"); a query string is left out, `/web/*` is
 * the template `/web/{path}`, and the template rows of extra tables (`/<table>`) are skipped.
 */
function documentedOperations(): string[] {
  const operations: string[] = [];
  for (const [methodCell, pathCell] of tableRows("Endpoints")) {
    const paths = [...pathCell.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\?.*$/, "").replace(/\*$/, "{path}"));
    const groups = methodCell.split(",").map((g) => g.trim().split("/"));
    paths.forEach((path, i) => {
      if (path.includes("<")) return;
      for (const method of groups.length === paths.length ? groups[i] : groups.flat()) operations.push(`${method} ${path}`);
    });
  }
  return operations.sort();
}

test("api/README.md's Endpoints table lists every operation /openapi.json documents, and no other", async () => {
  const { dir, cleanup } = tempDir("readme-test-");
  const server = await testServer(dir);
  try {
    const res = await raw(server.url, { path: "/openapi.json" });
    assert.equal(res.status, 200);
    const paths = (JSON.parse(res.text) as { paths: Record<string, Record<string, unknown>> }).paths;
    const served = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).filter((k) => /^(get|put|post|patch|delete)$/.test(k)).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const documented = documentedOperations();
    assert.deepEqual(served.filter((op) => !documented.includes(op)), [], "operations missing from api/README.md's Endpoints table");
    assert.deepEqual(documented.filter((op) => !served.includes(op)), [], "operations api/README.md lists that the server does not have");
  } finally {
    await server.close();
    cleanup();
  }
});

test("api/README.md's Folders table names every module of api/ and its folders (the dashboard's web/ has its own README)", () => {
  const named = new Set(tableRows("Folders").flatMap(([paths, what]) => [...`${paths} ${what}`.matchAll(/`([\w.]+\.(?:ts|js))`/g)].map((m) => m[1])));
  const modules = [".", ...readdirSync(API_DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "web").map((e) => e.name)].flatMap((folder) =>
    readdirSync(join(API_DIR, folder)).filter((f) => /\.(ts|js)$/.test(f) && !/_test\.ts$/.test(f) && f !== "mod.ts").map((f) => join(folder, f)),
  );
  assert.deepEqual(modules.filter((path) => !named.has(path.split("/").pop()!)), [], "modules api/README.md's Folders table does not name");
});
