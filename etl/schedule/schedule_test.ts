import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDailyAt, SettingsError } from "../settings/mod.js";
import { appendRun } from "../runs/mod.ts";
import { isStale, lastGoodLoad, loadOnly, nextDailyRun, PREPARE_MS, startScheduler, watchFile, type LoadReason } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";

test("nextDailyRun() returns the next UTC time strictly after now", () => {
  assert.equal(nextDailyRun(Date.parse("2026-03-03T10:00:00Z")).toISOString(), "2026-03-04T00:00:00.000Z");
  assert.equal(nextDailyRun(Date.parse("2026-03-03T00:00:00Z")).toISOString(), "2026-03-04T00:00:00.000Z");
  assert.equal(nextDailyRun(Date.parse("2026-03-03T05:59:00Z"), "06:30").toISOString(), "2026-03-03T06:30:00.000Z");
  assert.equal(nextDailyRun(Date.parse("2026-12-31T23:59:59Z"), "00:00").toISOString(), "2027-01-01T00:00:00.000Z");
  assert.equal(nextDailyRun(Date.parse("2028-02-28T07:00:00Z"), "6:00").toISOString(), "2028-02-29T06:00:00.000Z");
});

test("parseDailyAt() rejects times that are not HH:MM", () => {
  assert.deepEqual(parseDailyAt(" 23:59 "), { hour: 23, minute: 59 });
  for (const bad of ["24:00", "7", "12:60", "noon", ""]) assert.throws(() => parseDailyAt(bad), SettingsError);
});

test("isStale() is true without a good load or after 24 hours", () => {
  const now = Date.parse("2026-03-03T12:00:00Z");
  assert.equal(isStale(null, now), true);
  assert.equal(isStale(new Date("2026-03-02T12:30:00Z"), now), false);
  assert.equal(isStale(new Date("2026-03-02T11:59:00Z"), now), true);
});

