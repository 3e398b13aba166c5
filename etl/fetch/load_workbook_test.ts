import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publishedVersion, snapshotPath } from "../relationships/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { startScheduler } from "../schedule/mod.ts";
import { loadWorkbook, urlWorkbookWatcher } from "./mod.ts";
import { matrixWorkbook } from "../../scripts/testing/matrix_workbook.ts";
import { xlsxBytes } from "../../scripts/testing/xlsx_writer.ts";
import { etlCli } from "../../scripts/testing/etl_cli.ts";
import { localServer, type ReceivedRequest } from "../../scripts/testing/local_http.ts";
import { dailyAtAway } from "../../scripts/testing/daily_at.ts";

const V1 = Buffer.from(xlsxBytes(matrixWorkbook({ actors: 6, seed: 3 })));
const V2 = Buffer.from(xlsxBytes(matrixWorkbook({ actors: 7, seed: 4 })));
const FAST = { backoffMs: 10, idleTimeoutMs: 5000 };

/** A publisher of `current()` with ETags; `mode()` "drop" breaks each answer off halfway. */
function publisher(current: () => Buffer, mode: () => "serve" | "drop" | "404" = () => "serve") {
  return (req: ReceivedRequest, res: ServerResponse) => {
    const body = current();
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    if (mode() === "404") {
      res.statusCode = 404;
      res.end();
    } else if (req.headers["if-none-match"] === etag) {
      res.statusCode = 304;
      res.end();
    } else if (mode() === "drop") {
      res.setHeader("content-length", body.length);
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else {
      res.setHeader("etag", etag);
      res.setHeader("content-length", body.length);
      res.end(body);
    }
  };
}


test("loadWorkbook() from a URL: 200 publishes, 304 skips, a drop halfway fails and keeps the published version, then the next version loads", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "load-url-"));
  let body = V1;
  let mode: "serve" | "drop" | "404" = "serve";
  const server = await localServer(publisher(() => body, () => mode));
  try {
    const workbook = `${server.url}/pub/relaciones.xlsx`;
    const load = () => loadWorkbook({ workbook, dataDir: dir, download: FAST });

    const first = await load();
    assert.equal(first.run.status, "succeeded", JSON.stringify(first.run.error));
    assert.equal(first.run.version_id, 1);
    assert.equal(first.run.file?.name, "relaciones.xlsx");

    const unchanged = await load();
    assert.deepEqual([unchanged.run.status, unchanged.run.error?.code], ["skipped", "unchanged"]);
    assert.equal(server.requests.at(-1)?.headers["if-none-match"] !== undefined, true, "asked conditionally");

    body = V2;
    mode = "drop";
    const dropped = await load();
    assert.deepEqual([dropped.run.status, dropped.run.error?.code], ["failed", "connection-lost"]);
    assert.match(dropped.run.error!.message, /^Cannot download the workbook: The download of http:\/\/127\.0\.0\.1:\d+\/pub\/relaciones\.xlsx broke off after .* bytes .*; nothing was loaded and the previous version stays published$/);
    assert.equal((await publishedVersion(snapshotPath(dir)))?.version_id, 1);

    mode = "404";
    const missing = await load();
    assert.deepEqual([missing.run.status, missing.run.error?.code], ["failed", "http-status"]);

    mode = "serve";
    const second = await load();
    assert.deepEqual([second.run.status, second.run.version_id], ["succeeded", 2]);
    assert.deepEqual(readRuns(dir).map((r) => r.status), ["succeeded", "skipped", "failed", "failed", "succeeded"]);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run etl --workbook URL: loads with the auth header, and a dropped download exits 1 with a clear message and no secret in runs.jsonl", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "etl-url-"));
  let mode: "serve" | "drop" = "serve";
  let body = V1;
  const server = await localServer(publisher(() => body, () => mode));
  try {
    const env = { ...process.env, DATA_DIR: dir, WORKBOOK_AUTH_HEADER: "Authorization: Bearer very-secret-token" };
    const args = ["--only", "relationships", "--workbook", `${server.url}/relaciones.xlsx?sig=url-secret`];
    const ok = await etlCli(args, { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Relationships: published version 1 from relaciones\.xlsx/m);
    assert.equal(server.requests[0].headers.authorization, "Bearer very-secret-token");

    body = V2;
    mode = "drop";
    const failed = await etlCli(args, { env });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Relationships: FAILED to load relaciones\.xlsx: Cannot download the workbook: The download of http:\/\/127\.0\.0\.1:\d+\/relaciones\.xlsx broke off after [\d,]+ of [\d,]+ bytes \(the connection closed\) \(3 attempts\); nothing was loaded and the previous version stays published/);
    assert.equal((await publishedVersion(snapshotPath(dir)))?.version_id, 1);
    const log = readFileSync(join(dir, "runs.jsonl"), "utf8");
    for (const secret of ["very-secret-token", "url-secret"]) assert.ok(!log.includes(secret), secret);
    for (const secret of ["very-secret-token", "url-secret"]) assert.ok(!failed.stderr.includes(secret) && !ok.stdout.includes(secret), secret);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadWorkbook(): a downloaded file that is not a workbook fails naming the URL, not only the local copy", async () => {
  const dir = mkdtempSync(join(tmpdir(), "load-url-"));
  const server = await localServer(publisher(() => V1.subarray(0, V1.length >> 1)));
  try {
    const url = `${server.url}/relaciones.xlsx`;
    const { run } = await loadWorkbook({ workbook: url, dataDir: dir, download: FAST });
    assert.equal(run.status, "failed");
    assert.ok(run.error!.message.includes(`${url} (downloaded to ${join(dir, "fetched")}`), run.error!.message);
    assert.equal(readRuns(dir)[0].error?.message, run.error!.message, "runs.jsonl says the same");
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loadWorkbook(): a download that cannot be stored is a failed run, not an exception", async () => {
  const dir = mkdtempSync(join(tmpdir(), "load-url-"));
  const server = await localServer(publisher(() => V1));
  try {
    writeFileSync(join(dir, "fetched"), "a file where the folder should be");
    const { run } = await loadWorkbook({ workbook: `${server.url}/relaciones.xlsx`, dataDir: dir, download: FAST });
    assert.deepEqual([run.status, run.error?.code], ["failed", "download-failed"]);
    assert.match(run.error!.message, /^Cannot download the workbook: Cannot store the download: /);
    assert.equal(readRuns(dir).length, 1);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startScheduler() with urlWorkbookWatcher(): a new version at the URL is noticed by the poll and published", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "schedule-url-"));
  let body = V1;
  const server = await localServer(publisher(() => body));
  const workbook = `${server.url}/relaciones.xlsx`;
  const reasons: string[] = [];
  const scheduler = startScheduler({
    workbook,
    dataDir: dir,
    // On the real clock: the daily load (00:00 UTC by default) would be one more load if the test
    // ran across midnight.
    dailyAt: dailyAtAway(),
    watchWorkbook: urlWorkbookWatcher({ workbook, dataDir: dir, pollMs: 50 }),
    runLoad: async (reason) => {
      reasons.push(reason);
      await loadWorkbook({ workbook, dataDir: dir, download: FAST });
    },
  });
  try {
    await until(async () => (await publishedVersion(snapshotPath(dir)))?.version_id === 1);
    assert.equal(reasons[0], "startup");
    // A poll that ran before the start-up load had stored its download saw "no last download" and
    // may have asked for one more load (skipped as unchanged); on a slow machine that happens. Polls
    // run one at a time, so once two more requests arrived, any such poll has finished; after that
    // queued load, polls of the unchanged URL (304s) must start no load.
    const settled = server.requests.length;
    await until(async () => server.requests.length > settled + 1);
    await scheduler.idle();
    const loadsBefore = reasons.length;
    const pollsBefore = server.requests.length;
    await until(async () => server.requests.length > pollsBefore + 3);
    await scheduler.idle();
    assert.equal(reasons.length, loadsBefore, `polls of an unchanged URL started loads: ${reasons.join(", ")}`);
    body = V2;
    await until(async () => (await publishedVersion(snapshotPath(dir)))?.version_id === 2);
    assert.equal(reasons.at(-1), "file-changed");
  } finally {
    scheduler.stop();
    await scheduler.idle();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Waits until `done()` holds, polling; fails after `ms` (a state to reach, not a time to assert). */
async function until(done: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 50));
  }
}
