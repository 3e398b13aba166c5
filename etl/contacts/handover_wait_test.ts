// A load handed over to the running API while another hand-over runs: the API queues its writes, so
// `npm run etl` (say `--contacts new.csv`) used to be loaded after the other; taking `.contacts.lock`
// for the hand-over (for the failed-before hold) made it a `busy` skip, exit 0, and the person's file
// was never loaded. Real CSV files, a real API on port 0 (api.json), a real contacts lock.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireLoadLock } from "../files/mod.ts";
import { readRuns } from "../runs/mod.ts";
import { HandoverError, importThroughApi, runningApi } from "../handover/mod.ts";
import { tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { loadContacts } from "./load_contacts.ts";

const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";
const rows = (n: number) => [HEADER, ...Array.from({ length: n }, (_, i) => `Ann${i},Lee,,,Albany,NY,2204,,,mine${i}@example.com,Sales`)].join("\n") + "\n";

/**
 * Loads `csvPath` into `dir` while the contacts lock is held, as another hand-over's process holds it
 * while the API imports its file; calls `meanwhile` and releases the lock once the load has placed
 * its copy and has had time to find the API and try the lock, or once it ended (a skip). A slow
 * machine can only make a test pass on the old code, never fail on the new.
 */
async function loadWhileLocked(dir: string, csvPath: string, meanwhile = () => {}): ReturnType<typeof loadContacts> {
  const release = acquireLoadLock(dir, "contacts");
  let settled = false;
  const load = loadContacts({ csvPath, dataDir: dir }).finally(() => (settled = true));
  load.catch(() => undefined);
  const uploads = join(dir, "uploads");
  for (let i = 0; i < 100 && !settled && !(existsSync(uploads) && readdirSync(uploads).length > 0); i++) await sleep(20);
  for (let i = 0; i < 25 && !settled; i++) await sleep(20);
  meanwhile();
  release();
  return load;
}

test("a hand-over while another contacts hand-over runs waits for it and is loaded, not skipped as busy", async () => {
  const { dir, cleanup } = tempDir("handover-wait-");
  const api = await testServer(dir, { announce: true });
  try {
    const csvPath = join(dir, "mine.csv");
    writeFileSync(csvPath, rows(3));
    const result = await loadWhileLocked(dir, csvPath);
    assert.equal(result.via, "api");
    assert.equal(result.inserted, 3);
    assert.deepEqual(readRuns(dir).map((r) => `${r.status} ${r.error?.code ?? ""}`.trim()), ["succeeded"]);
  } finally {
    await api.close();
    cleanup();
  }
});

// The API's 404 for an upload that is not there (an API started meanwhile emptied uploads/) was
// `api-rejected`, one of the codes the failed-before hold blames the file's bytes for: the next
// load of the same, good, file was skipped for an hour ("identical to the one run ... failed on").
test("an upload gone before the API read it is upload-removed, which holds nothing: the same file loads next", async () => {
  const { dir, cleanup } = tempDir("handover-removed-");
  const api = await testServer(dir, { announce: true });
  try {
    const info = (await runningApi(dir))!;
    await assert.rejects(importThroughApi(info, { upload: `${randomUUID()}.csv`, source_name: "mine.csv" }), (e: unknown) => {
      assert.ok(e instanceof HandoverError);
      assert.equal(e.code, "upload-removed");
      return true;
    });
    const csvPath = join(dir, "mine.csv");
    writeFileSync(csvPath, rows(3));
    // Removed while the load waited for another's lock, as an API restarting then empties uploads/.
    const uploads = join(dir, "uploads");
    const first = loadWhileLocked(dir, csvPath, () => {
      for (const name of existsSync(uploads) ? readdirSync(uploads) : []) rmSync(join(uploads, name), { force: true });
    });
    await assert.rejects(first, (e: { code?: string }) => e.code === "upload-removed");
    const again = await loadContacts({ csvPath, dataDir: dir });
    assert.equal(again.inserted, 3);
    assert.deepEqual(readRuns(dir).map((r) => `${r.status} ${r.error?.code ?? ""}`.trim()), ["failed upload-removed", "succeeded"]);
  } finally {
    await api.close();
    cleanup();
  }
});
