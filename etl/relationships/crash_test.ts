// kill -9 in the middle of a large load: the published snapshot must stay the last good version,
// readable throughout, and the next load must clean up after the dead one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Database } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { loadRelationships } from "./load_relationships.ts";
import { snapshotPath } from "./publish.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

async function snapshotState(dataDir: string) {
  const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
  try {
    return await db.one<{ version_id: number; sha256: string; actors: number }>(
      "SELECT version_id, sha256, (SELECT CAST(count(*) AS INTEGER) FROM actors) AS actors FROM snapshot_info",
    );
  } finally {
    db.close();
  }
}

test("kill -9 during a large load leaves the last good version readable", { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "relationships-crash-"));
  const dataDir = join(dir, "data");
  const children: ReturnType<typeof spawn>[] = [];
  try {
    const small = join(dir, "small.xlsx");
    await writeVersion(small, { ids: [1, 2, 3, 4, 5], cell: cells(9), code: (id) => `S${id}`, name: (id) => `Small ${id}` });
    assert.equal((await loadRelationships({ workbook: small, dataDir })).run.status, "succeeded");
    const good = await snapshotState(dataDir);
    assert.equal(good?.actors, 5);
    // A reader that stays open across the whole crash, like the API.
    const reader = await Database.open(snapshotPath(dataDir), { readOnly: true });
    const big = join(dir, "big.xlsx");
    await writeXlsxFile(big, matrixWorkbook({ actors: 2000, seed: 11 }));

    for (const moment of ["reading", "building"] as const) {
      await t.test(`killed while ${moment}`, async () => {
        const child = spawn(process.execPath, [...process.execArgv, MAIN, "--workbook", big, "--data-dir", dataDir, "--only", "relationships", "--json"], {
          stdio: "ignore",
        });
        children.push(child);
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
        let done = false;
        void exited.then(() => (done = true));
        // The temp file is created (empty tables, ~12 KB, a 4 KB WAL) while the workbook is still
        // being read; it grows past that only once rows are appended.
        const building = () =>
          readdirSync(dataDir).some((name) => /^\.relationships-.*\.duckdb(\.wal)?$/.test(name) && sizeOf(join(dataDir, name)) > 64 * 1024);
        // "reading": the lock is taken and the workbook is being parsed; "building": rows are going into the temp file.
        const ready = moment === "reading" ? () => existsSync(join(dataDir, ".relationships.lock")) : building;
        while (!done && !ready()) await sleep(5);
        assert.ok(!done, "the load finished before it could be killed");
        // Readers are not blocked while a load runs: a fresh read-only open works now.
        assert.deepEqual(await snapshotState(dataDir), good);
        if (moment === "building") await sleep(20);
        child.kill("SIGKILL");
        assert.equal(await exited, "SIGKILL");
        assert.deepEqual(await snapshotState(dataDir), good);
        const row = await reader.one<{ n: number }>("SELECT CAST(count(*) AS INTEGER) AS n FROM actors");
        assert.equal(row?.n, 5);
      });
    }
    reader.close();

    await t.test("the next load cleans up and publishes", async () => {
      const next = join(dir, "next.xlsx");
      await writeVersion(next, { ids: [1, 2, 3, 4, 5, 6], cell: cells(9), code: (id) => `S${id}`, name: (id) => `Small ${id}` });
      const { run } = await loadRelationships({ workbook: next, dataDir });
      assert.equal(run.status, "succeeded", run.error?.message);
      assert.equal(run.version_id, 2);
      assert.deepEqual(readdirSync(dataDir).sort(), ["relationships.duckdb", "runs.jsonl"]);
      // The killed runs never got to record themselves; only finished runs are in the log.
      assert.deepEqual(readRuns(dataDir).map((r) => r.status), ["succeeded", "succeeded"]);
    });
  } finally {
    // Never leave a loader running if an assertion failed before the kill.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // renamed or removed between listing and stat
  }
}
