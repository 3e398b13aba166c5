import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchWorkbook, loadWorkbook, urlWorkbookWatcher } from "../fetch/mod.ts";
import { appendRun, type RunKind } from "../runs/mod.ts";
import { changedSinceLastLoad, startScheduler, type LoadReason } from "./mod.ts";
import { FakeClock } from "../../scripts/testing/fake_clock.ts";
import { localServer } from "../../scripts/testing/local_http.ts";
import { cells, writeVersion } from "../../scripts/testing/workbooks.ts";

/** Records in runs.jsonl that a load of `kind` read `path` as it is now. */
function recordLoad(dataDir: string, kind: RunKind, path: string, status: "succeeded" | "failed" = "succeeded"): void {
  const at = "2026-03-03T09:00:00.000Z";
  const sha256 = createHash("sha256").update(readFileSync(path)).digest("hex");
  appendRun(dataDir, {
    id: `${kind}-${Math.random()}`, kind, status, started_at: at, finished_at: at,
    file: { name: "f", path, size: statSync(path).size, sha256 }, counts: {}, findings: [], changes: {}, error: status === "failed" ? { code: "bad", message: "bad" } : null,
  });
}

// The watchers compared a file only with what they saw when the schedule started: a workbook or CSV
// replaced while npm start was stopped (a deploy, a reboot) was not loaded at the next start when
// the data was under 24 h old; the tables showed the old version until the daily run.
test("a start-up loads an input replaced while nothing watched it, and only that input", async () => {
  const dir = mkdtempSync(join(tmpdir(), "changed-while-away-"));
  try {
    const workbook = join(dir, "relaciones.xlsx");
    const csv = join(dir, "contacts.csv");
    writeFileSync(workbook, "version 1");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\n");
    recordLoad(dir, "relationships", workbook);
    recordLoad(dir, "contacts", csv);
    const start = async () => {
      const clock = new FakeClock("2026-03-03T10:00:00Z");
      const runs: LoadReason[] = [];
      const scheduler = startScheduler({
        workbook, contacts: csv, dataDir: dir, clock, pollMs: 100, stableMs: 3000,
        lastSuccess: () => new Date("2026-03-03T09:00:00Z"), lastContactsSuccess: () => new Date("2026-03-03T09:00:00Z"),
        runLoad: async (reason) => void runs.push(reason),
      });
      // Hashing reads the files for real; then the loads wait for them to keep still.
      await new Promise((resolve) => setTimeout(resolve, 50));
      clock.advance(5000);
      await scheduler.idle();
      scheduler.stop();
      return runs;
    };
    assert.deepEqual(await start(), [], "nothing changed: nothing to load");
    // The same bytes written again (mtime moved on): not a new version.
    writeFileSync(workbook, "version 1");
    assert.deepEqual(await start(), []);
    // Same size, other bytes, and an mtime moved back (`cp -p` of another file): a new version.
    writeFileSync(workbook, "version 2");
    utimesSync(workbook, new Date("2020-01-01"), new Date("2020-01-01"));
    assert.deepEqual(await start(), ["file-changed"]);
    recordLoad(dir, "relationships", workbook, "failed");
    assert.deepEqual(await start(), [], "a file whose load failed is not tried again at every start");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.com\nBea,Soto,bea@example.com\n");
    assert.deepEqual(await start(), ["contacts-changed"]);
    assert.equal(await changedSinceLastLoad(dir, "contacts", join(dir, "missing.csv")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A URL workbook's download records its validators in fetched/state.json before the load
// publishes. When that load did not finish (npm start restarted while its child loaded, or the
// child crashed), the polls answered 304 against the new validators and the start-up check skipped
// URLs: the downloaded version waited for the daily run, up to 24 h.
test("a start-up loads a URL workbook's download that no load has read yet", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "changed-while-away-url-"));
  const dataDir = join(dir, "data");
  const v1 = join(dir, "v1.xlsx");
  const v2 = join(dir, "v2.xlsx");
  await writeVersion(v1, { ids: [1, 2, 3], cell: cells(4), code: (id) => `S${id}`, name: (id) => `N${id}` });
  await writeVersion(v2, { ids: [1, 2, 3, 4], cell: cells(5), code: (id) => `S${id}`, name: (id) => `N${id}` });
  let body = readFileSync(v1);
  const server = await localServer((req, res) => {
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 16)}"`;
    if (req.headers["if-none-match"] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader("etag", etag);
    res.end(body);
  });
  const url = `${server.url}/relaciones.xlsx`;
  const start = async () => {
    const runs: LoadReason[] = [];
    const scheduler = startScheduler({
      workbook: url,
      dataDir,
      watchWorkbook: urlWorkbookWatcher({ workbook: url, dataDir, pollMs: 60_000 }),
      runLoad: async (reason) => void runs.push(reason),
    });
    await scheduler.idle();
    scheduler.stop();
    return runs;
  };
  try {
    assert.equal((await loadWorkbook({ workbook: url, dataDir })).run.status, "succeeded");
    assert.deepEqual(await start(), [], "the download the last load read: nothing to load");
    // A new version is published; a load downloads it and is killed before it publishes.
    body = readFileSync(v2);
    await fetchWorkbook(url, { dataDir });
    assert.deepEqual(await start(), ["file-changed"]);
    // That load (a 304: it reads the download) records it; the next start has nothing to load.
    assert.equal((await loadWorkbook({ workbook: url, dataDir })).run.status, "succeeded");
    assert.deepEqual(await start(), []);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
