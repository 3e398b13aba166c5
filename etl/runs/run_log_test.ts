import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendRun, lastRun, newRunId, readRuns, runLogPath, type RunRecord } from "./mod.ts";

function run(id: string, status: RunRecord["status"]): RunRecord {
  const now = new Date().toISOString();
  return {
    id, kind: "relationships", status, started_at: now, finished_at: now, file: null,
    counts: {}, findings: [], changes: {}, error: null,
  };
}

test("appendRun() and readRuns() keep runs in order and survive a torn last line", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    assert.deepEqual(readRuns(dir), []);
    appendRun(dir, run("a", "succeeded"));
    appendRun(dir, run("b", "failed"));
    appendFileSync(runLogPath(dir), '{"id":"c","kind":"rel');
    assert.deepEqual(readRuns(dir).map((r) => r.id), ["a", "b"]);
    assert.equal(lastRun(dir, "relationships", "succeeded")?.id, "a");
    assert.equal(lastRun(dir, "relationships")?.id, "b");
    assert.equal(lastRun(dir, "contacts"), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("newRunId() sorts by time", () => {
  const a = newRunId(new Date("2026-03-03T00:00:00Z"));
  const b = newRunId(new Date("2026-03-04T00:00:00Z"));
  assert.ok(a < b);
  assert.match(a, /^20260303T000000000Z-[0-9a-f]{4}$/);
});
