import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../scripts/testing/api_server.ts";
import { bundleModules, cachedBundle } from "./module_bundle.ts";

test("bundleModules() joins ES modules into one script that runs like them", async (t) => {
  const { dir, cleanup } = tempDir("bundle-test-");
  try {
    writeFileSync(join(dir, "b.js"), 'export const B = "b";\nexport function twice(x) {\n  return x + x;\n}\n');
    writeFileSync(join(dir, "a.js"), 'import { twice, B as letter } from "./b.js";\nexport class A {\n  value = twice(letter);\n}\n');
    writeFileSync(join(dir, "main.js"), '// @ts-check\nimport * as b from "./b.js";\nimport { A } from "./a.js";\nglobalThis.result = [new A().value, b.twice(2)];\n');
    const script = bundleModules(dir, "main.js");
    await t.test("dependencies first, each module once, in its own scope", () => {
      assert.ok(script.indexOf("// ---- b.js") < script.indexOf("// ---- a.js"));
      assert.ok(script.indexOf("// ---- a.js") < script.indexOf("// ---- main.js"));
      assert.equal(script.match(/\/\/ ---- b\.js/g)?.length, 1);
    });
    await t.test("the joined script behaves as the modules do", async () => {
      const url = `data:text/javascript;base64,${Buffer.from(script).toString("base64")}`;
      await import(url);
      assert.deepEqual((globalThis as { result?: unknown }).result, ["bb", 4]);
    });
    await t.test("a form it does not handle is refused, not mangled", () => {
      mkdirSync(join(dir, "bad"));
      writeFileSync(join(dir, "bad", "main.js"), 'export default 1;\n');
      assert.throws(() => bundleModules(join(dir, "bad"), "main.js"), /uses a form the joiner does not handle: 'export default/);
      writeFileSync(join(dir, "bad", "loop.js"), 'import { x } from "./other.js";\nexport const y = 1;\n');
      writeFileSync(join(dir, "bad", "other.js"), 'import { y } from "./loop.js";\nexport const x = 1;\n');
      assert.throws(() => bundleModules(join(dir, "bad"), "loop.js"), /imports itself/);
    });
    await t.test("cachedBundle() rebuilds when a file changes, with a new ETag", () => {
      const bundle = cachedBundle(dir, "main.js");
      const first = bundle();
      assert.equal(bundle(), first);
      writeFileSync(join(dir, "b.js"), 'export const B = "c";\nexport function twice(x) {\n  return x + x;\n}\n');
      utimesSync(join(dir, "b.js"), new Date(), new Date(Date.now() + 5000));
      const second = bundle();
      assert.notEqual(second.etag, first.etag);
      assert.match(second.bytes.toString(), /"c"/);
    });
  } finally {
    cleanup();
  }
});

test("the dashboard's own modules join without complaint", () => {
  const script = bundleModules(new URL("../web/", import.meta.url).pathname, "app.js");
  for (const file of ["app.js", "api_client.js", "runs_panel.js", "network_panel.js", "matrix_panel.js", "contacts_panel.js"]) assert.match(script, new RegExp(`// ---- ${file}`));
  assert.doesNotMatch(script, /^\s*(import|export)\s/m);
});
