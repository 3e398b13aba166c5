// The guard against the postgres client's write on a closed socket (see _postgres_socket_race.ts):
// in a real child process, that error thrown from a setImmediate as the client throws it is logged
// and the process goes on; any other uncaught error still ends the process with its stack.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPostgresSocketRace } from "./_postgres_socket_race.ts";

const GUARD = fileURLToPath(new URL("./_postgres_socket_race.ts", import.meta.url));

function clientError(): TypeError {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `${error.message}\n    at Immediate.nextWrite (/srv/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)`;
  return error;
}

function runChild(body: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "pg-race-"));
  try {
    // .mts: ESM wherever it is written (a .ts under /tmp, with no package.json saying "module", is
    // CommonJS to tsx, and its import of the guard fails as a require() cycle).
    const script = join(dir, "child.mts");
    writeFileSync(script, `import { guardPostgresSocketRace } from ${JSON.stringify(GUARD)};\nguardPostgresSocketRace();\n${body}\n`);
    return spawnSync(process.execPath, [...process.execArgv, script], { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("isPostgresSocketRace() knows the client's error and nothing else", () => {
  assert.equal(isPostgresSocketRace(clientError()), true);
  assert.equal(isPostgresSocketRace(new TypeError("Cannot read properties of null (reading 'write')")), false, "not from the client");
  assert.equal(isPostgresSocketRace(new Error("boom")), false);
});

test("a process with the guard survives the client's error and logs it; another uncaught error still ends it", () => {
  const survived = runChild(`
const error = new TypeError("Cannot read properties of null (reading 'write')");
error.stack = ${JSON.stringify(clientError().stack)};
setImmediate(() => { throw error; });
setTimeout(() => console.log("still serving"), 100);`);
  assert.equal(survived.status, 0, survived.stderr);
  assert.match(survived.stdout, /still serving/);
  assert.match(survived.stderr, /PostgreSQL closed a connection while the client was writing to it/);

  const other = runChild(`setImmediate(() => { throw new Error("a bug of ours"); });\nsetTimeout(() => console.log("should not print"), 100);`);
  assert.equal(other.status, 1);
  assert.match(other.stderr, /a bug of ours/);
  assert.doesNotMatch(other.stdout, /should not print/);
});
