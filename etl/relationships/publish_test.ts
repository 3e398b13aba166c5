import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    assert.equal(removeStaleTemps(dir).length, 3);
    assert.deepEqual(readdirSync(dir).sort(), ["relationships.duckdb", "runs.jsonl"]);
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
