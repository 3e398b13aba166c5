// The private copy attachSnapshot() makes of a locked kept snapshot lies beside it, in
// `<data dir>/snapshots/`: it must go when the restore reading it fails, and a copy left by a
// killed run must go with the other temp files (removeStaleTemps() read only the data dir itself).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db/mod.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { keptSnapshotPath } from "./keep_versions.ts";
import { loadRelationships, restoreVersion } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `P${id}`, name: (id) => `Persona ${id}` };
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(6, { density: 0.5 }) };

/** Another process holding `path` open read-write (DuckDB's exclusive lock), as `duckdb path` does. */
async function holdOpen(dir: string, path: string): Promise<ChildProcess> {
  const script = join(dir, "hold.mts");
  const dbModule = fileURLToPath(new URL("../db/mod.ts", import.meta.url));
  writeFileSync(script, `import { Database } from ${JSON.stringify(dbModule)};\nawait Database.open(process.argv[2]);\nconsole.log("open");\nsetInterval(() => {}, 1000);\n`);
  const child = spawn(process.execPath, [...process.execArgv, script, path], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("open") && resolve());
    child.on("exit", () => reject(new Error("the holding process exited")));
  });
  return child;
}

const copies = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.startsWith(".relationships-read-")) : []);

test("a failed restore of a locked kept snapshot removes its private copy; a copy left by a killed run goes at the next load", async () => {
  const dir = mkdtempSync(join(tmpdir(), "attach-leftovers-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  let holder: ChildProcess | undefined;
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.status, "succeeded");
    await writeVersion(workbook, v2);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.status, "succeeded");
    const kept = keptSnapshotPath(dataDir, 1);
    const snapshots = join(dataDir, "snapshots");
    // A kept file that cannot be restored (no snapshot_info row: copySnapshot throws after attaching).
    const db = await Database.open(kept);
    await db.run("DELETE FROM snapshot_info");
    await db.run("CHECKPOINT");
    db.close();
    holder = await holdOpen(dir, kept);
    const restored = await restoreVersion({ dataDir, version: 1, parquetDir: null, keepVersions });
    assert.equal(restored.run.status, "failed");
    assert.match(String(restored.run.error?.message), /no snapshot_info row/);
    assert.deepEqual(copies(snapshots), [], "the failed restore's copy of the kept file is gone");
    holder.kill();
    holder = undefined;

    // What a run killed while reading a copy leaves (kill -9: no finally runs).
    writeFileSync(join(snapshots, ".relationships-read-999999-0badc0de.duckdb"), "a copy of a snapshot");
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.status, "succeeded");
    assert.deepEqual(copies(snapshots), [], "the next load (holding the lock) removes it");
    assert.ok(existsSync(kept), "kept snapshots stay");
  } finally {
    holder?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
