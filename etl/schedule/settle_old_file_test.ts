import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startScheduler, watchFile, type LoadReason } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";

/** Lets the scheduler's promise chain run (loads here resolve at once). */
const ticks = () => new Promise((resolve) => setImmediate(resolve));

// The sample contacts.csv (as many users' files) has no final line break, which the settle rule
// reads as "maybe cut mid-row" and waits out for a minute (wholeMs). For a change seen while
// watching that is right; for a file that was already there, untouched for hours, it made every
// start-up load (npm start on the sample data) wait 60 s instead of the 3 s settle time.
test("a start-up load waits the settle time, not a minute, for a CSV without a final line break that was written long before", async () => {
  const dir = mkdtempSync(join(tmpdir(), "settle-old-file-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const csv = join(dir, "contacts.csv");
    copyFileSync(fileURLToPath(new URL("../../data/relaciones.xlsx", import.meta.url)), workbook);
    copyFileSync(fileURLToPath(new URL("../../data/contacts.csv", import.meta.url)), csv);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(workbook, hourAgo, hourAgo);
    utimesSync(csv, hourAgo, hourAgo);
    const start = (clock: FakeClock) => {
      const runs: LoadReason[] = [];
      const scheduler = startScheduler({
        workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000, lastSuccess: () => null,
        runLoad: async (reason) => void runs.push(reason),
      });
      return { runs, scheduler };
    };
    // (No idle(): a load still waiting for the settle rule waits on the fake clock.)
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const old = start(clock);
    clock.advance(3200);
    await ticks();
    assert.deepEqual(old.runs, ["startup"], "loaded once it kept still the settle time");
    old.scheduler.stop();

    // A CSV written just now without a final line break may be a copy that stalled: still a minute.
    writeFileSync(csv, "first_name,last_name,email,department\nAna,Ruiz,ana@example.com,Human");
    const clock2 = new FakeClock("2026-03-03T10:00:00Z");
    const fresh = start(clock2);
    clock2.advance(3200);
    await ticks();
    assert.deepEqual(fresh.runs, [], "a fresh cut-looking CSV is not read at 3 s");
    clock2.advance(60_000);
    await ticks();
    assert.deepEqual(fresh.runs, ["startup"]);
    fresh.scheduler.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an old file that starts changing while watched is a copy in progress again: a cut-looking one waits the minute", async () => {
  const dir = mkdtempSync(join(tmpdir(), "settle-old-file-"));
  try {
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\n");
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(csv, hourAgo, hourAgo);
    const clock = new FakeClock("2026-03-03T10:00:00Z");
    let stable = 0;
    const looksWhole = (path: string) => existsSync(path) && /[\r\n]$/.test(readFileSync(path, "utf8"));
    const watcher = watchFile(csv, { onStable: () => stable++, clock, pollMs: 100, stableMs: 3000, wholeMs: 60_000, looksWhole });
    try {
      clock.advance(200);
      // A new copy starts over it and stalls mid-row: its mtime is now, its end is cut.
      writeFileSync(csv, "first_name,last_name,email\nBea,Lo");
      clock.advance(3200);
      assert.equal(stable, 0, "a cut-looking file that just changed is not read at the settle time");
      clock.advance(60_000);
      assert.equal(stable, 1, "it is read once it kept still the minute");
    } finally {
      watcher.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
