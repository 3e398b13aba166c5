// `npm run bench` is a command like the others: it answers --help, and refuses an unknown name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BENCH = fileURLToPath(new URL("./bench.ts", import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [...process.execArgv, BENCH, ...args], { encoding: "utf8" });

test("npm run bench -- --help lists every benchmark with its arguments and the settings", () => {
  const { status, stdout } = run("--help");
  assert.equal(status, 0);
  for (const name of ["xlsx", "etl", "api", "dashboard", "contacts"]) assert.match(stdout, new RegExp(`npm run bench -- ${name}\\b`));
  assert.match(stdout, /--rows 100000,1000000/);
  assert.match(stdout, /--bench-dir DIR/);
});

test("npm run bench -- with an unknown name exits 2 naming the choices", () => {
  const { status, stderr } = run("nope");
  assert.equal(status, 2);
  assert.match(stderr, /Unknown benchmark 'nope'; choose one of: xlsx, etl, api, dashboard, contacts/);
});
