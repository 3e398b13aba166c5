import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendRun, type RunRecord } from "../runs/mod.ts";
import { changedSinceLastLoad, watchFile } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";

// A workbook put in place unreadable (cp, then chmod 000) failed its load, rightly; made readable
// (chmod 644) it was not loaded until the daily run: chmod changes only the ctime, which the
// watcher did not look at, and the schedule read a file it could not hash as "not changed".

function run(path: string, fields: Partial<RunRecord> & { size: number; sha256: string }): RunRecord {
  const at = "2026-03-03T09:00:00.000Z";
  const { size, sha256, ...rest } = fields;
  return {
    id: `r-${Math.random()}`, kind: "relationships", status: "succeeded", started_at: at, finished_at: at,
    file: { name: "relaciones.xlsx", path, size, sha256 }, counts: {}, findings: [], changes: {}, error: null, ...rest,
  };
}

test("watchFile() fires for a change of the ctime alone (a chmod that makes the file readable again)", () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-ctime-"));
  try {
    const file = join(dir, "relaciones.xlsx");
    writeFileSync(file, "v1");
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    let fired = 0;
    let changes = 0;
    const watcher = watchFile(file, { clock, pollMs: 100, stableMs: 500, onStable: () => fired++, onChange: () => changes++ });
    clock.advance(1000);
    assert.equal(fired, 0);
    const before = statSync(file);
    // The kernel stamps ctime from a coarse clock: change the mode until the stamp has moved (a state, not a wait).
    for (let i = 0; statSync(file).ctimeMs === before.ctimeMs; i++) {
      chmodSync(file, 0o600);
      chmodSync(file, 0o644);
      if (i > 1_000_000) assert.fail("the ctime never moved");
    }
    const after = statSync(file);
    assert.deepEqual([after.size, after.mtimeMs, after.ino], [before.size, before.mtimeMs, before.ino], "only the ctime changed");
    clock.advance(100);
    assert.equal(changes, 1, "the change is seen");
    clock.advance(600);
    assert.equal(fired, 1, "and loads once it has kept still");
    watcher.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("changedSinceLastLoad(): a file the last load could not read is due once it can be read; one that cannot be hashed is due", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "changed-unreadable-"));
  try {
    const file = join(dir, "relaciones.xlsx");
    writeFileSync(file, "version 1");
    const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
    await t.test("the last load failed as unreadable; now it can be read", async () => {
      const data = join(dir, "a");
      appendRun(data, run(file, { size: 9, sha256 }));
      assert.equal(await changedSinceLastLoad(data, "relationships", file), false, "the loaded file");
      appendRun(data, run(file, { size: 9, sha256: "", status: "failed", error: { code: "unreadable", message: "Cannot read it: the file cannot be opened (EACCES)" } }));
      assert.equal(await changedSinceLastLoad(data, "relationships", file), true, "nobody has judged what is there now");
    });
    await t.test("a contacts CSV refused as 'unreadable' for its content (it was hashed) is not due again until it changes", async () => {
      const data = join(dir, "d");
      appendRun(data, run(file, { size: 9, sha256, kind: "contacts", status: "failed", error: { code: "unreadable", message: "a quote on line 3 is never closed" } }));
      assert.equal(await changedSinceLastLoad(data, "contacts", file), false);
    });
    await t.test("the last load failed as unreadable; it still cannot be read (root-proof: a folder in its place)", async () => {
      const data = join(dir, "b");
      const folder = join(dir, "folder.xlsx");
      mkdirSync(folder);
      appendRun(data, run(folder, { size: 9, sha256: "", status: "failed", error: { code: "unreadable", message: "EACCES" } }));
      assert.equal(await changedSinceLastLoad(data, "relationships", folder), false, "each try would fail the same way: not due yet");
    });
    await t.test("a file that cannot be hashed now is due (its load records why), not taken for unchanged", async () => {
      const data = join(dir, "c");
      const folder = join(dir, "same-size.xlsx");
      mkdirSync(folder);
      appendRun(data, run(folder, { size: statSync(folder).size, sha256 }));
      assert.equal(await changedSinceLastLoad(data, "relationships", folder), true);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