test("startScheduler() runs at start-up when stale, daily at the set time, one load at a time", async (t) => {
  await t.test("stale start-up, then daily at 00:00", async () => {
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const runs: [LoadReason, string][] = [];
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, lastSuccess: () => null,
      runLoad: async (reason) => void runs.push([reason, new Date(clock.now()).toISOString()]),
    });
    await scheduler.idle();
    assert.deepEqual(runs, [["startup", "2026-03-03T10:00:00.000Z"]]);
    assert.equal(scheduler.nextDailyRun().toISOString(), "2026-03-04T00:00:00.000Z");
    clock.advance(14 * 3600_000 - 1);
    await scheduler.idle();
    assert.equal(runs.length, 1);
    clock.advance(1);
    await scheduler.idle();
    clock.advance(24 * 3600_000);
    await scheduler.idle();
    assert.deepEqual(runs.slice(1), [["daily", "2026-03-04T00:00:00.000Z"], ["daily", "2026-03-05T00:00:00.000Z"]]);
    scheduler.stop();
    clock.advance(48 * 3600_000);
    await scheduler.idle();
    assert.equal(runs.length, 3);
  });
  await t.test("a machine that slept through the daily time loads within a minute of waking, not as late as it slept", async () => {
    // One timer for the whole wait counted only time awake: asleep 22:00-02:00, the 00:00 load ran at 04:00.
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const runs: string[] = [];
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, lastSuccess: () => new Date(clock.now()),
      runLoad: async () => void runs.push(new Date(clock.now()).toISOString()),
    });
    clock.advance(12 * 3600_000);
    clock.sleep(4 * 3600_000);
    clock.advance(60_000);
    await scheduler.idle();
    assert.deepEqual(runs, ["2026-03-04T02:01:00.000Z"]);
    assert.equal(scheduler.nextDailyRun().toISOString(), "2026-03-05T00:00:00.000Z");
    scheduler.stop();
  });
  await t.test("a clock set back by more than a day loads at the next daily time of the corrected clock", async () => {
    // The wait compared the clock only with the daily run due before the clock moved: a clock two
    // days ahead at boot, corrected, waited for that old date, three days without a load.
    const clock = new FakeClock("2026-03-05T10:00:00Z");
    const runs: string[] = [];
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, lastSuccess: () => new Date(clock.now()),
      runLoad: async () => void runs.push(new Date(clock.now()).toISOString()),
    });
    clock.advance(60_000);
    clock.setBack(2 * 24 * 3600_000); // it is really 2026-03-03T10:01
    clock.advance(60_000);
    assert.equal(scheduler.nextDailyRun().toISOString(), "2026-03-04T00:00:00.000Z");
    clock.advance(14 * 3600_000);
    await scheduler.idle();
    assert.deepEqual(runs, ["2026-03-04T00:00:00.000Z"]);
    scheduler.stop();
  });
  await t.test("a small clock step back just after the daily run does not run the daily load again", async () => {
    // Right after a daily run the next is a day away: a step back of two minutes (an ordinary NTP
    // step) made the wait a day and two minutes, re-armed to the time just passed, and the daily
    // load ran again two minutes later (review).
    const clock = new FakeClock("2026-03-04T23:00:00Z");
    const runs: string[] = [];
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, lastSuccess: () => new Date(clock.now()),
      runLoad: async (reason) => void runs.push(`${reason} ${new Date(clock.now()).toISOString()}`),
    });
    clock.advance(3600_000 + 30_000);
    await scheduler.idle();
    assert.deepEqual(runs, ["daily 2026-03-05T00:00:00.000Z"]);
    clock.setBack(2 * 60_000);
    clock.advance(3600_000);
    await scheduler.idle();
    assert.deepEqual(runs, ["daily 2026-03-05T00:00:00.000Z"], "one daily load, not two within minutes");
    assert.equal(scheduler.nextDailyRun().toISOString(), "2026-03-06T00:00:00.000Z");
    scheduler.stop();
  });
  await t.test("no start-up load after a recent success; custom time", async () => {
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const runs: LoadReason[] = [];
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, dailyAt: "06:30",
      lastSuccess: () => new Date("2026-03-03T00:00:05Z"), runLoad: async (reason) => void runs.push(reason),
    });
    await scheduler.idle();
    assert.deepEqual(runs, []);
    assert.equal(scheduler.nextDailyRun().toISOString(), "2026-03-04T06:30:00.000Z");
    scheduler.stop();
  });
  await t.test("triggers during a load coalesce: one more load per input, a load of both covers both; a failing load does not stop the schedule", async () => {
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const runs: LoadReason[] = [];
    const errors: unknown[] = [];
    let release!: () => void;
    const scheduler = startScheduler({
      workbook: "/nonexistent.xlsx", dataDir: "/nonexistent", watch: false, clock, lastSuccess: () => null,
      onError: (e) => errors.push(e),
      runLoad: async (reason) => {
        runs.push(reason);
        if (runs.length === 1 || runs.length === 4) await new Promise<void>((r) => (release = r));
        if (runs.length === 2) throw new Error("bad file");
      },
    });
    scheduler.trigger("file-changed");
    scheduler.trigger("contacts-changed");
    scheduler.trigger("file-changed");
    release();
    await scheduler.idle();
    assert.deepEqual(runs, ["startup", "file-changed", "contacts-changed"], "a workbook change does not swallow a contacts change");
    assert.equal(errors.length, 1);
    scheduler.trigger("daily");
    scheduler.trigger("contacts-changed");
    release();
    await scheduler.idle();
    assert.deepEqual(runs.slice(3), ["daily", "contacts-changed"], "a change during a load of both still loads once more");
    scheduler.trigger("file-changed");
    scheduler.trigger("contacts-changed");
    scheduler.trigger("daily");
    release();
    await scheduler.idle();
    assert.deepEqual(runs.slice(5), ["file-changed", "daily"], "a queued load of both replaces the single-input loads waiting");
    scheduler.stop();
  });
});

