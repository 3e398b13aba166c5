import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importGraph, importsIn, packageDependencies, packageOf, REPO_ROOT } from "./import_graph.ts";
import { packageDiagramFiles } from "./package_files.ts";
import { packagesMermaid, RUNTIME_FLOWS } from "./packages.ts";

test("importsIn() finds static, re-export and dynamic imports, not JSDoc type imports", () => {
  const text = [
    'import { a } from "./a.ts";',
    'export { b } from "../b.ts";',
    'import "./side.ts";',
    "const c = await import(\"./c.ts\");",
    '/** @typedef {import("./types.ts").T} T */',
    '// import { x } from "./commented.ts";',
  ].join("\n");
  assert.deepEqual(importsIn(text).sort(), ["../b.ts", "./a.ts", "./c.ts", "./side.ts"]);
});

test("packageOf() groups product files two levels down and leaves out tests and scripts", () => {
  assert.equal(packageOf("etl/xlsx/_zip.ts"), "etl/xlsx");
  assert.equal(packageOf("api/app.ts"), "api");
  assert.equal(packageOf("api/web/html.js"), "api/web");
  assert.equal(packageOf("etl/xlsx/open_workbook_test.ts"), null);
  assert.equal(packageOf("scripts/testing/cdp.ts"), null);
});

test("the package diagram shows real dependencies, and the hand-over as a run-time flow", () => {
  const graph = importGraph();
  const deps = packageDependencies(graph);
  assert.ok(deps.some(([a, b]) => a === "api/contacts" && b === "etl/handover"));
  assert.ok(!deps.some(([a, b]) => a.startsWith("etl") && b.startsWith("api")), "etl/ imports nothing from api/");
  const diagram = packagesMermaid(graph);
  assert.match(diagram, /POST \/imports\/contacts/);
  for (const [a, b] of deps.filter(([a, b]) => !a.startsWith("design") && !b.startsWith("design"))) assert.ok(diagram.includes(`p_${a.replace(/\W/g, "_")} --> p_${b.replace(/\W/g, "_")}`), `${a} -> ${b}`);
});

test("each run-time flow of the diagram is in the code", () => {
  const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
  const [spawn, handover, publish] = RUNTIME_FLOWS;
  assert.equal(spawn.from, "etl/schedule");
  assert.match(read("etl/schedule/child_load.ts"), /new URL\("\.\.\/main\.ts"/);
  assert.equal(handover.to, "api/contacts");
  assert.match(read("etl/handover/import_client.ts"), /IMPORT_CONTACTS_PATH/);
  assert.match(read("api/contacts/contacts_routes.ts"), /IMPORT_CONTACTS_PATH/);
  assert.equal(publish.to, "api/relationships");
  assert.match(read("api/relationships/snapshot_watcher.ts"), /readOnly: true/);
});

test("design/system/packages.md and the README carry the current package diagram (run npm run design)", () => {
  for (const [path, text] of packageDiagramFiles()) assert.equal(readFileSync(path, "utf8"), text, `${path} is stale`);
});
