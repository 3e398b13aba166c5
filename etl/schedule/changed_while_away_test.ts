import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { downloadedCopy, fetchWorkbook, loadWorkbook, urlWorkbookWatcher } from "../fetch/mod.ts";
import { acquireLoadLock } from "../files/mod.ts";
import { appendRun, readRuns, type RunKind } from "../runs/mod.ts";
import { changedSinceLastLoad, childProcessLoad, RETRY_UNLOADED_MS, startScheduler, UNLOADED_RETRIES, type LoadReason } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";
import { localServer } from "../../scripts/testing/local_http.ts";
import { until } from "../../scripts/testing/until.ts";
import { dailyAtAway } from "../../scripts/testing/daily_at.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

/** Records in runs.jsonl that a load of `kind` read `path` as it is now. */
function recordLoad(dataDir: string, kind: RunKind, path: string, status: "succeeded" | "failed" = "succeeded"): void {
  const at = "2026-03-03T09:00:00.000Z";
  const sha256 = createHash("sha256").update(readFileSync(path)).digest("hex");
  appendRun(dataDir, {
    id: `${kind}-${Math.random()}`, kind, status, started_at: at, finished_at: at,
    file: { name: "f", path, size: statSync(path).size, sha256 }, counts: {}, findings: [], changes: {}, error: status === "failed" ? { code: "bad", message: "bad" } : null,
  });
}

// The watchers compared a file only with what they saw when the schedule started: a workbook or CSV
// replaced while npm start was stopped (a deploy, a reboot) was not loaded at the next start when
// the data was under 24 h old; the tables showed the old version until the daily run.
/**
 * Two versions of a workbook in `dir` and a server publishing one of them at `url` with an ETag
 * (304 to a poll that has it): v1 until `publish(v2)`.
 */
