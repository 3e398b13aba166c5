// The kept snapshots behind `--restore`: real loads, real files, and an analyst who writes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { keptSnapshotPath } from "./keep_versions.ts";
import { loadRelationships, restoreVersion, snapshotPath } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `K${id}`, name: (id) => `Persona ${id}` };
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(6, { density: 0.5 }) };

async function actorName(path: string, id: number): Promise<string> {
  const db = await Database.open(path, { readOnly: true });
  try {
    return (await db.one<{ actor_name: string }>("SELECT actor_name FROM actors WHERE numeric_id = $1", [id]))!.actor_name;
  } finally {
    db.close();
  }
}

// Before, the newest kept version was a hard link of relationships.duckdb: the same file. An
// analyst who opened the live file read-write (the DuckDB CLI's default) and changed a row changed
// that kept version too, and `--restore` of it published the analyst's edit as the version's data.
test("an analyst's writes to relationships.duckdb do not reach the kept version, nor a restore of it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "keep-versions-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 1);
    const analyst = await Database.open(snapshotPath(dataDir));
    try {
      await analyst.run("UPDATE actors SET actor_name = 'edited by an analyst' WHERE numeric_id = 1");
      await analyst.run("CHECKPOINT");
    } finally {
      analyst.close();
    }
    assert.equal(await actorName(snapshotPath(dataDir), 1), "edited by an analyst", "the analyst's own file has the edit");
    assert.equal(await actorName(keptSnapshotPath(dataDir, 1), 1), "Persona 1", "the kept version is as published");

    await writeVersion(workbook, v2);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 2);
    const restored = await restoreVersion({ dataDir, version: 1, keepVersions });
    assert.deepEqual([restored.run.status, restored.run.version_id], ["succeeded", 3]);
    assert.equal(await actorName(snapshotPath(dataDir), 1), "Persona 1", "version 1's data as published");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
