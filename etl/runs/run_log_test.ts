import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { amendRun, appendRun, collectRuns, lastRun, newRunId, readRuns, RunLog, runLogPath, type RunRecord } from "./mod.ts";

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
    // The next run after the torn line (a crash, or a disk full part-way) is kept: it was appended
    // onto the torn line and lost with it.
    appendRun(dir, run("d", "succeeded"));
    assert.deepEqual(readRuns(dir).map((r) => r.id), ["a", "b", "d"]);
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

test("amendRun() adds an alert's outcome to its run; readRuns() merges it and ignores amendments of unknown runs", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    appendRun(dir, run("a", "failed"));
    appendRun(dir, run("b", "succeeded"));
    amendRun(dir, { amends: "a", alert: { status: "failed", attempts: 3, at: "2026-03-03T00:00:00.000Z", error: { code: "timeout", message: "no answer" } } });
    amendRun(dir, { amends: "nobody", alert: { status: "sent", attempts: 1, at: "2026-03-03T00:00:00.000Z" } });
    const runs = readRuns(dir);
    assert.deepEqual(runs.map((r) => r.id), ["a", "b"]);
    assert.equal(runs[0].alert?.status, "failed");
    assert.equal(runs[0].alert?.attempts, 3);
    assert.equal(runs[1].alert, undefined);
    assert.equal(new RunLog(dir).last("relationships")?.id, "b");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("collectRuns() returns the runs appended inside its call chain only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    const later = (id: string) => new Promise<void>((done) => setTimeout(() => (appendRun(dir, run(id, "succeeded")), done()), 5));
    appendRun(dir, run("outside", "succeeded"));
    const [first, second] = await Promise.all([
      collectRuns(async () => {
        await later("one");
        await later("two");
        return 1;
      }),
      collectRuns(() => later("three")),
    ]);
    assert.equal(first.value, 1);
    assert.deepEqual(first.runs.map((r) => r.id), ["one", "two"]);
    assert.deepEqual(second.runs.map((r) => r.id), ["three"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
