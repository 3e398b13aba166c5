// `npm run etl -- --restore VERSION` end to end: the real CLI in child processes, the real API on
// port 0 reading what it publishes, real workbooks, real snapshot files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Database } from "../db/mod.ts";
import { formatOutcome } from "../report.ts";
import { readRuns, type Finding } from "../runs/mod.ts";
import { raw, testServer } from "../../scripts/testing/api_server.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { cells, expectedPairs, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { keepSnapshot, keptSnapshotPath, keptVersions, versionsToKeep } from "./keep_versions.ts";
import { acquireLoadLock } from "../files/mod.ts";
import { loadRelationships, restoreVersion, snapshotPath } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `R${id}`, name: (id) => `Persona ${id}` };
// A bad day: an actor more, other pairs, a name garbled.
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(9, { density: 0.5 }), name: (id) => (id === 3 ? "P3rsona ###" : `Persona ${id}`) };
const v3: Version = { ...v1, ids: [1, 2, 3], cell: cells(11, { density: 0.7 }) };

/** Waits until the API serves `version` (its watcher polls the file). */
async function served(url: string, version: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await raw(url, { path: "/versions?limit=1" });
    if (r.status === 200 && r.json().items[0]?.version_id === version) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`the API never served version ${version}`);
}

test("npm run etl -- --restore: version 1, version 2, restore 1; the API serves version 1's data; history says it was a restore; pruning keeps N", { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "restore-cli-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const etl = (...args: string[]) => etlCli(["--only", "relationships", "--workbook", workbook, "--data-dir", dataDir, "--keep-versions", "3", ...args]);
  const json = async (...args: string[]) => {
    const r = await etlCli(["--data-dir", dataDir, "--keep-versions", "3", "--json", ...args]);
    return { code: r.code, run: JSON.parse(r.stdout).relationships, stderr: r.stderr };
  };
  mkdirSync(dataDir, { recursive: true });
  const server = await testServer(dataDir);
  try {
    await writeVersion(workbook, v1);
    assert.equal((await etl()).code, 0);
    await writeVersion(workbook, v2);
    assert.equal((await etl()).code, 0);
    await served(server.url, 2);
    assert.equal((await raw(server.url, { path: "/actors" })).json().items.length, 5);

    const restore = await etlCli(["--restore", "1", "--data-dir", dataDir, "--keep-versions", "3"]);
    await t.test("the restore prints what it published and exits 0", () => {
      assert.equal(restore.code, 0, restore.stderr);
      assert.match(restore.stdout, /^Relationships: restored version 1 \(from relaciones\.xlsx\), published as version 3 in \d+\.\d s\n/);
      assert.match(restore.stdout, /\n {2}Since version 2: 1 actor removed, 1 actor changed/);
      assert.match(restore.stdout, /\n {2}Parquet: version 3 written to .*\/data\/parquet \(6 files\)\n/, "PARQUET_DIR is on by default");
      assert.match(restore.stdout, /\n {2}Kept for --restore: versions 1, 2, 3\n/);
    });

    await t.test("the API and readers see version 1's data, as version 3", async () => {
      await served(server.url, 3);
      const actors = (await raw(server.url, { path: "/actors?sort=id" })).json().items as { id: number; name: string }[];
      assert.deepEqual(actors.map((a) => [a.id, a.name]), v1.ids.map((id) => [id, v1.name(id)]));
      const pairs = (await raw(server.url, { path: "/relationships?limit=1000" })).json().items as { person_a_id: number; person_b_id: number; a_to_b: boolean | null; b_to_a: boolean | null }[];
      assert.deepEqual(pairs.map((p) => [p.person_a_id, p.person_b_id, p.a_to_b, p.b_to_a]), expectedPairs(v1));
    });

    await t.test("recorded as a relationships run: status, version_id, restored_from, the workbook version 1 came from", async () => {
      const run = readRuns(dataDir).at(-1)!;
      assert.deepEqual([run.kind, run.status, run.version_id, run.restored_from, run.file?.name], ["relationships", "succeeded", 3, 1, "relaciones.xlsx"]);
      assert.equal(run.file?.path, keptSnapshotPath(dataDir, 1));
      const viaApi = (await raw(server.url, { path: `/runs/${run.id}` })).json();
      assert.equal(viaApi.restored_from, 1);
      assert.ok(viaApi.change_details.length > 0, "the restore's changes are the run's");
    });

    await t.test("the history tables say it was a restore, and what it changed back", async () => {
      const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
      try {
        assert.deepEqual(await db.all("SELECT version_id, restored_from FROM versions ORDER BY version_id"), [
          { version_id: 1, restored_from: null },
          { version_id: 2, restored_from: null },
          { version_id: 3, restored_from: 1 },
        ]);
        assert.deepEqual(await db.all("SELECT change, numeric_id, field, old_value, new_value FROM changes WHERE version_id = 3 AND entity = 'actor' ORDER BY numeric_id"), [
          { change: "changed", numeric_id: 3, field: "actor_name", old_value: "P3rsona ###", new_value: "Persona 3" },
          { change: "removed", numeric_id: 5, field: "actor_name", old_value: "Persona 5", new_value: null },
        ]);
      } finally {
        db.close();
      }
      const changes = (await raw(server.url, { path: "/changes?version=3&kind=actor-removed" })).json().items as { numeric_id: number }[];
      assert.deepEqual(changes.map((c) => c.numeric_id), [5]);
      const versions = (await raw(server.url, { path: "/versions" })).json().items as { version_id: number; restored_from: number | null }[];
      assert.deepEqual(versions.map((v) => [v.version_id, v.restored_from]), [[3, 1], [2, null], [1, null]], "GET /versions says it too");
    });

    await t.test("restoring the data that is served (version 3 is a restore of 1) publishes nothing, and says so", async () => {
      for (const version of ["1", "3"]) {
        const again = await etlCli(["--restore", version, "--data-dir", dataDir, "--keep-versions", "3"]);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /^Relationships: skipped .*: Nothing to restore: version 3/);
        assert.deepEqual([readRuns(dataDir).at(-1)!.status, readRuns(dataDir).at(-1)!.error?.code], ["skipped", "already-served"]);
      }
      await served(server.url, 3);
    });

    await t.test("the next load skips the workbook the restore withdrew; a new file loads", async () => {
      const skipped = await json("--only", "relationships", "--workbook", workbook);
      assert.equal(skipped.code, 0);
      assert.deepEqual([skipped.run.status, skipped.run.error.code], ["skipped", "withdrawn"]);
      assert.match(skipped.run.error.message, /identical to version 2, which restoring version 1 \(published as version 3\) withdrew/);
      await writeVersion(workbook, v3);
      const loaded = await json("--only", "relationships", "--workbook", workbook);
      assert.deepEqual([loaded.run.status, loaded.run.version_id], ["succeeded", 4]);
    });

    await t.test("pruning keeps the newest N (KEEP_VERSIONS=3): version 1 is gone and cannot be restored", async () => {
      assert.deepEqual(keptVersions(dataDir).map((k) => k.version), [2, 3, 4]);
      assert.deepEqual(readRuns(dataDir).at(-1)?.kept, { versions: [2, 3, 4], pruned: [1] });
      const gone = await etlCli(["--restore", "1", "--data-dir", dataDir, "--keep-versions", "3"]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /^Relationships: FAILED: Cannot restore version 1: it is not kept in '.*\/data\/snapshots' \(kept: 2, 3, 4; KEEP_VERSIONS keeps the newest 3\); nothing was published\n/);
      const failed = readRuns(dataDir).at(-1)!;
      assert.deepEqual([failed.status, failed.error?.code, failed.restored_from, failed.version_id], ["failed", "version-not-kept", 1, null]);
      await served(server.url, 4);
    });

    await t.test("a restore waits for no one: with the load lock held it is skipped as busy, and publishes nothing", async () => {
      const release = acquireLoadLock(dataDir);
      try {
        const busy = await json("--restore", "2");
        assert.equal(busy.code, 0);
        assert.deepEqual([busy.run.status, busy.run.error.code, busy.run.restored_from], ["skipped", "busy", 2]);
      } finally {
        release();
      }
      assert.deepEqual(readdirSync(dataDir).filter((n) => n.startsWith(".relationships-")), [], "no temp snapshot is left");
      const again = await json("--restore", "2");
      assert.deepEqual([again.code, again.run.status, again.run.version_id, again.run.restored_from], [0, "succeeded", 5, 2]);
    });

    await t.test("--force loads a withdrawn workbook all the same", async () => {
      const skipped = await json("--only", "relationships", "--workbook", workbook);
      assert.deepEqual([skipped.run.status, skipped.run.error.code], ["skipped", "withdrawn"], "version 4's workbook, withdrawn by restoring version 2");
      const forced = await json("--only", "relationships", "--workbook", workbook, "--force");
      assert.deepEqual([forced.run.status, forced.run.version_id, forced.run.restored_from], ["succeeded", 6, undefined]);
    });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("keepSnapshot() keeps a week by default: every version of the last 7 days, and never fewer than the newest 7", () => {
  const dir = mkdtempSync(join(tmpdir(), "keep-"));
  try {
    const live = join(dir, "relationships.duckdb");
    const now = Date.parse("2026-03-20T00:00:00Z");
    const day = 86_400_000;
    // Versions 1-12: one a day for 12 days (version 12 today), then versions 13-16 on change today.
    for (let v = 1; v <= 16; v++) {
      writeFileSync(live, `version ${v}`);
      const kept = keepSnapshot({ dataDir: dir, live, version: v, keep: { newest: 1000, days: 0 } });
      assert.equal(kept.error, undefined);
      const at = (now - Math.max(0, 12 - v) * day) / 1000;
      utimesSync(keptSnapshotPath(dir, v), at, at);
      rmSync(live);
    }
    const all = keptVersions(dir);
    assert.deepEqual([...versionsToKeep(all, { newest: 7, days: 7 }, now)].sort((a, b) => a - b), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], "the last 7 days");
    assert.deepEqual([...versionsToKeep(all, { newest: 7, days: 7 }, now + 30 * day)].sort((a, b) => a - b), [10, 11, 12, 13, 14, 15, 16], "after a quiet month, still the newest 7");
    assert.deepEqual([...versionsToKeep(all, { newest: 3, days: 0 }, now)].sort((a, b) => a - b), [14, 15, 16]);
    writeFileSync(live, "version 17");
    const result = keepSnapshot({ dataDir: dir, live, version: 17, keep: { newest: 7, days: 7 }, now });
    assert.deepEqual(result, { versions: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], pruned: [1, 2, 3, 4] });
    assert.ok(!existsSync(keptSnapshotPath(dir, 1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a live snapshot of schema version 2 (no restored_from) still hands its history to the next load", async () => {
  const dir = mkdtempSync(join(tmpdir(), "schema2-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir })).run.version_id, 1);
    const old = await Database.open(snapshotPath(dataDir));
    try {
      await old.run("ALTER TABLE versions DROP COLUMN restored_from; UPDATE snapshot_info SET schema_version = 2; CHECKPOINT");
    } finally {
      old.close();
    }
    await writeVersion(workbook, v2);
    const { run } = await loadRelationships({ workbook, dataDir });
    assert.deepEqual([run.status, run.version_id, run.findings.some((f) => f.check === "history_unavailable")], ["succeeded", 2, false]);
    const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
    try {
      assert.deepEqual(await db.all("SELECT version_id, restored_from FROM versions ORDER BY 1"), [{ version_id: 1, restored_from: null }, { version_id: 2, restored_from: null }]);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("restoreVersion() of the version a served restore came from is already served, even once its kept copy is pruned", async () => {
  // Found by a chaos test: with KEEP_VERSIONS=2, restoring 1 as version 3 pruned version 1's copy,
  // and restoring 1 again failed "not kept" instead of saying it is what is served.
  const dir = mkdtempSync(join(tmpdir(), "restore-pruned-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const keepVersions = { newest: 2, days: 0 };
    for (const version of [v1, v2]) {
      await writeVersion(workbook, version);
      assert.equal((await loadRelationships({ workbook, dataDir: dir, keepVersions })).run.status, "succeeded");
    }
    assert.equal((await restoreVersion({ version: 1, dataDir: dir, keepVersions })).run.version_id, 3);
    assert.ok(!existsSync(keptSnapshotPath(dir, 1)), "version 1's copy was pruned");
    const again = await restoreVersion({ version: 1, dataDir: dir, keepVersions });
    assert.deepEqual([again.run.status, again.run.error?.code], ["skipped", "already-served"]);
    assert.match(again.run.error!.message, /version 3, the one served, is already a restore of version 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a restore copied the kept version's findings without their values (both codes of each
// letter code disagreement): its run and its published file said less than the version's own load.
test("a restore publishes the kept version's findings with their values, and restores a kept file of schema version 4 (no values) without them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "restore-values-"));
  try {
    const keepVersions = { newest: 10, days: 0 };
    const sample = fileURLToPath(new URL("../../data/relaciones.xlsx", import.meta.url));
    const first = (await loadRelationships({ workbook: sample, dataDir: dir, parquetDir: null, keepVersions })).run;
    const workbook = join(dir, "relaciones.xlsx");
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null, keepVersions })).run.version_id, 2);
    const withValues = (findings: Finding[]) => findings.filter((f) => f.values !== undefined).map((f) => [f.check, f.values]);
    assert.ok(withValues(first.findings).length > 0, "the sample has letter code disagreements");
    const restored = (await restoreVersion({ version: 1, dataDir: dir, parquetDir: null, keepVersions })).run;
    assert.deepEqual([restored.status, restored.version_id], ["succeeded", 3]);
    assert.deepEqual(withValues(restored.findings), withValues(first.findings), "the run");
    const published = async () => {
      const db = await Database.open(snapshotPath(dir), { readOnly: true });
      try {
        return await db.all<{ check_name: string; cell_values: string[] | null }>("SELECT check_name, cell_values FROM findings WHERE cell_values IS NOT NULL ORDER BY 1");
      } finally {
        db.close();
      }
    };
    assert.deepEqual((await published()).map((r) => [r.check_name, r.cell_values]), withValues(first.findings).sort(), "the file");
    // Version 1's kept copy as a load before schema version 5 wrote it.
    const old = await Database.open(keptSnapshotPath(dir, 1));
    try {
      await old.run("ALTER TABLE findings DROP COLUMN cell_values; UPDATE snapshot_info SET schema_version = 4; CHECKPOINT");
    } finally {
      old.close();
    }
    assert.equal((await loadRelationships({ workbook, dataDir: dir, parquetDir: null, keepVersions, force: true })).run.version_id, 4);
    const again = (await restoreVersion({ version: 1, dataDir: dir, parquetDir: null, keepVersions })).run;
    assert.deepEqual([again.status, again.version_id], ["succeeded", 5]);
    assert.deepEqual(again.findings.map((f) => f.check).sort(), first.findings.map((f) => f.check).sort());
    assert.deepEqual([withValues(again.findings), await published()], [[], []]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("restoreVersion() told to wait for the lock (--restore with --wait) publishes once the other load ends", async () => {
  // --wait was accepted with --restore and ignored: a held lock still made the restore a skip.
  const dir = mkdtempSync(join(tmpdir(), "restore-wait-"));
  try {
    const workbook = join(dir, "r.xlsx");
    const keep = { newest: 7, days: 0 };
    await writeVersion(workbook, v1);
    await loadRelationships({ workbook, dataDir: dir, keepVersions: keep });
    await writeVersion(workbook, v2);
    await loadRelationships({ workbook, dataDir: dir, keepVersions: keep });
    const release = acquireLoadLock(dir);
    // Its first try at the lock happens before restoreVersion() returns its promise: busy.
    const waiting = restoreVersion({ dataDir: dir, version: 1, keepVersions: keep, lockWaitMs: 60_000 });
    release();
    const { run } = await waiting;
    assert.deepEqual([run.status, run.version_id, run.restored_from], ["succeeded", 3, 1], JSON.stringify(run.error));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, a restore copied every finding of the version it restored, its history_unavailable too:
// a restore that carried the history whole said (and its report printed) that the history restarts.
test("restoring a version whose own load could not read its predecessor does not say the history restarts: the restore carried it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "restore-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const keepVersions = { newest: 7, days: 0 };
  try {
    // A damaged live file (a bad copy from a backup): version 1 starts a new history, and says so.
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(snapshotPath(dataDir), Buffer.alloc(64 * 1024, 0x5a));
    await writeVersion(workbook, { ...v1, cell: cells(5, { density: 0.6, filled: 3 }) }); // a blank row: unknown_cells
    const first = await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    assert.equal(first.run.version_id, 1);
    assert.ok(first.run.findings.some((f) => f.check === "history_unavailable"));
    assert.ok(first.run.findings.some((f) => f.check === "unknown_cells"));
    await writeVersion(workbook, v2);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions })).run.version_id, 2);

    const restored = await restoreVersion({ dataDir, version: 1, keepVersions });
    assert.deepEqual([restored.run.status, restored.run.version_id, restored.run.restored_from], ["succeeded", 3, 1]);
    const db = await Database.open(snapshotPath(dataDir), { readOnly: true });
    let published: string[];
    try {
      assert.deepEqual((await db.all<{ v: number }>("SELECT version_id::INTEGER AS v FROM versions ORDER BY 1")).map((r) => r.v), [1, 2, 3], "the history carried");
      assert.ok((await db.one<{ n: bigint }>("SELECT count(*) AS n FROM changes WHERE version_id = 3"))!.n > 0n, "version 3 has its changes");
      published = (await db.all<{ check_name: string }>("SELECT check_name FROM findings")).map((r) => r.check_name);
    } finally {
      db.close();
    }
    assert.deepEqual(restored.run.findings.filter((f) => f.check === "history_unavailable"), [], "the run");
    assert.ok(!published.includes("history_unavailable"), "the snapshot's findings");
    const own = first.run.findings.filter((f) => f.check !== "history_unavailable" && f.check !== "run_recovered").map((f) => f.check);
    assert.deepEqual(published.sort(), own.sort(), "the restored version's findings about its workbook are kept");
    const report = formatOutcome({ ok: true, relationships: restored, contacts: null }).join("\n");
    assert.doesNotMatch(report, /Not compared with version 2/, report);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
