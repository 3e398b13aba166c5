// Two `npm start` processes (real child processes, different ports) on one PostgreSQL database:
// concurrent conditional writes split across both have exactly one winner each time, and each
// process answers the other's writes at once. Skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { raw, tempDir } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const JSON_HEADERS = { "content-type": "application/json" };

async function startApi(dataDir: string, databaseUrl: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(process.execPath, [...process.execArgv, MAIN], {
    env: { ...process.env, PORT: "0", ETL_SCHEDULE: "off", DATA_DIR: dataDir, DATABASE_URL: databaseUrl, API_TOKEN: "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (d) => (output += d));
  for (let i = 0; i < 600; i++) {
    try {
      const info = JSON.parse(readFileSync(join(dataDir, "api.json"), "utf8")) as { pid: number; url: string };
      if (info.pid === child.pid) return { child, url: info.url, output: () => output };
    } catch {
      // Not written yet.
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  throw new Error(`The API did not start:\n${output}`);
}

test("two npm start processes on one PostgreSQL: one winner per conditional write, each sees the other's writes at once", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("two-apis-");
  const databaseUrl = await postgresDatabaseFor(`two-processes:${dir}`);
  // Started one after the other would hide the migration race; together, one migrates under the
  // advisory lock and the other waits and finds nothing to do.
  const [a, b] = await Promise.all([startApi(join(dir, "a"), databaseUrl), startApi(join(dir, "b"), databaseUrl)]);
  try {
    assert.notEqual(a.url, b.url);
    const created = await raw(a.url, { method: "POST", path: "/contacts", headers: JSON_HEADERS, body: JSON.stringify({ first_name: "Ann", last_name: "Lee", email: "ann@example.com" }) });
    assert.equal(created.status, 201, created.text);
    const path = created.headers.location as string;
    const seen = await raw(b.url, { path });
    assert.equal(seen.status, 200, "B answers A's create at once");
    assert.equal(seen.headers.etag, '"1"');

    for (let round = 1; round <= 15; round++) {
      const etag = `"${round}"`;
      // Both read a page holding the contact first: each keeps it, at this version.
      for (const server of [a, b]) assert.equal((await raw(server.url, { path: "/contacts?limit=10" })).json().items[0].id, created.json().id);
      const writers = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b));
      const answers = await Promise.all(
        writers.map((server, i) =>
          raw(server.url, { method: "PATCH", path, headers: { ...JSON_HEADERS, "if-match": etag }, body: JSON.stringify({ city: `City ${round}-${i}` }) }),
        ),
      );
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 412, 412, 412, 412, 412, 412, 412], `round ${round}: ${answers.map((r) => r.status)}`);
      const winner = answers.find((r) => r.status === 200)!.json();
      for (const server of [a, b]) {
        // The page first: a point read would refresh what the process keeps.
        const listed = (await raw(server.url, { path: "/contacts?limit=10" })).json().items[0];
        assert.equal(listed.city, winner.city, `round ${round}: a page shows the new version at once, not a kept one`);
        const now = await raw(server.url, { path });
        assert.equal(now.headers.etag, `"${round + 1}"`, `round ${round}: both processes serve the new version at once`);
        assert.equal(now.json().city, winner.city);
      }
    }

    // The same e-mail created on both at once: one contact, one 201 and one 409.
    const twins = await Promise.all(
      [a, b].map((server) => raw(server.url, { method: "POST", path: "/contacts", headers: JSON_HEADERS, body: JSON.stringify({ first_name: "Bob", last_name: "Ray", email: "bob@example.com" }) })),
    );
    assert.deepEqual(twins.map((r) => r.status).sort(), [201, 409]);
    const deleted = await raw(b.url, { method: "DELETE", path, headers: { "if-match": '"16"' } });
    assert.equal(deleted.status, 204);
    assert.equal((await raw(a.url, { path })).status, 404, "A sees B's delete at once");
    assert.equal((await raw(a.url, { path: "/contacts?count=true" })).json().total, 1);
  } finally {
    for (const server of [a, b]) server.child.kill("SIGTERM");
    await Promise.all([a, b].map((server) => new Promise((resolve) => (server.child.exitCode !== null ? resolve(null) : server.child.once("exit", resolve)))));
    cleanup();
  }
});
