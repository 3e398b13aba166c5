// The guards against the postgres client's two known crashes (see _postgres_client_guards.ts): in
// a real child process, the write on a closed socket thrown from a setImmediate as the client throws
// it is logged and the process goes on (any other uncaught error still ends it with its stack), and
// the array-types query of a connection whose server went away rejects nothing unhandled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isPostgresSocketRace, isPostgresTypesQuery } from "./_postgres_client_guards.ts";
import { POSTGRES_SKIP } from "../../scripts/testing/backends.ts";

const GUARD = fileURLToPath(new URL("./_postgres_client_guards.ts", import.meta.url));

function clientError(): TypeError {
  const error = new TypeError("Cannot read properties of null (reading 'write')");
  error.stack = `${error.message}\n    at Immediate.nextWrite (/srv/app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)`;
  return error;
}

function runChild(body: string, guarded = true): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "pg-race-"));
  try {
    // .mts: ESM wherever it is written (a .ts under /tmp, with no package.json saying "module", is
    // CommonJS to tsx, and its import of the guard fails as a require() cycle).
    const script = join(dir, "child.mts");
    writeFileSync(script, guarded ? `import { guardPostgresClient } from ${JSON.stringify(GUARD)};\nguardPostgresClient();\n${body}\n` : body);
    return spawnSync(process.execPath, [...process.execArgv, script], { encoding: "utf8", timeout: 60_000 });
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

test("isPostgresTypesQuery() knows the client's array-types query and nothing else", () => {
  // Read from the client itself: an upgrade that changes the statement shows here, with or without a database.
  const source = readFileSync(fileURLToPath(new URL("../../node_modules/postgres/src/connection.js", import.meta.url)), "utf8");
  const types = /async function fetchArrayTypes\(\)[\s\S]*?new Query\(\[`([\s\S]*?)`\]/.exec(source)?.[1];
  assert.ok(types, "fetchArrayTypes() in the client's connection.js");
  assert.equal(isPostgresTypesQuery({ canceller: undefined, strings: [types] }), true);
  assert.equal(isPostgresTypesQuery({ canceller: () => {}, strings: [types] }), false, "a statement of ours with that text");
  assert.equal(isPostgresTypesQuery({ canceller: null, strings: [types] }), false, "one of ours, cancelled");
  assert.equal(isPostgresTypesQuery({ canceller: undefined, strings: ["SELECT id FROM contacts"] }), false);
  assert.equal(isPostgresTypesQuery({ canceller: undefined, strings: [types, ""] }), false);
  assert.equal(isPostgresTypesQuery({ strings: [types] }), false);
  assert.equal(isPostgresTypesQuery(undefined), false);
  assert.equal(isPostgresTypesQuery(types), false);
});

test("a server lost while the first connection asks for the array types: connect() fails as unavailable, the process does not crash", { skip: POSTGRES_SKIP, timeout: 120_000 }, () => {
  // The first connection of a pool (later ones: postgres_test.ts), in a process of its own, where
  // no test runner listens for unhandled rejections. Through a relay cut the moment that query is
  // sent; before the guard the script ended with the rejection's stack.
  const script = `
import { PostgresDatabase, isDatabaseUnavailable } from ${JSON.stringify(fileURLToPath(new URL("./mod.ts", import.meta.url)))};
import { tcpRelay, throughRelay } from ${JSON.stringify(fileURLToPath(new URL("../../scripts/testing/tcp_relay.ts", import.meta.url)))};
const relay = await tcpRelay(new URL(process.env.TEST_POSTGRES_URL!));
relay.cutOffWhenSent("typarray");
const outcome = await PostgresDatabase.connect(throughRelay(process.env.TEST_POSTGRES_URL!, relay), { max: 2 }).then(() => "connected", (e) => (isDatabaseUnavailable(e) ? "unavailable" : String(e)));
await new Promise((resolve) => setTimeout(resolve, 200));
console.log("connect: " + outcome);
await relay.close();`;
  const guarded = runChild(script, false);
  assert.equal(guarded.status, 0, guarded.stderr);
  assert.match(guarded.stdout, /connect: unavailable/);
  assert.doesNotMatch(guarded.stderr, /\n\s+at /, "no stack");
});

test("a pool slot whose socket closed while a small write waited connects again, not CONNECT_TIMEOUT for good", { skip: POSTGRES_SKIP, timeout: 120_000 }, () => {
  // Found by killing the API's backends (pg_terminate_backend) under writes, then restarting
  // PostgreSQL: minutes later part of each API's requests still waited 10 s and answered 503
  // CONNECT_TIMEOUT against a healthy server, until the process was restarted. The client cleared
  // the pending flush's timer at the close without forgetting it, so the slot's next start-up
  // message was never sent. The close here reaches the client before the flush's turn, as a
  // server's close read in the same turn as a reply does; the socket and server are real.
  const script = `
import net from "node:net";
import { patchPostgresClient } from ${JSON.stringify(GUARD)};
patchPostgresClient();
const { default: postgres } = await import(${JSON.stringify(new URL("../../node_modules/postgres/src/index.js", import.meta.url).href)});
const url = new URL(process.env.TEST_POSTGRES_URL!);
let socket: net.Socket | undefined;
const sql = postgres(url.href, { max: 1, connect_timeout: 2, onnotice: () => {}, socket: () => (socket = net.connect(Number(url.port || 5432), url.hostname)) });
await sql.unsafe("SELECT 1");
const lost = sql.unsafe("SELECT 2").execute();
await new Promise((resolve) => process.nextTick(resolve)); // written to the client's buffer, its flush waiting for a setImmediate
socket!.emit("close", false);
socket!.destroy();
console.log("lost: " + (await lost.then(() => "answered", (e: { code?: string }) => e.code)));
const again = await sql.unsafe("SELECT 3 AS x").then((rows) => "answered " + rows[0].x, (e: { code?: string }) => "failed " + e.code);
console.log("again: " + again);
await sql.end({ timeout: 1 });`;
  const child = runChild(script, false);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /lost: CONNECTION_CLOSED/);
  assert.match(child.stdout, /again: answered 3/);
});
