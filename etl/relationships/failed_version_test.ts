// A workbook version a load failed on (the same bytes, the same SHA-256) is not loaded again until
// it changes, by whoever starts the load: npm start's schedule and an npm run etl -- --watch on the
// same data dir both reacted to each change of a broken workbook, two failed runs and two alerts for
// one change (review). Real .xlsx bytes, a real DuckDB snapshot, real runs.jsonl.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alertDue } from "../alerts/mod.ts";
import { lastGoodLoad, startScheduler } from "../schedule/mod.ts";
import { readRuns, type RunRecord } from "../runs/mod.ts";
import { xlsxBytes } from "../../scripts/testing/xlsx_writer.ts";
import { cells, sheets, type Version } from "../../scripts/testing/workbooks.ts";
import { loadRelationships } from "./load_relationships.ts";

const good: Version = { ids: [1, 2, 3, 4], cell: cells(3), code: (id) => `G${id}`, name: (id) => `Good ${id}` };
/** A duplicate id: the load fails `invalid-data`, whoever runs it. */
const broken = () => xlsxBytes(sheets({ ...good, ids: [1, 2, 2, 4] }));

function setUp(): { dir: string; workbook: string } {
  const dir = mkdtempSync(join(tmpdir(), "failed-version-test-"));
  return { dir, workbook: join(dir, "relaciones.xlsx") };
}

const summary = (runs: RunRecord[]) => runs.map((r) => `${r.status} ${r.error?.code ?? ""}`.trim());

test("a failed workbook version is skipped until it changes, with no second failure or alert; --force loads it again", async () => {
  const { dir, workbook } = setUp();
  try {
    writeFileSync(workbook, xlsxBytes(sheets(good)));
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.status, "succeeded");
    const good_at = lastGoodLoad(dir);
    writeFileSync(workbook, broken());
    const first = (await loadRelationships({ workbook, dataDir: dir })).run;
    assert.equal(first.status, "failed");
    assert.equal(first.error?.code, "invalid-data");
    const again = (await loadRelationships({ workbook, dataDir: dir })).run;
    assert.equal(again.status, "skipped", again.error?.message);
    assert.equal(again.error?.code, "failed-before");
    assert.match(again.error!.message, new RegExp(`identical to the one run ${first.id} failed on .*more than once.*until the file changes.*--force`));
    assert.equal(again.file?.sha256, first.file?.sha256);
    assert.equal(alertDue(again, "info"), false);
    // Skipping a broken file leaves the data as old as it was: not a good load.
    assert.deepEqual(lastGoodLoad(dir), good_at);
    // Skipped again, still naming the run that failed.
    const third = (await loadRelationships({ workbook, dataDir: dir })).run;
    assert.match(third.error?.message ?? "", new RegExp(`run ${first.id} failed on`));
    assert.equal((await loadRelationships({ workbook, dataDir: dir, force: true })).run.status, "failed");
    writeFileSync(workbook, xlsxBytes(sheets({ ...good, ids: [1, 2, 3, 5] })));
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.status, "succeeded");
    assert.deepEqual(summary(readRuns(dir)), ["succeeded", "failed invalid-data", "skipped failed-before", "skipped failed-before", "failed invalid-data", "succeeded"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a load that failed for want of the file, not its bytes, does not stop the next load of them", async () => {
  const { dir, workbook } = setUp();
  try {
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.error?.code, "not-found");
    writeFileSync(workbook, xlsxBytes(sheets(good)));
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.status, "succeeded");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("two schedules watching one data dir (npm start's and --watch's) record one failure for one change of a broken workbook", async () => {
  const { dir, workbook } = setUp();
  try {
    writeFileSync(workbook, xlsxBytes(sheets(good)));
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.status, "succeeded");
    // Each schedule's load waits for the other's lock, as `--wait` does: whichever comes second
    // reads the first one's run under the lock.
    const schedules = [0, 1].map(() =>
      startScheduler({ workbook, dataDir: dir, pollMs: 20, stableMs: 100, runLoad: () => loadRelationships({ workbook, dataDir: dir, lockWaitMs: 60_000 }) }),
    );
    try {
      writeFileSync(workbook, broken());
      // Both schedules load once the change settles; wait for both runs (no time limit but the test's).
      while (readRuns(dir).length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all(schedules.map((s) => s.idle()));
    } finally {
      for (const s of schedules) s.stop();
    }
    // Each schedule may also find the file changed at its start-up: more skips, never a second failure.
    const [loaded, failed, ...rest] = summary(readRuns(dir));
    assert.deepEqual([loaded, failed], ["succeeded", "failed invalid-data"]);
    assert.ok(rest.length >= 1 && rest.every((r) => r === "skipped failed-before"), rest.join(", "));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an hour after the failure the same bytes are loaded again: the daily load fails (and alerts) once a day, and newer rules get to try them", async () => {
  const { dir, workbook } = setUp();
  try {
    writeFileSync(workbook, broken());
    const first = (await loadRelationships({ workbook, dataDir: dir })).run;
    assert.equal(first.error?.code, "invalid-data");
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.error?.code, "failed-before");
    // The failure as if it had ended 61 minutes ago: runs.jsonl rewritten as a day's wait would leave it.
    const log = join(dir, "runs.jsonl");
    const aged = new Date(Date.parse(first.finished_at) - 61 * 60_000).toISOString();
    writeFileSync(log, readFileSync(log, "utf8").replace(`"finished_at":"${first.finished_at}"`, `"finished_at":"${aged}"`));
    assert.equal(readRuns(dir)[0].finished_at, aged);
    const later = (await loadRelationships({ workbook, dataDir: dir })).run;
    assert.equal(later.status, "failed", later.error?.message);
    assert.equal(later.error?.code, "invalid-data");
    // That new failure holds the bytes off for the next hour in turn.
    assert.equal((await loadRelationships({ workbook, dataDir: dir })).run.error?.code, "failed-before");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
