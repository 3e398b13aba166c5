import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readRuns } from "../runs/mod.ts";
import { childProcessLoad } from "./mod.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";
import { localServer } from "../../scripts/testing/local_http.ts";
import { until } from "../../scripts/testing/until.ts";

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
    await t.test("a load that crashes is reported with its signal and recorded as a failed run; the next load runs", async () => {
      writeFileSync(marker, "");
      runLoad.prepare();
      const crashed = await runLoad("daily");
      assert.equal(crashed.signal, "SIGKILL");
      assert.equal(crashed.summary, null);
      assert.equal(crashed.crashed?.kind, "relationships", "the load it was running: relationships come first");
      const next = await runLoad("file-changed");
      assert.equal(next.exitCode, 0, next.stderr);
      assert.equal(next.crashed, null);
      assert.equal((next.summary as { relationships: { status: string } }).relationships.status, "skipped", "unchanged workbook");
      const runs = readRuns(dataDir);
      assert.deepEqual(runs.filter((r) => r.kind === "relationships").map((r) => `${r.status}:${r.error?.code ?? ""}`), ["succeeded:", "skipped:unchanged", "failed:crashed", "skipped:unchanged"]);
      assert.equal(runs.filter((r) => r.kind === "contacts").length, 0, "no contacts file: the daily load had none to load, and no run for it");
      const run = runs.find((r) => r.error?.code === "crashed")!;
      assert.match(run.error!.message, /relationships load of '.*r\.xlsx' did not finish: its process was ended by SIGKILL/);
      assert.deepEqual(run.file && [run.file.name, run.file.sha256], ["r.xlsx", ""], "the file, unhashed: the schedule tries it again");
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

// A load child killed mid-load (kill -9, the OOM killer) left only a log line: no run in runs.jsonl
// and no alert, though "a crash is a failed run, not a dead server".
test("childProcessLoad(): a child that dies before recording its run gets a failed run (crashed) and its alert; one that recorded it gets neither twice", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "child-crash-"));
  const dataDir = join(dir, "data");
  const workbook = join(dir, "relaciones.xlsx");
  const marker = join(dir, "crash-next-load");
  // The webhook takes every alert, except when told to hold them (never answered).
  let hold = false;
  const hook = await localServer((_req, res) => void (!hold && res.end("ok")));
  await writeVersion(workbook, { ids: [1, 2, 3], cell: cells(4), code: (id) => `S${id}`, name: (id) => `N${id}` });
  let pid = 0;
  const runLoad = childProcessLoad({
    dataDir, workbook, onStart: (p) => (pid = p),
    env: { ...process.env, NODE_OPTIONS: `--import=${CRASH}`, CRASH_ONCE: marker, ALERT_WEBHOOK_URL: `${hook.url}/hook` },
  });
  const alerts = () => hook.requests.map((r) => JSON.parse(r.body.toString()) as { run: { id: string; error: { code: string } } });
  try {
    await t.test("killed when told to load: a failed run naming the signal and the file, alerted", async () => {
      writeFileSync(marker, "");
      runLoad.prepare();
      const result = await runLoad("file-changed");
      assert.equal(result.signal, "SIGKILL");
      const run = readRuns(dataDir).at(-1)!;
      assert.equal(run.id, result.crashed?.id);
      assert.deepEqual([run.kind, run.status, run.error?.code], ["relationships", "failed", "crashed"]);
      assert.match(run.error!.message, /'.*relaciones\.xlsx' did not finish: its process was ended by SIGKILL/);
      assert.deepEqual(alerts().map((a) => [a.run.id, a.run.error.code]), [[run.id, "crashed"]], "one alert, for that run");
      assert.equal(run.alert?.status, "sent", "its outcome recorded with the run, as for any alerted run");
    });
    await t.test("killed after it recorded its run (while alerting it): no second run, no second alert", async () => {
      writeFileSync(workbook, "not a workbook");
      hold = true;
      const before = hook.requests.length;
      const loading = runLoad("file-changed");
      await until("the child's alert about its failed load", () => hook.requests.length === before + 1);
      process.kill(pid, "SIGKILL");
      const result = await loading;
      assert.equal(result.signal, "SIGKILL");
      assert.equal(result.crashed, null);
      const runs = readRuns(dataDir);
      assert.deepEqual(runs.slice(-2).map((r) => r.error?.code), ["crashed", "not-zip"], "the child's own run only");
      assert.equal(hook.requests.length, before + 1);
    });
  } finally {
    runLoad.close();
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
