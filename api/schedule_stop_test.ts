import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { acquireLoadLock } from "../etl/files/mod.ts";
import { readRuns } from "../etl/runs/mod.ts";
import { tempDir } from "../scripts/testing/api_server.ts";
import { localServer } from "../scripts/testing/local_http.ts";
import { until } from "../scripts/testing/until.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const SAMPLE = fileURLToPath(new URL("../data/relaciones.xlsx", import.meta.url));

/** Pids of the load children (etl/main.ts) working on `dataDir`, whoever their parent is now. */
function loadChildren(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (args.some((a) => a.endsWith("etl/main.ts")) && args.includes(dataDir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

function startApi(dataDir: string, env: NodeJS.ProcessEnv = {}): { output: () => string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [...process.execArgv, MAIN], {
    env: { ...process.env, PORT: "0", DATA_DIR: dataDir, ETL_SCHEDULE: "on", ALERT_WEBHOOK_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { output: () => output, exited, kill: (s) => child.kill(s) };
}

// npm start stopped by SIGTERM/SIGINT left its load child running: an orphan that went on loading
// (and writing) after the API had closed; its contacts hand-over then failed against the API that
// was gone, a failed run and an alert for a plain restart.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} while a scheduled load runs ends its child with the API; the next start loads`, { skip: process.platform !== "linux" && "reads /proc", timeout: 120_000 }, async () => {
    const { dir, cleanup } = tempDir("schedule-stop-");
    // The load is made to take as long as the test needs: it waits (--wait) for a lock held here.
    const release = acquireLoadLock(dir, "relationships");
    let released = false;
    try {
      copyFileSync(SAMPLE, join(dir, "relaciones.xlsx"));
      const first = startApi(dir);
      await until("the start-up load's child", () => loadChildren(dir).length > 0, 60_000);
      const children = loadChildren(dir);
      first.kill(signal);
      assert.equal(await first.exited, 0, first.output());
      await until(`the load child to end with the API (${children.join(", ")} still running)`, () => loadChildren(dir).length === 0, 15_000);
      release();
      released = true;
      // The next start finds the data stale (the stopped load published nothing) and loads it.
      const second = startApi(dir);
      await until("the second start's load", () => readRuns(dir).some((r) => r.kind === "relationships" && r.status === "succeeded"), 60_000);
      second.kill("SIGTERM");
      assert.equal(await second.exited, 0, second.output());
      assert.deepEqual(readRuns(dir).filter((r) => r.status === "failed"), [], "no run failed");
    } finally {
      if (!released) release();
      for (const pid of loadChildren(dir)) process.kill(pid);
      cleanup();
    }
  });
}

// The load child that npm start's stop ends with SIGTERM may be downloading a URL workbook: it went
// on waiting for a server that had stopped sending (30 s, and two more attempts), and npm start's
// stop with it. Now the child stops its download at once and records its run as stopped.
test("SIGTERM while a scheduled load downloads a URL workbook from a stalled server: the API stops, the child's run is 'stopped', no partial file", { skip: process.platform !== "linux" && "reads /proc", timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir("schedule-stop-download-");
  const server = await localServer((_request, res) => {
    res.setHeader("content-length", 5_000_000);
    res.write(Buffer.alloc(64 * 1024));
  });
  const partials = () => (existsSync(join(dir, "fetched")) ? readdirSync(join(dir, "fetched")).filter((n) => n.startsWith(".part-")) : []);
  try {
    const api = startApi(dir, { WORKBOOK: `${server.url}/pub/relaciones.xlsx` });
    await until("the start-up load's download to be under way", () => partials().length > 0, 60_000);
    api.kill("SIGTERM");
    assert.equal(await api.exited, 0, api.output());
    await until("the load child to end with the API", () => loadChildren(dir).length === 0, 15_000);
    const runs = readRuns(dir);
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.equal(runs[0].status, "failed");
    assert.equal(runs[0].error?.code, "stopped", runs[0].error?.message);
    assert.match(runs[0].error?.message ?? "", /^Stopped by SIGTERM during the workbook's download/);
    assert.deepEqual(partials(), []);
  } finally {
    for (const pid of loadChildren(dir)) process.kill(pid);
    await server.close();
    cleanup();
  }
});
