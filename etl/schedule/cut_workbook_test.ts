import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadWorkbook } from "../fetch/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { endsWithZipDirectory, startScheduler } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

/** Lets the scheduler's promise chain start its load. */
const ticks = () => new Promise((resolve) => setImmediate(resolve));

// A copy in place (scp, a network share) that stalled for 3 s mid-file was loaded cut: a failed run
// `truncated`, alerted as a broken workbook, while the file was still arriving. A cut .xlsx has no
// ZIP directory at its end, which is written last: it now waits as a CSV cut mid-line does.
test("a workbook copied in place that stalls half-way is not loaded until it is whole (or a minute still)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cut-workbook-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const source = join(dir, "source.xlsx");
  try {
    const version = (seed: number) => ({ ids: [1, 2, 3, 4], cell: cells(seed), code: (id: number) => `S${id}`, name: (id: number) => `N${seed}-${id}` });
    await writeVersion(workbook, version(1));
    assert.equal((await loadWorkbook({ workbook, dataDir })).run.status, "succeeded");
    await writeVersion(source, version(2));
    const whole = readFileSync(source);
    assert.equal(endsWithZipDirectory(source), true);

    const clock = new FakeClock("2026-03-03T10:00:00Z");
    const loads: Promise<unknown>[] = [];
    const scheduler = startScheduler({
      workbook, dataDir, clock, pollMs: 100, stableMs: 3000, lastSuccess: () => new Date(clock.now()),
      runLoad: () => {
        const load = loadWorkbook({ workbook, dataDir });
        loads.push(load);
        return load;
      },
    });
    const settleLoads = async () => {
      await ticks();
      await Promise.all(loads);
      await scheduler.idle();
    };
    clock.advance(5000);
    await settleLoads();
    const before = readRuns(dataDir).length;

    // The copy writes the first half, then the link stalls for 10 s.
    writeFileSync(workbook, whole.subarray(0, Math.floor(whole.length / 2)));
    assert.equal(endsWithZipDirectory(workbook), false);
    clock.advance(10_000);
    await settleLoads();
    assert.deepEqual(readRuns(dataDir).slice(before).map((r) => `${r.status} ${r.error?.code ?? ""}`), [], "nothing loaded (nor failed and alerted) while the copy is half-way");

    // The copy ends: the whole file loads once it keeps still, as any change.
    appendFileSync(workbook, whole.subarray(Math.floor(whole.length / 2)));
    clock.advance(3200);
    await settleLoads();
    assert.deepEqual(readRuns(dataDir).slice(before).map((r) => r.status), ["succeeded"]);

    // A cut file that stays so for a minute is loaded all the same: its failure is the alert it deserves.
    writeFileSync(join(dir, "next.xlsx"), whole.subarray(0, 300));
    renameSync(join(dir, "next.xlsx"), workbook);
    clock.advance(30_000);
    await settleLoads();
    assert.equal(readRuns(dataDir).length, before + 1);
    clock.advance(31_000);
    await settleLoads();
    assert.deepEqual(readRuns(dataDir).slice(before + 1).map((r) => `${r.status} ${r.error?.code}`), ["failed truncated"]);
    scheduler.stop();

    // Not a ZIP at all (an .xls saved by mistake, an empty file is not that): no wait for a directory it will never have.
    writeFileSync(source, "not a workbook\n");
    assert.equal(endsWithZipDirectory(source), true);
    writeFileSync(source, "");
    assert.equal(endsWithZipDirectory(source), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
