import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readRuns } from "../runs/mod.ts";
import { childProcessLoad } from "./mod.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

const CRASH = pathToFileURL(fileURLToPath(new URL("../../scripts/testing/crash_on_go.js", import.meta.url))).href;

/** Resolves once process `pid` has exited (polled: it is not our child's handle). */
async function gone(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("childProcessLoad() runs a prepared load in a child started ahead, and a crashing load is only a failed run", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "child-load-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "r.xlsx");
  const marker = join(dir, "crash-next-load");
  await writeVersion(workbook, { ids: [1, 2, 3], cell: cells(4), code: (id) => `S${id}`, name: (id) => `N${id}` });
  let ran: number | null = null;
  const runLoad = childProcessLoad({ dataDir, workbook, env: { ...process.env, NODE_OPTIONS: `--import=${CRASH}`, CRASH_ONCE: marker }, onStart: (pid) => (ran = pid) });
  try {
    await t.test("without prepare() a load starts its own child", async () => {
      assert.equal(runLoad.waitingPid(), null, "nothing waits until a load is expected");
      const result = await runLoad("file-changed");
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.standby, false);
      assert.equal(runLoad.waitingPid(), null);
    });
    await t.test("after prepare() the load runs in the child that was started ahead", async () => {
      runLoad.prepare();
      const waiting = runLoad.waitingPid();
      assert.ok(waiting !== null);
      runLoad.prepare();
      assert.equal(runLoad.waitingPid(), waiting, "one waiting child at most");
      // The schedule's loads wait for a load already running instead of skipping (etl --wait).
      if (existsSync(`/proc/${waiting}/cmdline`)) assert.ok(readFileSync(`/proc/${waiting}/cmdline`, "utf8").split("\0").includes("--wait"));
      const result = await runLoad("file-changed");
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.standby, true);
      assert.equal(ran, waiting);
      const summary = result.summary as { relationships: { status: string; version_id: number }; contacts: unknown };
      assert.equal(summary.relationships.status, "skipped", "the workbook is unchanged since the first load");
      assert.equal(summary.contacts, null, "a workbook change loads relationships only");
      assert.equal(runLoad.waitingPid(), null, "the child did its one load and exited");
    });
    await t.test("a load that crashes is reported with its signal; the next load runs", async () => {
      writeFileSync(marker, "");
      runLoad.prepare();
      const crashed = await runLoad("daily");
      assert.equal(crashed.signal, "SIGKILL");
      assert.equal(crashed.summary, null);
      const next = await runLoad("file-changed");
      assert.equal(next.exitCode, 0, next.stderr);
      assert.equal((next.summary as { relationships: { status: string } }).relationships.status, "skipped", "unchanged workbook");
      assert.deepEqual(readRuns(dataDir).filter((r) => r.kind === "relationships").map((r) => r.status), ["succeeded", "skipped", "skipped"], "the crashed load left no run");
    });
    await t.test("a waiting child that died is replaced by a fresh one for the load", async () => {
      runLoad.prepare();
      const waiting = runLoad.waitingPid()!;
      process.kill(waiting, "SIGKILL");
      await gone(waiting);
      const result = await runLoad("file-changed");
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(result.standby, false, "started for this load");
    });
    await t.test("close() ends the waiting child, and so does waiting longer than standbyMs", async () => {
      runLoad.prepare();
      const waiting = runLoad.waitingPid()!;
      runLoad.close();
      await gone(waiting);
      assert.equal(runLoad.waitingPid(), null);
      const brief = childProcessLoad({ dataDir, workbook, standbyMs: 1 });
      brief.prepare();
      const pid = brief.waitingPid()!;
      await gone(pid);
      assert.equal(brief.waitingPid(), null);
    });
  } finally {
    runLoad.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
