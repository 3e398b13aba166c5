// An analyst's session on relationships.duckdb (the DuckDB CLI and drivers open read-write by
// default, which takes DuckDB's exclusive lock) must not cost the next load its history, nor the
// Parquet copy its versions: real loads, a real second process holding the file, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db/mod.ts";
import { readRuns, runLogPath } from "../runs/mod.ts";
import { CAN_MOUNT, fill, mountTmpfs, unmount } from "../../scripts/testing/tmpfs.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { loadRelationships, parquetVersions, restoreVersion, snapshotPath } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `P${id}`, name: (id) => `Persona ${id}` };
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(6, { density: 0.5 }) };

/** Another process that opens `path` as `duckdb path` would (read-write) and keeps it open. */
async function analystSession(dir: string, path: string): Promise<ChildProcess> {
  const script = join(dir, "analyst.mts");
  const dbModule = fileURLToPath(new URL("../db/mod.ts", import.meta.url));
  writeFileSync(
    script,
    `import { Database } from ${JSON.stringify(dbModule)};\n` +
      `const db = await Database.open(process.argv[2]);\n` +
      `console.log("open", (await db.all("SELECT count(*)::INTEGER AS n FROM v_actor_relationships"))[0].n);\n` +
      `setInterval(() => {}, 1000);\n`,
  );
  const child = spawn(process.execPath, [...process.execArgv, script, path], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("open") && resolve());
    child.on("exit", () => reject(new Error("the analyst's session exited")));
  });
  return child;
}

