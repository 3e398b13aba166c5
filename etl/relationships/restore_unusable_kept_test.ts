// `--restore N` when the kept file of version N is not version N's snapshot: truncated, not a
// DuckDB file, another DuckDB database put in its place, or another version's file copied over it.
// Each is a failed run with a code of its own whose message names the file and what to do, and
// nothing is published; before, the first three were `internal` ("The load failed unexpectedly:
// Catalog Error: ...") and the last published version 2's data as "restored version 1".
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { keptSnapshotPath } from "./keep_versions.ts";
import { loadRelationships, restoreVersion, snapshotPath } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `P${id}`, name: (id) => `Persona ${id}` };
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(6, { density: 0.5 }) };

test("--restore refuses a kept file that is not that version's snapshot, naming it, and publishes nothing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "restore-unusable-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  try {
    for (const version of [v1, v2]) {
      await writeVersion(workbook, version);
      assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.status, "succeeded");
    }
    const kept = keptSnapshotPath(dataDir, 1);
    const good = readFileSync(kept);
    const live = readFileSync(snapshotPath(dataDir));
    const other = join(dir, "other.duckdb");
    const db = await Database.open(other);
    await db.run("CREATE TABLE contacts (id INTEGER, name VARCHAR)");
    await db.run("CHECKPOINT");
    db.close();

    const cases: [string, () => void, RegExp][] = [
      ["truncated", () => writeFileSync(kept, good.subarray(0, 50_000)), /is damaged or is not a relationships snapshot \(DuckDB: /],
      ["not a DuckDB file", () => writeFileSync(kept, "hello\n"), /is damaged or is not a relationships snapshot \(DuckDB: /],
      ["another DuckDB database", () => copyFileSync(other, kept), /is damaged or is not a relationships snapshot \(DuckDB: /],
      ["version 2's file copied over it", () => copyFileSync(keptSnapshotPath(dataDir, 2), kept), /holds version 2, not version 1/],
    ];
    for (const [name, damage, says] of cases) {
      await t.test(name, async () => {
        damage();
        const { run } = await restoreVersion({ dataDir, version: 1, parquetDir: null, keepVersions });
        assert.deepEqual([run.status, run.error?.code, run.version_id, run.restored_from], ["failed", "kept-snapshot-unusable", null, 1]);
        const message = String(run.error?.message);
        assert.ok(message.startsWith(`Cannot restore version 1: its kept file '${kept}' `), message);
        assert.match(message, says);
        assert.match(message, /; nothing was published\. Put that file back from a backup, or restore another kept version \(2\)$/);
        assert.ok(readFileSync(snapshotPath(dataDir)).equals(live), "the published snapshot is untouched");
      });
    }
    await t.test("the file put back restores", async () => {
      writeFileSync(kept, good);
      const { run } = await restoreVersion({ dataDir, version: 1, parquetDir: null, keepVersions });
      assert.deepEqual([run.status, run.version_id, run.restored_from], ["succeeded", 3, 1]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
