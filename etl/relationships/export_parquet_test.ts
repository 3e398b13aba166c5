// The Parquet copy of each published version, read back with DuckDB's own read_parquet (Hive
// partitions) and compared with the snapshot it came from; real workbooks, real loads, real files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";
import { CAN_MOUNT, mountTmpfs, unmount } from "../../scripts/testing/tmpfs.ts";
import { loadRelationships, parquetPath, parquetVersions, snapshotPath } from "./mod.ts";

const v1: Version = { ids: [1, 2, 3, 4], cell: cells(5, { density: 0.6 }), code: (id) => `P${id}`, name: (id) => `Persona ${id}` };
// The next day: an actor more, other pairs, one name changed. (The partition columns, `table` and
// `version`, come from the folder names; the files themselves hold the snapshot's columns only.)
const v2: Version = { ...v1, ids: [1, 2, 3, 4, 5], cell: cells(6, { density: 0.5 }), name: (id) => (id === 2 ? "Persona Dos" : `Persona ${id}`) };

/** Rows as comparable text: DuckDB values (bigint, Date, lists) through one JSON form, in order. */
async function rows(db: Database, sql: string): Promise<string[]> {
  return (await db.all(sql)).map((row) => JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
}

test("each published version is written as Parquet in Hive partitions and reads back equal to its snapshot", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "parquet-"));
  const dataDir = join(dir, "data");
  const parquetDir = join(dir, "lake");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, v1);
    const first = await loadRelationships({ workbook, dataDir, parquetDir });
    assert.deepEqual(first.run.parquet, { status: "written", dir: parquetDir, versions: [1], files: 6 });
    const db = await Database.open(":memory:");
    const glob = (table: string) => `read_parquet('${join(parquetDir, `table=${table}`, "*", "*.parquet")}', hive_partitioning = true, union_by_name = true)`;
    try {
      await t.test("version 1 reads back as the snapshot's tables", async () => {
        await db.run(`ATTACH '${snapshotPath(dataDir)}' AS s (READ_ONLY)`);
        for (const [table, order] of [["actors", "numeric_id"], ["user_relationships", "person_a, person_b"], ["v_actor_relationships", "person_a_id, person_b_id"], ["findings", "check_name"]]) {
          const parquet = await rows(db, `SELECT * EXCLUDE (version, "table") FROM ${glob(table)} WHERE version = 1 ORDER BY ${order}`);
          assert.deepEqual(parquet, await rows(db, `SELECT * FROM s.${table} ORDER BY ${order}`), table);
          assert.ok(parquet.length > 0 || table === "findings", table);
        }
        await db.run("DETACH s");
      });

      const v1File = statSync(parquetPath(parquetDir, "actors", 1));
      await writeVersion(workbook, v2);
      const second = await loadRelationships({ workbook, dataDir, parquetDir });
      const again = statSync(parquetPath(parquetDir, "actors", 1));
      assert.deepEqual([again.ino, again.mtimeMs], [v1File.ino, v1File.mtimeMs], "version 1's files are not rewritten");
      assert.equal(second.run.version_id, 2);
      assert.equal(second.run.parquet?.status, "written");
      await t.test("version 2 is a partition of its own; version 1's files are untouched; every change of the history is there", async () => {
        await db.run(`ATTACH '${snapshotPath(dataDir)}' AS s (READ_ONLY)`);
        assert.deepEqual(
          await rows(db, `SELECT * EXCLUDE (version, "table") FROM ${glob("actors")} WHERE version = 2 ORDER BY numeric_id`),
          await rows(db, "SELECT * FROM s.actors ORDER BY numeric_id"),
        );
        assert.deepEqual(
          await rows(db, `SELECT * EXCLUDE (version, "table") FROM ${glob("user_relationships")} WHERE version = 2 ORDER BY person_a, person_b`),
          await rows(db, "SELECT * FROM s.user_relationships ORDER BY person_a, person_b"),
        );
        assert.deepEqual(
          await rows(db, `SELECT version, count(*)::INTEGER AS actors FROM ${glob("actors")} GROUP BY version ORDER BY version`),
          ['{"version":1,"actors":4}', '{"version":2,"actors":5}'],
        );
        const order = "version_id, entity, change, numeric_id, person_a, person_b, field";
        const changes = await rows(db, `SELECT * EXCLUDE (version, "table") FROM ${glob("changes")} ORDER BY ${order}`);
        assert.deepEqual(changes, await rows(db, `SELECT * FROM s.changes ORDER BY ${order}`));
        assert.ok(changes.length > 0);
        assert.deepEqual(await rows(db, `SELECT * EXCLUDE (version, "table") FROM ${glob("versions")} ORDER BY version_id`), await rows(db, "SELECT * FROM s.versions ORDER BY version_id"));
        // Every table has a file per version, empty ones included (version 1 changed nothing), as a
        // lake engine lists them.
        const files = await db.all<{ file: string }>(`SELECT file FROM glob('${join(parquetDir, "*", "*", "*.parquet")}') ORDER BY file`);
        assert.deepEqual(
          files.map((f) => f.file.slice(parquetDir.length + 1)),
          ["actors", "changes", "findings", "user_relationships", "v_actor_relationships", "versions"].flatMap((t) => [1, 2].map((v) => `table=${t}/version=${v}/data.parquet`)),
        );
        await db.run("DETACH s");
      });
      assert.deepEqual(parquetVersions(parquetDir), [1, 2]);
      assert.deepEqual(readdirSync(join(parquetDir, "table=actors", "version=2")), ["data.parquet"], "no temp file is left");
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed Parquet export is recorded in the run and neither fails nor unpublishes the load; the next export fills the gap", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parquet-fail-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const parquetDir = join(dir, "lake");
  try {
    await writeVersion(workbook, v1);
    // A file where the folder should be: nothing can be written under it.
    writeFileSync(parquetDir, "not a folder");
    const { run } = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions: { newest: 7, days: 0 } });
    assert.equal(run.status, "succeeded");
    assert.equal(run.version_id, 1);
    assert.equal(run.parquet?.status, "failed");
    assert.equal(run.parquet?.error?.code, "parquet-failed");
    assert.match(run.parquet!.error!.message, new RegExp(`^Cannot write version 1 as Parquet to '${parquetDir}': .*; the version is published all the same$`));
    assert.deepEqual(readRuns(dataDir).at(-1)?.parquet, run.parquet, "the failure is in runs.jsonl");
    assert.ok(existsSync(snapshotPath(dataDir)), "version 1 is published");

    rmSync(parquetDir);
    await writeVersion(workbook, v2);
    const next = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions: { newest: 7, days: 0 } });
    assert.deepEqual(next.run.parquet, { status: "written", dir: parquetDir, versions: [1, 2], files: 12 }, "version 1 comes from its kept snapshot");
    assert.ok(existsSync(parquetPath(parquetDir, "user_relationships", 1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an export killed mid-file leaves no file a folder reader takes for data: the next export removes it, and its own temps are hidden", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parquet-killed-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const parquetDir = join(dir, "lake");
  try {
    await writeVersion(workbook, v1);
    const keepVersions = { newest: 7, days: 0 };
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir, keepVersions })).run.version_id, 1);
    // What a load killed (kill -9) while its COPY wrote version 2's actors left: a partial temp
    // file of a process that is gone, under the name written before and under the hidden one.
    const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
    const folder = join(parquetPath(parquetDir, "actors", 2), "..");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `data.parquet.${gone}.tmp`), "PAR1");
    writeFileSync(join(folder, `.data.parquet.${gone}.tmp`), "PAR1");
    await writeVersion(workbook, v2);
    const next = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions });
    assert.deepEqual(next.run.parquet, { status: "written", dir: parquetDir, versions: [2], files: 6 });
    for (const table of readdirSync(parquetDir)) {
      for (const version of readdirSync(join(parquetDir, table))) {
        assert.deepEqual(readdirSync(join(parquetDir, table, version)), ["data.parquet"], `${table}/${version} holds its file only`);
      }
    }
    // A folder read (Spark, pyarrow) or a glob of every file reads the data alone.
    const db = await Database.open(":memory:");
    try {
      const read = await db.one<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${join(parquetDir, "table=actors", "**")}', hive_partitioning = true)`);
      assert.equal(Number(read?.n), v1.ids.length + v2.ids.length);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a kept file that is not its version's snapshot is named and skipped: the published version and the other missing ones are written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parquet-bad-kept-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const parquetDir = join(dir, "lake");
  const keepVersions = { newest: 7, days: 0 };
  try {
    // Parquet turned on at version 3: versions 1 and 2 are filled in from their kept files.
    await writeVersion(workbook, v1);
    await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    await writeVersion(workbook, v2);
    await loadRelationships({ workbook, dataDir, parquetDir: null, keepVersions });
    const kept1 = join(dataDir, "snapshots", "relationships-v1.duckdb");
    writeFileSync(kept1, "not a snapshot\n");
    await writeVersion(workbook, v1);
    const { run } = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions });
    assert.equal(run.status, "succeeded");
    assert.deepEqual([run.parquet?.status, run.parquet?.versions, run.parquet?.files], ["failed", [1, 2, 3], 13], "version 1: its changes only, from the live history");
    assert.match(
      run.parquet!.error!.message,
      new RegExp(`^version 1 \\(its kept file '${kept1}' is not that version's snapshot: .*\\); the other versions are in '${parquetDir}' all the same\\. Put that file back from a backup, or delete it \\(it cannot be restored either\\)$`),
    );
    for (const version of [2, 3]) assert.ok(existsSync(parquetPath(parquetDir, "versions", version)), `version ${version} is listed`);
    assert.ok(!existsSync(parquetPath(parquetDir, "actors", 1)));
    assert.ok(!existsSync(parquetPath(parquetDir, "versions", 1)), "not listed: its data files are not there");
    // Version 2's file put over version 1's: not written as version 1.
    copyFileSync(join(dataDir, "snapshots", "relationships-v2.duckdb"), kept1);
    await writeVersion(workbook, v2);
    const next = await loadRelationships({ workbook, dataDir, parquetDir, keepVersions });
    assert.deepEqual([next.run.parquet?.status, next.run.parquet?.versions], ["failed", [4]]);
    assert.match(next.run.parquet!.error!.message, /^version 1 \(its kept file '.*' is not that version's snapshot: it holds version 2\)/);
    assert.ok(!existsSync(parquetPath(parquetDir, "actors", 1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a version neither kept nor exported has its changes in Parquet, but no versions row: a listed version has all its files", async () => {
  // Parquet turned on at version 2, version 1 not kept (or a load killed between publishing and
  // exporting): version 1 was listed in `versions` with no actors, pairs or findings.
  const dir = mkdtempSync(join(tmpdir(), "parquet-later-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const parquetDir = join(dir, "lake");
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir })).run.status, "succeeded");
    await writeVersion(workbook, v2);
    const { run } = await loadRelationships({ workbook, dataDir, parquetDir });
    assert.equal(run.parquet?.status, "written");
    assert.deepEqual(parquetVersions(parquetDir), [2]);
    assert.ok(existsSync(parquetPath(parquetDir, "changes", 1)), "version 1's changes, from the live history");
    assert.ok(!existsSync(parquetPath(parquetDir, "versions", 1)), "version 1 listed without its files");
    assert.ok(!existsSync(parquetPath(parquetDir, "actors", 1)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Parquet folder on a read-only file system: the load succeeds and the run says read-only, not 'no such file or directory'", { skip: CAN_MOUNT ? false : "needs root and mount(8) for a read-only tmpfs" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "parquet-ro-"));
  const mount = join(dir, "ro");
  mkdirSync(mount);
  assert.ok(mountTmpfs(mount, "1m,ro"));
  try {
    const dataDir = join(dir, "data");
    const workbook = join(dir, "relaciones.xlsx");
    await writeVersion(workbook, v1);
    // Under the mount point (a folder to make) and the mount point itself (a folder there).
    for (const parquetDir of [join(mount, "lake"), mount]) {
      const { run } = await loadRelationships({ workbook, dataDir, parquetDir, force: true });
      assert.equal(run.status, "succeeded");
      assert.equal(run.parquet?.status, "failed");
      assert.match(run.parquet?.error?.message ?? "", /EROFS: read-only file system/, parquetDir);
    }
  } finally {
    unmount(mount);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the READMEs' read_parquet of a folder spanning a schema change keeps the columns the newer files have", async () => {
  // Before, the root README read the folders with `hive_partitioning = true` alone (and this file's
  // own reader did too): DuckDB takes the first file's columns, version=1's, so a folder whose first
  // version an older load wrote read without `changes.letter_code` (schema version 4),
  // `versions.restored_from` (3) or `findings.cell_values` (5), for every version and without a word.
  const dir = mkdtempSync(join(tmpdir(), "parquet-schemas-"));
  const dataDir = join(dir, "data");
  const parquetDir = join(dir, "lake");
  const workbook = join(dir, "relaciones.xlsx");
  const db = await Database.open(":memory:");
  try {
    await writeVersion(workbook, v1);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir })).run.parquet?.status, "written");
    // Version 1's history and findings files as a load of schema version 2 wrote them.
    for (const [table, column] of [["changes", "letter_code"], ["versions", "restored_from"], ["findings", "cell_values"]]) {
      const file = parquetPath(parquetDir, table, 1);
      await db.run(`COPY (SELECT * EXCLUDE (${column}) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT parquet)`);
      renameSync(`${file}.old`, file);
    }
    await writeVersion(workbook, v2);
    assert.equal((await loadRelationships({ workbook, dataDir, parquetDir })).run.parquet?.status, "written");
    const readme = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");
    const calls = [...`${readme("../../README.md")}\n${readme("./README.md")}`.matchAll(/read_parquet\(\s*(?:'[^']*parquet\/table=[^']*'|\.\.\.)\s*,\s*([^)]*)\)/g)];
    assert.ok(calls.length >= 2, "the READMEs show how to read the folders");
    for (const [call, options] of calls) {
      const read = (table: string) => `read_parquet('${join(parquetDir, `table=${table}`, "*", "*.parquet")}', ${options.replace(/\s+/g, " ")})`;
      assert.deepEqual(
        await rows(db, `SELECT numeric_id, letter_code FROM ${read("changes")} WHERE version = 2 AND entity = 'actor' AND change = 'added'`),
        ['{"numeric_id":5,"letter_code":"P5"}'],
        call,
      );
      assert.deepEqual(await rows(db, `SELECT version, restored_from FROM ${read("versions")} ORDER BY version`), ['{"version":1,"restored_from":null}', '{"version":2,"restored_from":null}'], call);
      // Schema version 5's column is there (these workbooks have no findings: it binds, and counts none).
      assert.deepEqual(await rows(db, `SELECT count(cell_values)::INTEGER AS n FROM ${read("findings")}`), ['{"n":0}'], call);
    }
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