async function twoVersions(dir: string) {
  const v1 = join(dir, "v1.xlsx");
  const v2 = join(dir, "v2.xlsx");
  await writeVersion(v1, { ids: [1, 2, 3], cell: cells(4), code: (id) => `S${id}`, name: (id) => `N${id}` });
  await writeVersion(v2, { ids: [1, 2, 3, 4], cell: cells(5), code: (id) => `S${id}`, name: (id) => `N${id}` });
  let body = readFileSync(v1);
  const server = await localServer((req, res) => {
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    if (req.headers["if-none-match"] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader("etag", etag);
    res.end(body);
  });
  return { v2, server, url: `${server.url}/relaciones.xlsx`, publish: (path: string) => void (body = readFileSync(path)) };
}

test("a start-up loads an input replaced while nothing watched it, and only that input", async () => {
  const dir = mkdtempSync(join(tmpdir(), "changed-while-away-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const csv = join(dir, "contacts.csv");
    writeFileSync(workbook, "version 1");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\n");
    recordLoad(dir, "relationships", workbook);
    recordLoad(dir, "contacts", csv);
    const start = async () => {
      const clock = new FakeClock("2026-03-03T10:00:00Z");
      const runs: LoadReason[] = [];
      const scheduler = startScheduler({
        workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000,
        lastSuccess: () => new Date("2026-03-03T09:00:00Z"), lastContactsSuccess: () => new Date("2026-03-03T09:00:00Z"),
        runLoad: async (reason) => void runs.push(reason),
      });
      // Hashing reads the files for real; then the loads wait for them to keep still.
      await new Promise((resolve) => setTimeout(resolve, 50));
      clock.advance(5000);
      await scheduler.idle();
      scheduler.stop();
      return runs;
    };
    assert.deepEqual(await start(), [], "nothing changed: nothing to load");
    // The same bytes written again (mtime moved on): not a new version.
    writeFileSync(workbook, "version 1");
    assert.deepEqual(await start(), []);
    // Same size, other bytes, and an mtime moved back (`cp -p` of another file): a new version.
    writeFileSync(workbook, "version 2");
    utimesSync(workbook, new Date("2020-01-01"), new Date("2020-01-01"));
    assert.deepEqual(await start(), ["file-changed"]);
    recordLoad(dir, "relationships", workbook, "failed");
    assert.deepEqual(await start(), [], "a file whose load failed is not tried again at every start");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\nBea,Soto,bea@example.com\n");
    assert.deepEqual(await start(), ["contacts-changed"]);
    assert.equal(await changedSinceLastLoad(dir, "contacts", join(dir, "missing.csv")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A URL workbook's download records its validators in fetched/state.json before the load
// publishes. When that load did not finish (npm start restarted while its child loaded, or the
// child crashed), the polls answered 304 against the new validators and the start-up check skipped
// URLs: the downloaded version waited for the daily run, up to 24 h.
test("a start-up loads a URL workbook's download that no load has read yet", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "changed-while-away-url-"));
  const dataDir = join(dir, "data");
  const { v2, server, url, publish } = await twoVersions(dir);
  const start = async () => {
    const runs: LoadReason[] = [];
    const scheduler = startScheduler({
      workbook: url,
      dataDir,
      // The real clock: at the default daily time (00:00 UTC) a start just before midnight ran a daily load too.
      dailyAt: dailyAtAway(),
      watchWorkbook: urlWorkbookWatcher({ workbook: url, dataDir, pollMs: 60_000 }),
      runLoad: async (reason) => void runs.push(reason),
    });
    await scheduler.idle();
    scheduler.stop();
    return runs;
  };
  try {
    assert.equal((await loadWorkbook({ workbook: url, dataDir })).run.status, "succeeded");
    assert.deepEqual(await start(), [], "the download the last load read: nothing to load");
    // A new version is published; a load downloads it and is killed before it publishes.
    publish(v2);
    await fetchWorkbook(url, { dataDir });
    assert.deepEqual(await start(), ["file-changed"]);
    // That load (a 304: it reads the download) records it; the next start has nothing to load.
    assert.equal((await loadWorkbook({ workbook: url, dataDir })).run.status, "succeeded");
    assert.deepEqual(await start(), []);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The same download under a running npm start: the load child downloaded the new version, recorded
// its validators, and was killed (OOM, kill -9) before it published. The polls then answered 304 and
// nothing loaded the download until the daily run or the next start, up to 24 h. The schedule now
// checks, after each load, that the load recorded the file it was to read, and tries again.
test("a running schedule loads again a URL download whose load child was killed", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "child-killed-url-"));
  const dataDir = join(dir, "data");
  const { v2, server, url, publish } = await twoVersions(dir);
  const v2sha = createHash("sha256").update(readFileSync(v2)).digest("hex");
  let child: number | null = null;
  const runLoad = childProcessLoad({ dataDir, workbook: url, onStart: (pid) => (child = pid) });
  const clock = new FakeClock("2026-03-03T10:00:00Z");
  const errors: string[] = [];
  let release: (() => void) | null = null;
  const scheduler = startScheduler({
    workbook: url, dataDir, clock, lastSuccess: () => new Date(clock.now()),
    // The polls are the test's: it triggers the load a poll would.
    watchWorkbook: () => ({ stop() {} }),
    runLoad,
    onError: (error) => errors.push(String(error)),
  });
  const v2Runs = () => readRuns(dataDir).filter((r) => r.kind === "relationships" && r.file?.sha256 === v2sha);
  try {
    assert.equal((await loadWorkbook({ workbook: url, dataDir })).run.status, "succeeded");
    await scheduler.idle();
    publish(v2);
    // The load lock held here keeps the child between its download and its load (it waits: --wait).
    release = acquireLoadLock(dataDir);
    scheduler.trigger("file-changed");
    await until("the child's download of version 2", () => child !== null && downloadedCopy(dataDir, url) !== null && createHash("sha256").update(readFileSync(downloadedCopy(dataDir, url)!)).digest("hex") === v2sha);
    process.kill(child!, "SIGKILL");
    await scheduler.idle();
    release();
    release = null;
    assert.deepEqual(v2Runs(), [], "the killed child recorded nothing");
    clock.advance(RETRY_UNLOADED_MS);
    await scheduler.idle();
    assert.deepEqual(v2Runs().map((r) => [r.status, r.version_id]), [["succeeded", 2]], "the download is loaded once, a minute later");
    // Loaded: nothing more is tried.
    clock.advance(RETRY_UNLOADED_MS * 2 ** (UNLOADED_RETRIES + 1));
    await scheduler.idle();
    assert.equal(v2Runs().length, 1);
    assert.deepEqual(errors, []);
  } finally {
    release?.();
    scheduler.stop();
    await runLoad.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A workbook in `dir` whose version 2 no load has recorded (version 1 was), as a crashed load child
 * leaves it, with a clock and the schedule's options that watch it.
 */
function unrecordedWorkbook(dir: string) {
  const workbook = join(dir, "relaciones.xlsx");
  writeFileSync(workbook, "version 1");
  recordLoad(dir, "relationships", workbook);
  writeFileSync(workbook, "version 2");
  const clock = new FakeClock("2026-03-03T10:00:00Z");
  return { workbook, clock, watching: { workbook, dataDir: dir, clock, pollMs: 100, stableMs: 3000, lastSuccess: () => new Date(clock.now()) } };
}

test("a load that keeps leaving its file unrecorded is tried again a bounded number of times, then waits for the next trigger", async () => {
  const dir = mkdtempSync(join(tmpdir(), "unloaded-bounded-"));
  try {
    const { workbook, clock, watching } = unrecordedWorkbook(dir);
    const runs: [LoadReason, number][] = [];
    const errors: string[] = [];
    const scheduler = startScheduler({
      ...watching,
      // Every load dies before it records a run (a child that crashes each time).
      runLoad: async (reason) => void runs.push([reason, clock.now()]),
      onError: (error) => errors.push(error instanceof Error ? error.message : String(error)),
    });
    // The start-up check finds version 2 unread; its load and each retry leave it so.
    await new Promise((resolve) => setTimeout(resolve, 50));
    clock.advance(5000);
    await scheduler.idle();
    for (let i = 0; i < UNLOADED_RETRIES + 3; i++) {
      clock.advance(RETRY_UNLOADED_MS * 2 ** i);
      await scheduler.idle();
    }
    assert.equal(runs.length, 1 + UNLOADED_RETRIES, "the first load and its retries, then no more");
    const gaps = runs.slice(1).map(([, at], i) => at - runs[i][1]);
    assert.deepEqual(gaps, Array.from({ length: UNLOADED_RETRIES }, (_, i) => RETRY_UNLOADED_MS * 2 ** i), "each wait twice the one before");
    assert.equal(errors.length, 1);
    assert.match(errors[0], /relaciones\.xlsx.*not recorded/);
    // A new trigger (the daily run, a change) starts the count again.
    scheduler.trigger("file-changed");
    await scheduler.idle();
    clock.advance(RETRY_UNLOADED_MS);
    await scheduler.idle();
    assert.equal(runs.length, 1 + UNLOADED_RETRIES + 2);
    // Recorded at last: the pending retry finds nothing to do.
    recordLoad(dir, "relationships", workbook);
    clock.advance(RETRY_UNLOADED_MS * 2);
    await scheduler.idle();
    assert.equal(runs.length, 1 + UNLOADED_RETRIES + 2);
    scheduler.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A retry that fell due while a load of the other input ran (a contacts CSV that changed meanwhile)
// was dropped: the timer saw a load running and left the file to that load's end, but that load's
// end checked only the contacts, so the workbook a crashed child had left unread waited for the
// daily run, up to 24 h. The retry now runs once that load has ended.
test("a retry that falls due while a load of the other input runs is made once that load ends", async () => {
  const dir = mkdtempSync(join(tmpdir(), "unloaded-other-kind-"));
  try {
    const { clock, watching } = unrecordedWorkbook(dir);
    const runs: LoadReason[] = [];
    let releaseContacts: (() => void) | null = null;
    const scheduler = startScheduler({
      ...watching,
      // The workbook's loads die before they record a run; the contacts load waits for the test.
      runLoad: async (reason) => {
        runs.push(reason);
        if (reason === "contacts-changed") await new Promise<void>((resolve) => (releaseContacts = resolve));
      },
    });
    try {
      // The start-up check finds version 2 unread; its load leaves it so and a retry is set.
      await new Promise((resolve) => setTimeout(resolve, 50));
      clock.advance(5000);
      await scheduler.idle();
      assert.deepEqual(runs, ["file-changed"]);
      scheduler.trigger("contacts-changed");
      await until("the contacts load", () => releaseContacts !== null);
      // The retry falls due while the contacts load runs.
      clock.advance(RETRY_UNLOADED_MS);
      await new Promise((resolve) => setTimeout(resolve, 20));
      releaseContacts!();
      await scheduler.idle();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await scheduler.idle();
      assert.deepEqual(runs, ["file-changed", "contacts-changed", "file-changed"], "the workbook is tried again after the contacts load");
    } finally {
      scheduler.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
