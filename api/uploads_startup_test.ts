import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { placeUpload } from "../etl/handover/mod.ts";
import { newRunId } from "../etl/runs/mod.ts";
import { tempDir, testServer } from "../scripts/testing/api_server.ts";

test("an API that cannot start on a data dir another API serves leaves that API's uploads alone", async () => {
  const { dir, cleanup } = tempDir();
  const first = await testServer(dir);
  try {
    const csv = join(dir, "in.csv");
    writeFileSync(csv, "first_name,last_name,email\nAnn,Lee,ann@example.com\n");
    // What `npm run etl` places before it asks the running API to load it.
    const placed = await placeUpload(dir, csv, newRunId());
    // A second `npm start` on the same data dir (a second terminal, a restart overlapping the old
    // process): another process, as DuckDB's file lock is per process.
    const second = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(new URL("./main.ts", import.meta.url))], {
      env: { ...process.env, DATA_DIR: dir, PORT: "0", ETL_SCHEDULE: "off", DATABASE_URL: "" },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(second.status, 1, second.stderr);
    assert.match(second.stderr, /lock/i);
    assert.ok(existsSync(placed.path), "the upload the running API is about to load must still be there");
  } finally {
    await first.close();
    cleanup();
  }
});

test("an API that starts empties uploads/ of a crashed load's copy", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const csv = join(dir, "in.csv");
    writeFileSync(csv, "first_name,last_name,email\nAnn,Lee,ann@example.com\n");
    const placed = await placeUpload(dir, csv, newRunId());
    const server = await testServer(dir);
    await server.close();
    assert.equal(existsSync(placed.path), false);
  } finally {
    cleanup();
  }
});
