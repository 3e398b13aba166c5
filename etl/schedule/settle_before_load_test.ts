import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startScheduler, watchFile, type LoadReason } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";

/** Lets the scheduler's promise chain run (loads here resolve at once). */
const ticks = () => new Promise((resolve) => setImmediate(resolve));

// The watcher kept a half-copied file from a load it started, but the start-up and daily loads read
// whatever was there: a CSV being copied when `npm start` started (or at 00:00) was loaded cut
// mid-row, and the cut value ("Human" for "Human Resources") stayed for good.
test("start-up and daily loads wait for a file being copied to keep still; the load that covers it runs once", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "settle-before-load-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const csv = join(dir, "contacts.csv");
    await t.test("start-up while the CSV is mid-copy", async () => {
      writeFileSync(workbook, "v1");
      writeFileSync(csv, "first_name,last_name,email,department\nAna,Ruiz,ana@example.com,Human");
      const clock = new FakeClock("2026-03-03T10:00:00Z");
      const runs: string[] = [];
      const scheduler = startScheduler({
        workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000, lastSuccess: () => null,
        runLoad: async (reason) => void runs.push(`${reason} ${new Date(clock.now()).toISOString().slice(11, 19)}`),
      });
      await ticks();
      assert.deepEqual(runs, [], "nothing is read before the files were seen keeping still");
      clock.advance(2000);
      appendFileSync(csv, " Resources\n");
      clock.advance(2000);
      await ticks();
      assert.deepEqual(runs, [], "the copy went on: still waiting");
      clock.advance(4000);
      await ticks();
      await scheduler.idle();
      // (The time is when the promise chain ran: the end of the advance.)
      assert.deepEqual(runs, ["startup 10:00:08"], "one load of both, once the CSV kept still 3 s; its change is not loaded a second time");
      scheduler.stop();
    });
    await t.test("the daily load while the workbook is mid-copy", async () => {
      const clock = new FakeClock("2026-03-03T23:59:30Z");
      const runs: string[] = [];
      const scheduler = startScheduler({
        workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000,
        lastSuccess: () => new Date(clock.now()), lastContactsSuccess: () => new Date(clock.now()),
        runLoad: async (reason) => void runs.push(`${reason} ${new Date(clock.now()).toISOString().slice(11, 19)}`),
      });
      clock.advance(28_000);
      for (let i = 0; i < 4; i++) {
        appendFileSync(workbook, " more bytes");
        clock.advance(1000);
        await ticks();
      }
      assert.deepEqual(runs, [], "00:00 came while the workbook was still being written");
      clock.advance(2000);
      await ticks();
      assert.deepEqual(runs, [], "nor 2 s after the last write");
      clock.advance(2000);
      await ticks();
      await scheduler.idle();
      assert.deepEqual(runs, ["daily 00:00:06"]);
      scheduler.stop();
    });
    await t.test("watchFile().settled(): not before the file kept still once; a missing file has nothing to wait for", () => {
      const clock = new FakeClock("2026-03-03T10:00:00Z");
      const w = watchFile(csv, { clock, pollMs: 100, stableMs: 3000, onStable: () => {} });
      assert.equal(w.settled(), false);
      clock.advance(3100);
      assert.equal(w.settled(), true);
      appendFileSync(csv, "Bea,Soto,bea@example.com,Sales\n");
      clock.advance(200);
      assert.equal(w.settled(), false);
      w.stop();
      const missing = watchFile(join(dir, "none.csv"), { clock, onStable: () => {} });
      assert.equal(missing.settled(), true);
      missing.stop();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
