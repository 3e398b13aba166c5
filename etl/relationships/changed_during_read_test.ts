import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRuns } from "../runs/mod.ts";
import { loadRelationships } from "./load_relationships.ts";
import { cells, writeVersion, type Version } from "../../scripts/testing/workbooks.ts";

const version = (seed: number): Version => ({ ids: [1, 2, 3, 4, 5], cell: cells(seed), code: (id) => `S${id}`, name: (id) => `N${seed}-${id}` });

test("a workbook written over in place while it is read fails as 'file-changed', not as a cut-off file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "changed-during-read-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const next = join(dir, "next.xlsx");
  try {
    await writeVersion(workbook, version(1));
    assert.equal((await loadRelationships({ workbook, dataDir })).run.status, "succeeded");
    await writeVersion(workbook, version(2));
    await writeVersion(next, version(3));
    await t.test("a copy over it that has written half the new file when the read starts", async () => {
      // The same inode written from its start, as `cp next.xlsx relaciones.xlsx` does: at the
      // moment the read begins (after the hash started), half of the new bytes are there.
      const half = readFileSync(next).subarray(0, Math.floor(readFileSync(next).length / 2));
      const { run } = await loadRelationships({
        workbook,
        dataDir,
        onPhase: (phase) => void (phase === "reading" && writeFileSync(workbook, half)),
      });
      assert.equal(run.status, "failed");
      assert.equal(run.error?.code, "file-changed", run.error?.message);
      assert.match(run.error!.message, /changed while it was being read/);
      assert.equal(run.file?.sha256, "", "judged in neither version: no hash, so the schedule does not count either as read");
      assert.equal(readRuns(dataDir).at(-1)?.id, run.id);
    });
    await t.test("a file that was cut off before the load began is still 'truncated'", async () => {
      writeFileSync(workbook, readFileSync(next).subarray(0, 200));
      const { run } = await loadRelationships({ workbook, dataDir });
      assert.equal(run.error?.code, "truncated", run.error?.message);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a workbook removed once its read has begun fails as 'file-changed' naming it, not as an internal error", async () => {
  // The read has the file open when it goes; the hash must not open it again by its name (it
  // found nothing there, and the load failed 'internal' with ENOENT).
  const dir = mkdtempSync(join(tmpdir(), "removed-during-read-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  try {
    await writeVersion(workbook, version(1));
    let removed = false;
    const { run } = await loadRelationships({
      workbook,
      dataDir,
      onProgress: () => {
        if (!removed) rmSync(workbook);
        removed = true;
      },
    });
    assert.ok(removed, "the matrix was read");
    assert.equal(run.status, "failed");
    assert.equal(run.error?.code, "file-changed", run.error?.message);
    assert.match(run.error!.message, /'relaciones\.xlsx' changed while it was being read/);
    assert.equal(run.file?.sha256, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a FIFO where the workbook should be fails at once as 'not-found' (the load opens it without waiting for a writer)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fifo-workbook-"));
  const workbook = join(dir, "relaciones.xlsx");
  try {
    execFileSync("mkfifo", [workbook]);
    const { run } = await loadRelationships({ workbook, dataDir: join(dir, "data") });
    assert.equal(run.error?.code, "not-found", run.error?.message);
    assert.match(run.error!.message, /is not a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
