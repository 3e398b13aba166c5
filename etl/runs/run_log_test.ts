import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, closeSync, ftruncateSync, truncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  amendRun, appendRun, collectRuns, findRun, lastRun, MAX_RUN_LINE_BYTES, newRunId, readRuns, RunLog, runLogPath,
  type RunLogReading, type RunRecord,
} from "./mod.ts";

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

/** The runs of the log as the whole-file reader parsed them: the reference for the block readers. */
function parsedWhole(dir: string): RunRecord[] {
  const runs: RunRecord[] = [];
  const byId = new Map<string, RunRecord>();
  for (const line of readFileSync(runLogPath(dir), "utf8").split("\n")) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if ("amends" in entry) {
      const run = byId.get(entry.amends);
      if (run !== undefined) run.alert = entry.alert;
    } else {
      runs.push(entry);
      byId.set(entry.id, entry);
    }
  }
  return runs;
}

/** A reading that counts its reads and where they start. */
function counted(blockBytes: number): RunLogReading & { positions: number[] } {
  const positions: number[] = [];
  return {
    blockBytes,
    positions,
    read: (fd, buffer, length, position) => {
      positions.push(position);
      return readSync(fd, buffer, 0, length, position);
    },
  };
}

test("readRuns(), findRun(), lastRun() and RunLog read the log in blocks: lines across blocks, text beyond ASCII, amendments, torn lines", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    for (let i = 0; i < 40; i++) {
      const r = run(`r${i}`, i % 3 === 0 ? "failed" : "succeeded");
      if (i % 3 === 0) r.error = { code: "bad-file", message: `Hoja «Matriz» celda ñ${"é".repeat(i)} 😀` };
      if (i % 2 === 1) r.kind = "contacts";
      appendRun(dir, r);
      if (i % 5 === 0) amendRun(dir, { amends: `r${i}`, alert: { status: "sent", attempts: 1, at: "2026-03-03T00:00:00.000Z" } });
      if (i % 9 === 0) amendRun(dir, { amends: `r${i - 9}`, alert: { status: "failed", attempts: 3, at: "2026-03-03T00:00:00.000Z" } });
      if (i === 20) appendFileSync(runLogPath(dir), '{"id":"torn","kind":"rel'); // a crash mid-line, healed by the next append
    }
    appendFileSync(runLogPath(dir), '{"id":"c","kind":"rel'); // a torn last line
    const whole = parsedWhole(dir);
    assert.equal(whole.length, 40);
    for (const blockBytes of [1, 7, 100, 4096, undefined]) {
      const reading = { blockBytes };
      assert.deepEqual(readRuns(dir, reading), whole, `blocks of ${blockBytes}`);
      assert.deepEqual(new RunLog(dir, reading).all(), [...whole].reverse(), `blocks of ${blockBytes}`);
      for (const r of whole) assert.deepEqual(findRun(dir, (x) => x.id === r.id, reading), r, `${r.id}, blocks of ${blockBytes}`);
      assert.equal(findRun(dir, (x) => x.id === "torn", reading), undefined);
      assert.deepEqual(lastRun(dir, "relationships", "failed", reading), whole.findLast((r) => r.kind === "relationships" && r.status === "failed"));
      assert.deepEqual(lastRun(dir, "contacts", undefined, reading), whole.findLast((r) => r.kind === "contacts"));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Before, every reader read runs.jsonl whole into one string: memory grew with the log (append-only,
// never trimmed), and past V8's longest string (~512 MiB) every load failed ("Cannot create a string
// longer than 0x1fffffe8 characters"), since each one looks up the last run.
test("lastRun() and findRun() read the log backwards from its end, as far as the run they find", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    for (let i = 0; i < 2000; i++) appendRun(dir, run(`r${i}`, "succeeded"));
    appendRun(dir, { ...run("newest", "failed"), kind: "contacts" });
    const size = statSync(runLogPath(dir)).size;
    const blockBytes = 4096;
    assert.ok(size > 50 * blockBytes);

    let reading = counted(blockBytes);
    assert.equal(lastRun(dir, "relationships", "succeeded", reading)?.id, "r1999");
    assert.ok(reading.positions.length >= 1 && reading.positions.length <= 2, `${reading.positions.length} blocks read`);
    assert.ok(reading.positions.every((p) => p >= size - 2 * blockBytes));

    reading = counted(blockBytes);
    assert.equal(findRun(dir, (r) => r.id === "r1000", reading)?.id, "r1000");
    assert.ok(reading.positions.length > 0 && Math.min(...reading.positions) > size / 3, "the older half is not read");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RunLog reads only what was appended since its last read, and a replaced log whole", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    const reading = counted(256);
    const log = new RunLog(dir, reading);
    assert.deepEqual(log.all(), []);
    for (let i = 0; i < 50; i++) appendRun(dir, run(`r${i}`, "succeeded"));
    const first = log.all();
    assert.equal(first.length, 50);
    assert.equal(log.all(), first, "the same array while the log is unchanged");

    const size = statSync(runLogPath(dir)).size;
    reading.positions.length = 0;
    appendRun(dir, run("r50", "failed"));
    amendRun(dir, { amends: "r10", alert: { status: "sent", attempts: 1, at: "2026-03-03T00:00:00.000Z" } });
    const second = log.all();
    assert.ok(reading.positions.length > 0 && reading.positions.every((p) => p >= size), `read from ${Math.min(...reading.positions)}, appended at ${size}`);
    assert.notEqual(second, first, "a new array: what is cached per array is made again");
    assert.deepEqual(second.map((r) => r.id), ["r50", ...first.map((r) => r.id)]);
    assert.equal(second.find((r) => r.id === "r10")?.alert?.status, "sent");

    // A torn append, then the run appended after it: counted once, the torn line skipped.
    appendFileSync(runLogPath(dir), '{"id":"torn","kind":"rel');
    assert.equal(log.all().length, 51);
    appendRun(dir, run("r51", "succeeded"));
    assert.deepEqual(log.all().slice(0, 2).map((r) => r.id), ["r51", "r50"]);
    assert.equal(log.all().length, 52);

    // A log replaced by a shorter one (restored from a backup) is read again from its start.
    writeFileSync(runLogPath(dir), JSON.stringify(run("only", "succeeded")) + "\n");
    assert.deepEqual(log.all().map((r) => r.id), ["only"]);
    rmSync(runLogPath(dir));
    assert.deepEqual(log.all(), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a line longer than any run (zeros a crash left) is skipped by every reader, and the runs around it kept", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    appendRun(dir, run("before", "succeeded"));
    const fd = openSync(runLogPath(dir), "r+");
    ftruncateSync(fd, MAX_RUN_LINE_BYTES + 4096); // sparse: no disk used
    closeSync(fd);
    appendRun(dir, run("after", "failed"));
    assert.deepEqual(readRuns(dir).map((r) => r.id), ["before", "after"]);
    assert.deepEqual(new RunLog(dir).all().map((r) => r.id), ["after", "before"]);
    assert.equal(lastRun(dir, "relationships", "succeeded")?.id, "before");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The review's case whole: a log past V8's longest string. Sparse, so it uses no disk where the file
// system has holes; skipped where 1 GiB is not free in case it has none.
const freeBytes = (() => {
  const fs = statfsSync(tmpdir());
  return fs.bavail * fs.bsize;
})();
test("a runs.jsonl past 512 MiB is read by every reader", { skip: freeBytes < 2 ** 30 ? "less than 1 GiB free" : false, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    appendRun(dir, run("before", "succeeded"));
    const fd = openSync(runLogPath(dir), "r+");
    ftruncateSync(fd, 600 * 1024 * 1024);
    closeSync(fd);
    appendRun(dir, run("after", "succeeded"));
    assert.ok(statSync(runLogPath(dir)).size > 512 * 1024 * 1024);
    assert.equal(lastRun(dir, "relationships", "succeeded")?.id, "after");
    assert.deepEqual(readRuns(dir).map((r) => r.id), ["before", "after"]);
    assert.deepEqual(new RunLog(dir).all().map((r) => r.id), ["after", "before"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RunLog reads a log emptied (same file) and grown again past its last read as readRuns() does", () => {
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    appendRun(dir, run("old-1", "succeeded"));
    appendRun(dir, run("old-2", "succeeded"));
    const log = new RunLog(dir);
    assert.deepEqual(log.all().map((r) => r.id), ["old-2", "old-1"]);
    const ino = statSync(runLogPath(dir)).ino;
    // Archived and emptied in place (`cp runs.jsonl archive/ && : > runs.jsonl`), then the daily
    // loads append before anyone asks /runs again.
    truncateSync(runLogPath(dir), 0);
    for (const id of ["new-1", "new-2", "new-3"]) appendRun(dir, run(id, "succeeded"));
    assert.equal(statSync(runLogPath(dir)).ino, ino, "same file");
    assert.deepEqual(readRuns(dir).map((r) => r.id), ["new-1", "new-2", "new-3"]);
    // Before: RunLog read on from where it stopped, mid-line in the new log: the runs that were gone
    // stayed, and new-1 and new-2 were lost (review).
    assert.deepEqual(log.all().map((r) => r.id), ["new-3", "new-2", "new-1"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("RunLog.all() that failed to read a replaced log fails again next time, never answers an empty log (review)", () => {
  // It kept the new file's stamp before reading it: a read that failed once was answered by [] ever
  // after, so /metrics' run counters reset and /readyz lost its last runs.
  const dir = mkdtempSync(join(tmpdir(), "runs-test-"));
  try {
    appendRun(dir, run("a", "succeeded"));
    const log = new RunLog(dir);
    assert.deepEqual(log.all().map((r) => r.id), ["a"]);
    rmSync(runLogPath(dir));
    // Another file takes the freed inode, so the folder below is a file of another identity.
    writeFileSync(join(dir, "filler"), "x");
    mkdirSync(runLogPath(dir));
    for (let i = 0; i < 3; i++) assert.throws(() => log.all(), `read ${i + 1}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
