// Sequences of real workbooks loaded into one data dir, checked against what each version holds:
// the history a load carries forward, and what the run, the report and the API say about it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { formatOutcome } from "../report.ts";
import { readRuns, runLogPath } from "../runs/mod.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { loadRelationships, parquetPath, snapshotPath } from "./mod.ts";
import { keptSnapshotPath } from "./keep_versions.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `P${id}`, name: (id) => `Persona ${id}` };
const v2: Version = { ...v1, ids: [1, 2, 3], cell: cells(6, { density: 0.5 }), name: (id) => (id === 2 ? "Persona Dos" : `Persona ${id}`) };

test("a live snapshot that cannot be read: the next version says its history restarts, and never 'no changes'", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, v1);
    const first = await loadRelationships({ workbook, dataDir, parquetDir: null });
    assert.equal(first.run.version_id, 1);
    // The live file is damaged afterwards (a disk error, a bad copy from a backup), written later
    // than version 1's run: the run log cannot vouch for it.
    const live = snapshotPath(dataDir);
    writeFileSync(live, Buffer.alloc(64 * 1024, 0x5a));
    const later = new Date(Date.parse(first.run.finished_at) + 60_000);
    utimesSync(live, later, later);
    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: null });
    assert.equal(second.run.status, "succeeded");
    assert.equal(second.run.version_id, 2);
    assert.ok(second.run.findings.some((f) => f.check === "history_unavailable"), "the run says the history could not be carried");
    const db = await Database.open(live, { readOnly: true });
    try {
      assert.deepEqual((await db.all<{ check_name: string }>("SELECT check_name FROM findings WHERE check_name = 'history_unavailable'")).length, 1);
    } finally {
      db.close();
    }
    const report = formatOutcome({ ok: true, relationships: second, contacts: null }).join("\n");
    assert.doesNotMatch(report, /No changes since version 1/, report);
    assert.match(report, /Not compared with version 1/, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the history carried forward keeps its rows in place: a /changes cursor (version, rowid) from the previous version still points at the same row", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  // Enough changed pairs (two versions of ~120,000) that DuckDB scans the history in parallel.
  const ids = Array.from({ length: 700 }, (_, i) => i + 1);
  const version = (seed: number): Version => ({ ids, cell: cells(seed, { density: 0.5 }), code: (id) => `C${id}`, name: (id) => `N${id}` });
  try {
    for (const seed of [1, 2, 3, 4]) {
      await writeVersion(workbook, version(seed));
      const { run } = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions: { newest: 10, days: 0 } });
      assert.equal(run.status, "succeeded");
    }
    const order = "SELECT rowid AS r, version_id, entity, change, person_a, person_b, field FROM changes WHERE version_id <= 3 ORDER BY rowid";
    const read = async (path: string) => {
      const db = await Database.open(path, { readOnly: true });
      try {
        return (await db.all(order)).map((row) => JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
      } finally {
        db.close();
      }
    };
    const before = await read(join(dataDir, "snapshots", "relationships-v3.duckdb"));
    const after = await read(snapshotPath(dataDir));
    assert.ok(before.length > 200_000, `history of ${before.length} rows`);
    const moved = before.filter((row, i) => row !== after[i]).length;
    assert.equal(moved, 0, `${moved} of ${before.length} history rows have another rowid in version 4 than in version 3`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Parquet dir that already holds a version number from another load is not reported as written with that load's data", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const lake = join(dir, "lake");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir: join(dir, "old-data"), parquetDir: lake })).run.parquet?.status, "written");
    // The data dir is started again (a new server, a fresh install) with the same PARQUET_DIR.
    await writeVersion(workbook, v2);
    const { run } = await loadRelationships({ workbook, dataDir: join(dir, "data"), parquetDir: lake });
    assert.equal(run.version_id, 1);
    const db = await Database.open(":memory:");
    try {
      const names = (await db.all<{ actor_name: string }>(`SELECT actor_name FROM read_parquet('${parquetPath(lake, "actors", 1)}') ORDER BY numeric_id`)).map((r) => r.actor_name);
      const holdsThisVersion = JSON.stringify(names) === JSON.stringify(v2.ids.map((id) => v2.name(id)));
      // Either the files are this version's, or the run says they are not.
      assert.ok(holdsThisVersion || run.parquet?.status === "failed", `run.parquet ${JSON.stringify(run.parquet)} while version=1 holds ${JSON.stringify(names)}`);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a run recovered from the snapshot counts its changes as the load would have (actors and pairs, not rows)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  // Version 2: actor 3's code changes in both sheets (two fields), pair 2-3 changes side (two directions).
  const a: Version = { ids: [1, 2, 3], code: (id) => `P${id}`, name: (id) => `Persona ${id}`, cell: (x, y) => (x === 2 && y === 3 ? 1 : x === 3 && y === 2 ? 0 : x === y ? 0 : 1) };
  const b: Version = { ...a, code: (id) => (id === 3 ? "Z" : `P${id}`), cell: (x, y) => (x === 2 && y === 3 ? 0 : x === 3 && y === 2 ? 1 : x === y ? 0 : 1) };
  const c: Version = { ...b, ids: [1, 2, 3, 4] };
  try {
    await writeVersion(workbook, a);
    await loadRelationships({ workbook, dataDir, parquetDir: null });
    await writeVersion(workbook, b);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: null });
    assert.deepEqual(second.run.changes, { actors_added: 0, actors_removed: 0, actors_changed: 1, pairs_added: 0, pairs_removed: 0, pairs_changed: 1 });
    // The load is killed between publishing version 2 and recording it.
    const lines = readFileSync(runLogPath(dataDir), "utf8").trimEnd().split("\n");
    writeFileSync(runLogPath(dataDir), lines.slice(0, -1).join("\n") + "\n");
    const live = snapshotPath(dataDir);
    const later = new Date(Date.parse(second.run.finished_at) + 60_000);
    utimesSync(live, later, later);
    await writeVersion(workbook, c);
    await loadRelationships({ workbook, dataDir, parquetDir: null });
    const recovered = readRuns(dataDir).find((r) => r.version_id === 2 && r.status === "succeeded");
    assert.ok(recovered?.findings.some((f) => f.check === "run_recovered"));
    assert.deepEqual(recovered?.changes, second.run.changes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a load killed after publishing, within a second of the run before it: the next load reads the live file, records that version and loads the older file as a new one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const first = join(dir, "v1.xlsx");
  const second = join(dir, "v2.xlsx");
  // Big enough that the second load writes its file well after the first run's end (tens of ms).
  const ids = Array.from({ length: 200 }, (_, i) => i + 1);
  try {
    await writeVersion(first, { ids, cell: cells(1, { density: 0.3 }), code: (id) => `C${id}`, name: (id) => `N${id}` });
    await writeVersion(second, { ids, cell: cells(2, { density: 0.3 }), code: (id) => `C${id}`, name: (id) => `N${id}` });
    assert.equal((await loadRelationships({ workbook: first, dataDir, parquetDir: null })).run.version_id, 1);
    assert.equal((await loadRelationships({ workbook: second, dataDir, parquetDir: null })).run.version_id, 2);
    // Version 2's load is killed between publishing and recording.
    const lines = readFileSync(runLogPath(dataDir), "utf8").trimEnd().split("\n");
    writeFileSync(runLogPath(dataDir), lines.slice(0, -1).join("\n") + "\n");
    // The older workbook again: it is not the published version (2), so it is loaded.
    const { run } = await loadRelationships({ workbook: first, dataDir, parquetDir: null });
    assert.equal(run.status, "succeeded", run.error?.message);
    assert.equal(run.version_id, 3);
    const runs = readRuns(dataDir);
    assert.deepEqual(runs.map((r) => [r.status, r.version_id]), [["succeeded", 1], ["succeeded", 2], ["succeeded", 3]]);
    assert.equal(runs[1].findings.at(-1)?.check, "run_recovered");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a missing live file made the next load compare with nothing while still numbering the
// version from runs.jsonl: "published version 2 ... No changes since version 1", zero change
// counts, an empty `changes` table and a `versions` table of version 2 alone, without a warning,
// though version 1 was kept in snapshots/.
test("a live snapshot that is missing: the next version is compared with the kept copy of the last version and carries its history", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 1);
    rmSync(snapshotPath(dataDir));
    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.equal(second.run.status, "succeeded", second.run.error?.message);
    assert.equal(second.run.version_id, 2);
    // v2 drops actor 4 and renames actor 2.
    assert.equal(second.run.changes.actors_removed, 1);
    assert.equal(second.run.changes.actors_changed, 1);
    assert.deepEqual(second.run.findings.filter((f) => f.check === "history_unavailable"), []);
    const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
    try {
      assert.deepEqual((await db.all<{ version_id: number }>("SELECT version_id FROM versions ORDER BY 1")).map((r) => r.version_id), [1, 2]);
      const removed = await db.all<{ numeric_id: number }>("SELECT numeric_id FROM changes WHERE version_id = 2 AND entity = 'actor' AND change = 'removed'");
      assert.deepEqual(removed.map((r) => r.numeric_id), [4]);
    } finally {
      db.close();
    }
    const report = formatOutcome({ ok: true, relationships: second, contacts: null }).join("\n");
    assert.match(report, /Since version 1: 1 actor removed, 1 actor changed/, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a live snapshot that is missing and not kept: the next version says it was not compared, never 'no changes'", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null })).run.version_id, 1);
    rmSync(snapshotPath(dataDir));
    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: null });
    assert.equal(second.run.status, "succeeded", second.run.error?.message);
    assert.equal(second.run.version_id, 2);
    const unavailable = second.run.findings.filter((f) => f.check === "history_unavailable");
    assert.equal(unavailable.length, 1, "the run says the history could not be carried");
    assert.match(unavailable[0].message, /relationships\.duckdb.*missing/);
    const report = formatOutcome({ ok: true, relationships: second, contacts: null }).join("\n");
    assert.doesNotMatch(report, /No changes since/, report);
    assert.match(report, /Not compared with version 1/, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, the next number came from the live file's own history: an older kept version copied
// over the live file made the next load "published version 2" a second time, with a misleading
// Parquet failure ("already holds a version 2 written by another load"), two successful runs
// called version 2 in runs.jsonl, and a kept relationships-v2.duckdb holding the other one.
test("a live snapshot replaced by an older version: the next version gets a new number and is compared with what is live", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const lake = join(dir, "lake");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  const v3: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(7, { density: 0.5 }) };
  try {
    await writeVersion(workbook, v1);
    await loadRelationships({ workbook, dataDir, parquetDir: lake, keepVersions });
    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: lake, keepVersions });
    assert.equal(second.run.version_id, 2);
    copyFileSync(keptSnapshotPath(dataDir, 1), snapshotPath(dataDir));
    await writeVersion(workbook, v3);
    const third = await loadRelationships({ workbook, dataDir, parquetDir: lake, keepVersions });
    assert.equal(third.run.status, "succeeded", third.run.error?.message);
    assert.equal(third.run.version_id, 3);
    assert.equal(third.run.parquet?.status, "written", third.run.parquet?.error?.message);
    const published = readRuns(dataDir).filter((r) => r.status === "succeeded").map((r) => r.version_id);
    assert.deepEqual(published, [1, 2, 3], "no number given twice");
    const db = await Database.open(keptSnapshotPath(dataDir, 2), { readOnly: true });
    try {
      assert.equal((await db.one<{ sha256: string }>("SELECT sha256 FROM snapshot_info"))?.sha256, second.run.file?.sha256, "kept version 2 is still version 2");
    } finally {
      db.close();
    }
    // Compared with version 1, the one live: v3 adds actor 5 to v1's actors.
    assert.equal(third.run.compared_with, 1);
    assert.equal(third.run.changes.actors_added, 1);
    assert.equal(third.run.changes.actors_removed, 0);
    const report = formatOutcome({ ok: true, relationships: third, contacts: null }).join("\n");
    assert.match(report, /Since version 1: 1 actor added/, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The live file is the analysts' to open, read-write too (the DuckDB CLI's default): an UPDATE or
// DELETE there became the next version's "previous version", so its changes named actors "added"
// that version 1 had, a name version 1 never published as "changed", and a DELETE FROM changes
// lost the history for good. The kept copy of the live version is the one nobody writes.
test("an analyst's writes to the live snapshot do not reach the next version's changes or history", async () => {
  const dir = mkdtempSync(join(tmpdir(), "history-seq-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  try {
    await writeVersion(workbook, v1);
    await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    await writeVersion(workbook, v2);
    const second = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.equal(second.run.version_id, 2);
    const history = async (path: string) => {
      const db = await Database.open(path, { readOnly: true });
      try {
        return await db.all<{ version_id: number; entity: string; change: string; id: string; field: string | null }>(
          `SELECT version_id, entity, change, coalesce(CAST(numeric_id AS VARCHAR), person_a || '-' || person_b) AS id, field
           FROM changes ORDER BY ALL`,
        );
      } finally {
        db.close();
      }
    };
    const before = await history(snapshotPath(dataDir));
    assert.ok(before.some((c) => c.version_id === 2), "version 2 changed things");
    const analyst = await Database.open(snapshotPath(dataDir));
    try {
      await analyst.run("DELETE FROM actors WHERE numeric_id = 1");
      await analyst.run("UPDATE actors SET actor_name = 'Scratch' WHERE numeric_id = 3");
      await analyst.run("DELETE FROM user_relationships");
      await analyst.run("DELETE FROM changes");
      await analyst.run("CHECKPOINT");
    } finally {
      analyst.close();
    }
    await writeVersion(workbook, { ...v2, name: (id) => (id === 2 ? "Persona Dos" : id === 3 ? "Persona Tres" : `Persona ${id}`) });
    const third = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.equal(third.run.status, "succeeded", third.run.error?.message);
    assert.equal(third.run.version_id, 3);
    assert.equal(third.run.compared_with, 2);
    assert.deepEqual(third.run.changes, { actors_added: 0, actors_removed: 0, actors_changed: 1, pairs_added: 0, pairs_removed: 0, pairs_changed: 0 });
    const after = await history(snapshotPath(dataDir));
    assert.deepEqual(after.filter((c) => c.version_id < 3), before, "versions 1 and 2's history as published");
    assert.deepEqual(after.filter((c) => c.version_id === 3), [{ version_id: 3, entity: "actor", change: "changed", id: "3", field: "actor_name" }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
