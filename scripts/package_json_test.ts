// The README's first command starts with `npm ci`. npm 11.16 and later end an install with a warning
// naming every dependency whose install script package.json's `allowScripts` does not cover, and
// npm 12 skips those scripts. Before, package.json had no `allowScripts`, so a newcomer's first
// `npm ci` ended with "1 package has install scripts not yet covered by allowScripts: esbuild"
// (found on a fresh clone); every such script in the lockfile is now decided in package.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const readJson = (name: string) => JSON.parse(readFileSync(`${root}${name}`, "utf8"));

test("package.json's allowScripts decides every install script npm ci would run", () => {
  const lock = readJson("package-lock.json") as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
  const allow = (readJson("package.json") as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
  const withScripts = Object.entries(lock.packages)
    .filter(([path, p]) => path !== "" && p.hasInstallScript)
    .map(([path, p]) => ({ name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length), version: p.version }));
  assert.ok(withScripts.length > 0, "the lockfile lists esbuild's postinstall (a test that checks nothing cannot fail)");
  const undecided = withScripts.filter(({ name, version }) => typeof (allow[name] ?? allow[`${name}@${version}`]) !== "boolean");
  assert.deepEqual(undecided.map((p) => `${p.name}@${p.version}`), []);
});