test("watchFile() fires once a changed file has stopped growing", () => {
  const dir = mkdtempSync(join(tmpdir(), "watch-test-"));
  try {
    const file = join(dir, "relaciones.xlsx");
    writeFileSync(file, "v1");
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    let fired = 0;
    const watcher = watchFile(file, { clock, pollMs: 100, stableMs: 500, onStable: () => fired++ });
    clock.advance(1000);
    assert.equal(fired, 0, "an unchanged file does not fire");
    for (let i = 0; i < 10; i++) {
      appendFileSync(file, "more bytes ");
      clock.advance(100);
    }
    assert.equal(fired, 0, "a file still being copied does not fire");
    clock.advance(400);
    assert.equal(fired, 0);
    clock.advance(200);
    assert.equal(fired, 1, "fires once the size stayed the same for stableMs");
    clock.advance(5000);
    assert.equal(fired, 1, "and only once");
    rmSync(file);
    clock.advance(2000);
    assert.equal(fired, 1, "a deleted file is not a load");
    writeFileSync(file, "v2 replaced");
    clock.advance(1000);
    assert.equal(fired, 2, "a file that reappears fires");
    watcher.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("watchFile(): a file that changes just before the clock is set back fires once it kept still, not once the clock is back past the change", () => {
  // The settle time was counted on the wall clock: set back an hour (a manual correction, NTP) just
  // after a change, the workbook waited that hour before it loaded, the tables a version behind.
  const dir = mkdtempSync(join(tmpdir(), "watch-clock-test-"));
  try {
    const file = join(dir, "contacts.csv");
    writeFileSync(file, "v1\n");
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    let fired = 0;
    const watcher = watchFile(file, { clock, pollMs: 100, stableMs: 500, onStable: () => fired++ });
    clock.advance(1000);
    appendFileSync(file, "v2\n");
    clock.advance(100);
    clock.setBack(3600_000);
    clock.advance(1000);
    assert.equal(fired, 1, "fires after stableMs of stillness, whatever the wall clock did");
    watcher.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startScheduler() calls prepareLoad before the loads it can see coming: a changing workbook, the daily run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "prepare-test-"));
  try {
    const file = join(dir, "relaciones.xlsx");
    writeFileSync(file, "v1");
    const clock = new FakeClock("2026-03-03T23:50:00Z");
    const events: string[] = [];
    const at = () => new Date(clock.now()).toISOString().slice(11, 19);
    const scheduler = startScheduler({
      workbook: file, dataDir: dir, clock, pollMs: 100, stableMs: 3000, lastSuccess: () => new Date(clock.now()),
      prepareLoad: () => events.push(`prepare ${at()}`),
      runLoad: async (reason) => void events.push(`${reason} ${at()}`),
    });
    clock.advance(1000);
    appendFileSync(file, " being copied");
    clock.advance(100);
    appendFileSync(file, " still");
    clock.advance(5000);
    await scheduler.idle();
    assert.deepEqual(events, ["prepare 23:50:01", "file-changed 23:50:04"], "prepared when the change is first seen, once");
    clock.advance(10 * 60_000);
    await scheduler.idle();
    assert.equal(PREPARE_MS, 60_000);
    assert.deepEqual(events.slice(2), ["prepare 23:59:00", "daily 00:00:00"], "prepared a minute before the daily run");
    scheduler.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startScheduler() loads a changed contacts CSV, with the workbook's settle rule, contacts only", async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-watch-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const csv = join(dir, "contacts.csv");
    writeFileSync(workbook, "v1");
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const events: string[] = [];
    const at = () => new Date(clock.now()).toISOString().slice(11, 19);
    const scheduler = startScheduler({
      workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000,
      lastSuccess: () => new Date(clock.now()), lastContactsSuccess: () => new Date(clock.now()),
      prepareLoad: () => events.push(`prepare ${at()}`),
      runLoad: async (reason) => void events.push(`${reason} ${at()} ${loadOnly(reason)}`),
    });
    clock.advance(1000);
    await scheduler.idle();
    assert.equal(events.length, 0, "no CSV yet: nothing to load");
    writeFileSync(csv, "first_name,last_name,email\n");
    clock.advance(100);
    appendFileSync(csv, "Ana,Ruiz,ana@example.com\n");
    clock.advance(2000);
    await scheduler.idle();
    assert.deepEqual(events, ["prepare 10:00:01"], "a CSV still being written is not loaded");
    clock.advance(2000);
    await scheduler.idle();
    assert.deepEqual(events, ["prepare 10:00:01", "contacts-changed 10:00:04 contacts"], "loaded once it kept still for 3 s");
    appendFileSync(csv, "Bea,Soto,bea@example.com\n");
    writeFileSync(workbook, "v2");
    clock.advance(5000);
    await scheduler.idle();
    // Both settle at 10:00:08; the second waits for the first to finish.
    assert.deepEqual(events.slice(2).filter((e) => !e.startsWith("prepare")).map((e) => e.replace(/ \S+ /, " ")).sort(), ["contacts-changed contacts", "file-changed relationships"]);
    // A copy that stalls mid-line (a slow network) is not loaded when it keeps still for 3 s: the
    // cut row would be stored for good ("Human" for "Human Resources").
    const loads = () => events.filter((e) => e.startsWith("contacts-changed")).length;
    const before = loads();
    appendFileSync(csv, "Zed,Zulu,zed@zulu.com,Human");
    clock.advance(10_000);
    await scheduler.idle();
    assert.equal(loads(), before, "a CSV cut mid-line is not loaded");
    appendFileSync(csv, " Resources\n");
    clock.advance(4000);
    await scheduler.idle();
    assert.equal(loads(), before + 1, "loaded once whole and still");
    // A file saved without a last line end loads all the same, after a minute of keeping still.
    appendFileSync(csv, "Yan,Ye,yan@example.com");
    clock.advance(30_000);
    await scheduler.idle();
    assert.equal(loads(), before + 1);
    clock.advance(31_000);
    await scheduler.idle();
    assert.equal(loads(), before + 2);
    scheduler.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startScheduler() at start-up: stale relationships load both; fresh ones with stale contacts load contacts, if the CSV exists", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-startup-"));
  const csv = join(dir, "contacts.csv");
  const now = "2026-03-03T10:00:00Z";
  const start = (lastContacts: Date | null) => {
    const clock = new FakeClock(now);
    const runs: LoadReason[] = [];
    const scheduler = startScheduler({
      workbook: join(dir, "relaciones.xlsx"), contacts: csv, dataDir: dir, watch: false, clock,
      lastSuccess: () => new Date("2026-03-03T09:00:00Z"), lastContactsSuccess: () => lastContacts,
      runLoad: async (reason) => void runs.push(reason),
    });
    // The start-up load waits for the CSV to keep still for the settle time (it may be mid-copy).
    clock.advance(5000);
    return { runs, scheduler };
  };
  try {
    await t.test("no CSV: nothing to load (a missing file is not a failed run at every start)", async () => {
      const { runs, scheduler } = start(null);
      await scheduler.idle();
      scheduler.stop();
      assert.deepEqual(runs, []);
    });
    writeFileSync(csv, "first_name,last_name,email\n");
    await t.test("a CSV never loaded: contacts only", async () => {
      const { runs, scheduler } = start(null);
      await scheduler.idle();
      scheduler.stop();
      assert.deepEqual(runs, ["contacts-startup"]);
      assert.equal(loadOnly("contacts-startup"), "contacts");
    });
    await t.test("contacts loaded within 24 h: nothing", async () => {
      const { runs, scheduler } = start(new Date("2026-03-02T12:00:00Z"));
      await scheduler.idle();
      scheduler.stop();
      assert.deepEqual(runs, []);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("lastGoodLoad() reads each kind from runs.jsonl: a success, or a skip that verified the file (not one for a busy lock)", () => {
  const dir = mkdtempSync(join(tmpdir(), "last-good-"));
  try {
    const run = (id: string, kind: "relationships" | "contacts", status: "succeeded" | "skipped" | "failed", at: string) =>
      appendRun(dir, { id, kind, status, started_at: at, finished_at: at, file: null, counts: {}, findings: [], changes: {}, error: null });
    assert.equal(lastGoodLoad(dir, "contacts"), null);
    run("1", "contacts", "succeeded", "2026-03-01T00:00:00.000Z");
    run("2", "relationships", "skipped", "2026-03-02T00:00:00.000Z");
    run("3", "contacts", "failed", "2026-03-03T00:00:00.000Z");
    assert.equal(lastGoodLoad(dir)?.toISOString(), "2026-03-02T00:00:00.000Z");
    assert.equal(lastGoodLoad(dir, "contacts")?.toISOString(), "2026-03-01T00:00:00.000Z");
    // A skip because another load held the lock verified nothing (that load may yet fail): it
    // counted as good, so a restart did not see the data as stale.
    appendRun(dir, { id: "4", kind: "relationships", status: "skipped", started_at: "2026-03-04T00:00:00.000Z", finished_at: "2026-03-04T00:00:00.000Z", file: null, counts: {}, findings: [], changes: {}, error: { code: "busy", message: "Another relationship load (pid 1) is running" } });
    assert.equal(lastGoodLoad(dir)?.toISOString(), "2026-03-02T00:00:00.000Z");
    // An unchanged contacts CSV is a skip too (load_contacts.ts): it verified the file, so the data
    // is fresh; a busy skip is not.
    run("5", "contacts", "skipped", "2026-03-05T00:00:00.000Z");
    appendRun(dir, { id: "6", kind: "contacts", status: "skipped", started_at: "2026-03-06T00:00:00.000Z", finished_at: "2026-03-06T00:00:00.000Z", file: null, counts: {}, findings: [], changes: {}, error: { code: "busy", message: "Another contacts load (pid 1) is running" } });
    assert.equal(lastGoodLoad(dir, "contacts")?.toISOString(), "2026-03-05T00:00:00.000Z");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
