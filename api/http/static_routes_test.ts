import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";

// Each of staticFiles()'s two guards is the only one that stops some request, so removing either
// one alone fails here: the segment check alone stops hidden files inside the folder, the
// real-path check alone stops a symlink leading out of it.
test("staticFiles() serves nothing outside the folder, nor hidden files in it, whichever guard is at work", async (t) => {
  const { dir, cleanup } = tempDir();
  const web = join(dir, "web");
  mkdirSync(join(web, "sub"), { recursive: true });
  writeFileSync(join(web, "sub", "s.css"), "body{}");
  writeFileSync(join(web, ".secret.txt"), "hidden secret");
  // A sibling whose name starts with the folder's: a prefix test without the separator lets it in.
  mkdirSync(join(dir, "web2"));
  writeFileSync(join(dir, "web2", "x.txt"), "sibling secret");
  symlinkSync(join(dir, "web2"), join(web, "out"));
  const server = await testServer(dir, { webDir: web });
  try {
    await t.test("a file inside is served", async () => {
      assert.equal((await raw(server.url, { path: "/web/sub/s.css" })).text, "body{}");
    });
    for (const [path, why] of [
      ["/web/%2e%2e/web2/x.txt", "an encoded .. into a sibling named web2"],
      ["/web/sub/%2e%2e/%2e%2e/web2/x.txt", "two levels up and into the sibling"],
      ["/web/.secret.txt", "a hidden file inside the folder (the segment guard alone stops it)"],
      ["/web/out/x.txt", "a symlink inside leading to the sibling (the real-path guard alone stops it)"],
    ]) {
      await t.test(`404: ${why}`, async () => {
        const res = await raw(server.url, { path });
        assert.equal(res.status, 404, `${path}: ${res.text}`);
        assert.doesNotMatch(res.text, /hidden secret|sibling secret/);
      });
    }
  } finally {
    await server.close();
    cleanup();
  }
});

// Before, /web/tsconfig.json was served (a JSON file, a type it served), while README.md and the
// test files were refused only because .md and .ts were not.
test("/web/* serves the dashboard's own folder only what a browser loads: not its tsconfig.json, README or tests", async () => {
  const { dir, cleanup } = tempDir();
  const server = await testServer(dir);
  try {
    for (const path of ["/web/tsconfig.json", "/web/README.md", "/web/html_test.ts"]) {
      assert.equal((await raw(server.url, { path })).status, 404, path);
    }
    for (const path of ["/", "/web/index.html", "/web/app.js", "/web/styles.css", "/web/dashboard.js"]) {
      assert.equal((await raw(server.url, { path })).status, 200, path);
    }
  } finally {
    await server.close();
    cleanup();
  }
});
