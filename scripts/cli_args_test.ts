// Every command refuses an argument it does not know instead of ignoring it (found by a
// fresh-clone review: `npm run samples -- --bogus` regenerated data/ anyway).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));

for (const [name, path] of [["samples", "./generate_samples.ts"], ["design", "../design/main.ts"]] as const) {
  test(`npm run ${name} -- --bogus exits 2 with its usage, and --help exits 0`, () => {
    const bad = spawnSync(process.execPath, [...process.execArgv, script(path), "--bogus"], { encoding: "utf8" });
    assert.equal(bad.status, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, new RegExp(`'--bogus'[\\s\\S]*Usage: npm run ${name}`));
    assert.equal(bad.stdout, "", "nothing was written");
    const help = spawnSync(process.execPath, [...process.execArgv, script(path), "--help"], { encoding: "utf8" });
    assert.equal(help.status, 0);
    assert.match(help.stdout, new RegExp(`^Usage: npm run ${name}`));
  });
}
