// `npm run etl` copies its contacts CSV into uploads/ before it looks for a running API; an API
// that starts meanwhile empties uploads/ (etl/handover) and so deletes the copy being written. The
// load then handed the API a name with no file behind it, and said the person's CSV did not exist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRuns } from "../runs/mod.ts";
import { testServer } from "../../scripts/testing/api_server.ts";
import { until } from "../../scripts/testing/until.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

test("a load whose copy an API starting up removed says so, naming the CSV, instead of calling the CSV missing", { skip: process.platform === "win32", timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "handover-start-"));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  // A named pipe, as `--contacts <(gunzip -c contacts.csv.gz)`: the copy takes as long as its writer.
  const pipe = join(dir, "contacts.csv");
  assert.equal(spawnSync("mkfifo", [pipe]).status, 0);
  const etl = spawn(process.execPath, [...process.execArgv, MAIN, "--only", "contacts", "--contacts", pipe, "--data-dir", dataDir, "--json"], {
    env: { ...process.env, DATABASE_URL: "", API_TOKEN: "", ALERT_WEBHOOK_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  etl.stdout!.on("data", (d) => (stdout += d));
  etl.stderr!.on("data", (d) => (stderr += d));
  const exited = once(etl, "exit");
  let server: Awaited<ReturnType<typeof testServer>> | undefined;
  try {
    const writer = createWriteStream(pipe);
    writer.write("first_name,last_name,email\nAnn,Lee,ann@example.com\n");
    const uploads = join(dataDir, "uploads");
    await until("the load's copy in uploads/", () => existsSync(uploads) && readdirSync(uploads).length > 0, 60_000);
    // The API starts while the copy is being written: `npm start` (re)started beside the load.
    server = await testServer(dataDir, { announce: true });
    writer.end("Bob,Ray,bob@example.com\n");
    const [code] = await exited;
    const run = readRuns(dataDir).find((r) => r.kind === "contacts");
    assert.ok(run, stderr);
    if (code === 0) {
      assert.equal(run.status, "succeeded", JSON.stringify(run));
    } else {
      // Nothing to load again from a pipe: the load must say what happened, not blame the CSV.
      assert.equal(code, 1, stderr);
      assert.doesNotMatch(run.error!.message, /no such file/i, "the CSV exists; its copy was removed");
      assert.match(run.error!.message, /contacts\.csv/);
      assert.match(run.error!.message, /uploads/);
      assert.match(run.error!.message, /removed/);
      assert.match(run.error!.message, /again/);
    }
  } finally {
    if (etl.exitCode === null) etl.kill();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
  void stdout;
});
