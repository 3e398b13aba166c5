import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../db/mod.ts";
import { publishSnapshot, removeStaleTemps, snapshotPath, tempSnapshotPath } from "./publish.ts";

test("removeStaleTemps() deletes only a dead load's temp files, spill directory included", () => {
  const dir = mkdtempSync(join(tmpdir(), "publish-test-"));
  try {
    writeFileSync(snapshotPath(dir), "live");
    writeFileSync(join(dir, "runs.jsonl"), "");
    writeFileSync(tempSnapshotPath(dir, "a"), "partial");
    writeFileSync(`${tempSnapshotPath(dir, "a")}.wal`, "wal");
    mkdirSync(`${tempSnapshotPath(dir, "b")}.tmp`);
    writeFileSync(join(`${tempSnapshotPath(dir, "b")}.tmp`, "spill"), "x");
    // A copy of a locked kept snapshot, read beside it by a load or --restore that then died.
    mkdirSync(join(dir, "snapshots"));
    writeFileSync(join(dir, "snapshots", "relationships-v1.duckdb"), "kept");
    writeFileSync(join(dir, "snapshots", ".relationships-read-123-abcd.duckdb"), "copy");
    assert.equal(removeStaleTemps(dir).length, 4);
    assert.deepEqual(readdirSync(dir).sort(), ["relationships.duckdb", "runs.jsonl", "snapshots"]);
    assert.deepEqual(readdirSync(join(dir, "snapshots")), ["relationships-v1.duckdb"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("publishSnapshot() replaces the live file by rename", () => {
  const dir = mkdtempSync(join(tmpdir(), "publish-test-"));
  try {
    writeFileSync(snapshotPath(dir), "old");
    writeFileSync(tempSnapshotPath(dir, "r1"), "new");
    publishSnapshot(tempSnapshotPath(dir, "r1"), snapshotPath(dir));
    assert.equal(readFileSync(snapshotPath(dir), "utf8"), "new");
    assert.deepEqual(readdirSync(dir), ["relationships.duckdb"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("publishSnapshot() moves the new file into place: readers of the old one keep reading the old version", async () => {
  // Copying the new file over the live one (and deleting the temp) would leave the same names
  // behind, but it rewrites the file readers have open: they would see a mix of two versions.
  const dir = mkdtempSync(join(tmpdir(), "publish-test-"));
  const version = async (path: string, v: number) => {
    const db = await Database.open(path);
    try {
      await db.run("CREATE TABLE snapshot_info AS SELECT CAST($1 AS INTEGER) AS version_id, repeat('x', 100000) AS pad", [v]);
      await db.run("CHECKPOINT");
    } finally {
      db.close();
    }
  };
  const live = snapshotPath(dir);
  const temp = tempSnapshotPath(dir, "r2");
  let reader: Database | null = null;
  let fd: number | null = null;
  try {
    await version(live, 1);
    await version(temp, 2);
    const oldBytes = readFileSync(live);
    const newInode = statSync(temp).ino;
    reader = await Database.open(live, { readOnly: true });
    fd = openSync(live, "r");

    publishSnapshot(temp, live);

    assert.equal(statSync(live).ino, newInode, "the new file itself is now the live one (renamed, not copied)");
    const seen = Buffer.alloc(oldBytes.length);
    readSync(fd, seen, 0, seen.length, 0);
    assert.ok(seen.equals(oldBytes), "an open descriptor still reads the old version's bytes");
    const old = await reader.one<{ v: number }>("SELECT version_id AS v FROM snapshot_info");
    assert.equal(old?.v, 1, "an open DuckDB reader still answers from the old version");
    const fresh = await Database.open(live, { readOnly: true });
    try {
      assert.equal((await fresh.one<{ v: number }>("SELECT version_id AS v FROM snapshot_info"))?.v, 2, "a new open sees the new version");
    } finally {
      fresh.close();
    }
  } finally {
    if (fd !== null) closeSync(fd);
    reader?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
