// kill -9 in the middle of a large load: the published snapshot must stay the last good version,
// readable throughout, and the next load must clean up after the dead one. The load stops itself
// at the moment under test (scripts/testing/stop_at.ts) and is killed there: no race with the
// clock, so a fast machine cannot finish the load before the kill.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { stopped } from "../../scripts/testing/stopped.ts";
import { Database } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { writeXlsxFile } from "../../scripts/testing/xlsx_writer.ts";
import { loadRelationships } from "./load_relationships.ts";
import { snapshotPath } from "./publish.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const STOP_AT = new URL("../../scripts/testing/stop_at.ts", import.meta.url).href;

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

test("kill -9 during a large load leaves the last good version readable", { timeout: 300_000, skip: !existsSync("/proc/self/stat") && "needs /proc" }, async (t) => {
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

    for (const moment of ["snapshot-created", "appending-pairs"] as const) {
      await t.test(`killed when ${moment}`, async () => {
        const child = spawn(process.execPath, [...process.execArgv, `--import=${STOP_AT}`, MAIN, "--workbook", big, "--data-dir", dataDir, "--only", "relationships", "--json"], {
          stdio: "ignore",
          env: { ...process.env, STOP_AT: moment },
        });
        children.push(child);
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
        // Wait for the state, not for a time: the load stops itself there.
        const state = await stopped(child.pid!);
        assert.equal(state, "T", "the load stopped at the moment under test");
        assert.ok(existsSync(join(dataDir, ".relationships.lock")), "it holds the load lock");
        assert.ok(readdirSync(dataDir).some((name) => /^\.relationships-.*\.duckdb$/.test(name)), "its new snapshot file exists");
        // Readers are not blocked while a load runs: a fresh read-only open works now.
        assert.deepEqual(await snapshotState(dataDir), good);
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

test("kill -9 right after publishing: the next load records that version, keeps it and exports it", { timeout: 120_000, skip: !existsSync("/proc/self/stat") && "needs /proc" }, async () => {
  // Its run, its kept snapshot and its Parquet data all came after the rename: the version stayed
  // served with no run in /runs, `--restore` could not find it, and Parquet listed it without data.
  const dir = mkdtempSync(join(tmpdir(), "relationships-published-"));
  const dataDir = join(dir, "data");
  const parquetDir = join(dir, "lake");
  const keepVersions = { newest: 7, days: 0 };
  let child: ReturnType<typeof spawn> | undefined;
  try {
    const v1 = join(dir, "v1.xlsx");
    await writeVersion(v1, { ids: [1, 2, 3, 4, 5], cell: cells(9), code: (id) => `S${id}`, name: (id) => `Small ${id}` });
    const first = await loadRelationships({ workbook: v1, dataDir, parquetDir, keepVersions });
    assert.equal(first.run.status, "succeeded");
    // On a file system with whole-second mtimes the log takes a live file written within a second
    // of a recorded run for that run's, so a load published and killed inside that second is not
    // seen there (see loggedVersion): this test waits that second out to hold everywhere.
    while (Date.now() <= Date.parse(first.run.finished_at) + 1000) await sleep(50);
    const v2 = join(dir, "v2.xlsx");
    await writeVersion(v2, { ids: [1, 2, 3, 4, 5, 6], cell: cells(9), code: (id) => `S${id}`, name: (id) => `Small ${id}` });
    child = spawn(process.execPath, [...process.execArgv, `--import=${STOP_AT}`, MAIN, "--workbook", v2, "--data-dir", dataDir, "--only", "relationships", "--parquet", parquetDir, "--keep-versions", "7"], {
      stdio: "ignore",
      env: { ...process.env, STOP_AT: "published" },
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.on("exit", (_code, signal) => resolve(signal)));
    const state = await stopped(child.pid!);
    assert.equal(state, "T", "the load stopped right after publishing");
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
    assert.equal((await snapshotState(dataDir))?.version_id, 2, "version 2 is served");
    assert.deepEqual(readRuns(dataDir).map((r) => r.version_id), [1], "and its run never recorded");

    // The next load, of the same file: nothing new to load, but version 2's run is recorded first.
    const { run } = await loadRelationships({ workbook: v2, dataDir, parquetDir, keepVersions });
    assert.equal(run.status, "skipped", run.error?.message);
    const runs = readRuns(dataDir);
    assert.deepEqual(runs.map((r) => [r.status, r.version_id ?? null]), [["succeeded", 1], ["succeeded", 2], ["skipped", 2]]);
    const recovered = runs[1];
    assert.equal(recovered.counts.actors, 6);
    assert.equal(recovered.changes.actors_added, 1);
    assert.equal(recovered.findings.at(-1)?.check, "run_recovered");
    assert.deepEqual(recovered.kept?.versions, [1, 2], "kept for --restore");
    assert.equal(recovered.parquet?.status, "written");
    assert.ok(existsSync(join(parquetDir, "table=actors", "version=2", "data.parquet")), "exported");
    // Recorded once: the load after does not record it again.
    await loadRelationships({ workbook: v2, dataDir, parquetDir, keepVersions });
    assert.equal(readRuns(dataDir).filter((r) => r.status === "succeeded" && r.version_id === 2).length, 1);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