test("a load while an analyst holds relationships.duckdb read-write keeps the history and writes the Parquet copy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "attach-snapshot-"));
  const dataDir = join(dir, "data");
  const parquetDir = join(dir, "lake");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  let analyst: ChildProcess | undefined;
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir, keepVersions })).run.status, "succeeded");
    analyst = await analystSession(dir, snapshotPath(dataDir));

    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions });
    assert.equal(second.run.status, "succeeded");
    assert.equal(second.run.version_id, 2);
    assert.deepEqual(second.run.findings.filter((f) => f.check === "history_unavailable"), [], "the history is carried, not restarted");
    assert.equal(second.run.parquet?.status, "written", JSON.stringify(second.run.parquet));
    // A restore reads the kept version 1 (a copy of the file the analyst holds) and the live file it holds.
    const restored = await restoreVersion({ dataDir, version: 1, parquetDir, keepVersions });
    assert.equal(restored.run.status, "succeeded", JSON.stringify(restored.run.error));
    assert.equal(restored.run.version_id, 3);
    assert.deepEqual(restored.run.findings.filter((f) => f.check === "history_unavailable"), []);

    const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
    try {
      assert.deepEqual((await db.all<{ v: number }>("SELECT version_id AS v FROM versions ORDER BY 1")).map((r) => r.v), [1, 2, 3]);
      assert.ok((await db.all("SELECT * FROM changes WHERE version_id = 2")).length > 0, "version 2's changes against version 1");
    } finally {
      db.close();
    }
    assert.deepEqual(parquetVersions(parquetDir), [1, 2, 3]);
    assert.deepEqual(readdirSync(dataDir).filter((f) => f.startsWith(".relationships-")), [], "the private copies are gone");
  } finally {
    analyst?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, publishedVersion() opened the live file itself and took DuckDB's lock error for "nothing
// published": after a restore, the next load of the withdrawn workbook published it again.
test("after a restore, an analyst holding relationships.duckdb read-write does not make the next load publish the withdrawn workbook again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "attach-snapshot-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  let analyst: ChildProcess | undefined;
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 1);
    await writeVersion(workbook, v2); // the bad day's file, which stays on disk
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 2);
    const restored = await restoreVersion({ dataDir, version: 1, keepVersions });
    assert.deepEqual([restored.run.status, restored.run.version_id], ["succeeded", 3]);

    analyst = await analystSession(dir, snapshotPath(dataDir));
    const next = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.deepEqual([next.run.status, next.run.error?.code, next.run.version_id], ["skipped", "withdrawn", 3], JSON.stringify(next.run.error));
    assert.deepEqual(readdirSync(dataDir).filter((f) => f.startsWith(".relationships-")), [], "the private copies are gone");
  } finally {
    analyst?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, run recovery opened the live file itself and took DuckDB's lock error for "not ours":
// a published version whose run was lost stayed unrecorded, unkept and unexported.
test("a version whose run was lost is recorded by the next load while an analyst holds relationships.duckdb read-write", async () => {
  const dir = mkdtempSync(join(tmpdir(), "attach-snapshot-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  let analyst: ChildProcess | undefined;
  try {
    await writeVersion(workbook, v1);
    const first = await loadRelationships({ workbook, dataDir, parquetDir: null });
    writeFileSync(runLogPath(dataDir), ""); // killed between publishing and recording
    analyst = await analystSession(dir, snapshotPath(dataDir));
    const next = await loadRelationships({ workbook, dataDir, parquetDir: null });
    assert.equal(next.run.status, "skipped", "the same workbook: nothing new to load");
    const runs = readRuns(dataDir);
    assert.deepEqual(runs.map((r) => [r.id, r.status, r.version_id]), [[first.run.id, "succeeded", 1], [next.run.id, "skipped", 1]]);
    assert.equal(runs[0].findings.at(-1)?.check, "run_recovered");
  } finally {
    analyst?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a private copy that could not be made (the data dir's disk too full for a copy of the live
// file, while a smaller new snapshot still fitted) was taken for "no readable snapshot": the next load
// of a workbook a restore had withdrawn published it again, as a new history (history_unavailable).
test("when the private copy of a held relationships.duckdb cannot be made, a load fails and the restore stays published", { skip: CAN_MOUNT ? false : "needs root and mount(8) for a small tmpfs", timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "attach-snapshot-full-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  // A large version 1 and a small one after it: the restore of 1 is a live file several times the
  // size of a snapshot of the small workbook.
  const large: Version = { ...v1, ids: Array.from({ length: 1500 }, (_, i) => i + 1) };
  let analyst: ChildProcess | undefined;
  let mounted = false;
  try {
    mkdirSync(dataDir);
    mounted = mountTmpfs(dataDir, "40m");
    assert.ok(mounted);
    await writeVersion(workbook, large);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 1);
    await writeVersion(workbook, v2); // the bad day's file, which stays on disk
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 2);
    assert.equal((await restoreVersion({ dataDir, version: 1, keepVersions })).run.version_id, 3);
    analyst = await analystSession(dir, snapshotPath(dataDir));
    // Room for a snapshot of the small workbook, not for a copy of the live file.
    const live = statSync(snapshotPath(dataDir)).size;
    fill(dataDir, live - 2 * 1024 * 1024);

    const next = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.deepEqual([next.run.status, next.run.error?.code, next.run.version_id ?? null], ["failed", "snapshot-copy-failed", null], JSON.stringify(next.run.error));
    assert.match(next.run.error!.message, /relationships\.duckdb.*held open by another process.*private copy.*no space left on device.*stays published/is);
    analyst.kill();
    await new Promise((resolve) => analyst!.once("exit", resolve));
    analyst = undefined;
    const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
    try {
      assert.deepEqual(await db.all("SELECT version_id, restored_from FROM snapshot_info JOIN versions USING (version_id)"), [{ version_id: 3, restored_from: 1 }]);
    } finally {
      db.close();
    }
    assert.deepEqual(readdirSync(dataDir).filter((f) => f.startsWith(".relationships-")), [], "no copy or new snapshot left behind");
  } finally {
    if (analyst) {
      const exited = new Promise((resolve) => analyst!.once("exit", resolve));
      analyst.kill();
      await exited;
    }
    if (mounted) unmount(dataDir);
    rmSync(dir, { recursive: true, force: true });
  }
});
