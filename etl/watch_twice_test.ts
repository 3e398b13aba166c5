import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "../scripts/testing/until.ts";
import { dailyAtAway } from "../scripts/testing/daily_at.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** `npm run etl -- --watch` on `dataDir`, its stderr collected as it comes. */
function watcher(dataDir: string) {
  const child = spawn(process.execPath, [...process.execArgv, MAIN, "--watch", "--daily-at", dailyAtAway(), "--only", "relationships", "--workbook", join(dataDir, "missing.xlsx"), "--data-dir", dataDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const out = { stderr: "", exited: new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code))) };
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out.stderr += c));
  return { child, out };
}

test("a second npm run etl -- --watch on the same data dir is refused, naming the first; once that one stops, another may start", { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "etl-watch-twice-"));
  const first = watcher(dataDir);
  const started: { child: { kill(signal?: NodeJS.Signals): boolean } }[] = [first];
  try {
    await until("the first watcher to start", () => /watching /.test(first.out.stderr), 90_000);
    // Two watchers loaded every change twice: two runs (and two alerts) for one failed load.
    const second = watcher(dataDir);
    started.push(second);
    // Before the fix the second watched on for ever; this only bounds that failure.
    const kill = setTimeout(() => second.child.kill("SIGKILL"), 60_000);
    const code = await second.out.exited;
    clearTimeout(kill);
    assert.equal(code, 1, second.out.stderr);
    assert.equal(
      second.out.stderr,
      `Another npm run etl -- --watch (pid ${first.child.pid}) already watches ${dataDir}: two would load every change twice. Stop that one first, or give this one another --data-dir\n`,
    );

    first.child.kill("SIGTERM");
    assert.equal(await first.out.exited, 0, first.out.stderr);
    const third = watcher(dataDir);
    started.push(third);
    await until("a watcher after the first stopped", () => /watching /.test(third.out.stderr), 90_000);
    third.child.kill("SIGTERM");
    assert.equal(await third.out.exited, 0, third.out.stderr);
  } finally {
    for (const w of started) w.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
