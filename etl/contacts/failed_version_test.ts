// A contacts CSV a load failed on for its bytes (no 'email' column, every row rejected) is held off
// for an hour as the workbook is (etl/runs/failed_hold.ts): two loads reacting to one change (npm
// start's schedule and an npm run etl -- --watch on one data dir) each failed it and each alerted,
// and every start-up or daily load in the hour failed it again. Real CSV files, a real
// contacts.duckdb (a real API, a real PostgreSQL), real runs.jsonl, real schedules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alertDue } from "../alerts/mod.ts";
import { lastGoodLoad, startScheduler } from "../schedule/mod.ts";
import { readRuns, type RunRecord } from "../runs/mod.ts";
import { parseEtlArgs, runEtl } from "../main.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { testServer } from "../../scripts/testing/api_server.ts";
import { loadContacts } from "./load_contacts.ts";

const HEADER = "first_name,last_name,company_name,address,city,state,zip,phone1,phone2,email,department";
const good = (n: number) => [HEADER, ...Array.from({ length: n }, (_, i) => `Ann${i},Lee,,,Albany,NY,2204,,,ann${i}@example.com,Sales`)].join("\n") + "\n";
/** No 'email' column: the whole load fails (`missing-column`), whoever runs it. */
const broken = "first_name,last_name,mail\nAnn,Lee,ann@example.com\n";

function setUp(): { dataDir: string; csvPath: string } {
  const dataDir = mkdtempSync(join(tmpdir(), "contacts-failed-version-test-"));
  return { dataDir, csvPath: join(dataDir, "contacts.csv") };
}

const summary = (runs: RunRecord[]) => runs.map((r) => `${r.status} ${r.error?.code ?? ""}`.trim());

/** The contacts run a load recorded, whether it returned or threw. */
async function load(options: Parameters<typeof loadContacts>[0]): Promise<RunRecord> {
  await loadContacts(options).catch(() => undefined);
  return readRuns(options.dataDir).at(-1)!;
}

test("a contacts CSV a load failed on is skipped until it changes, with no second failure or alert; a fixed file loads at once", async () => {
  const { dataDir, csvPath } = setUp();
  try {
    writeFileSync(csvPath, good(2));
    assert.equal((await load({ csvPath, dataDir })).status, "succeeded");
    const good_at = lastGoodLoad(dataDir, "contacts");
    writeFileSync(csvPath, broken);
    const first = await load({ csvPath, dataDir });
    assert.equal(first.status, "failed");
    assert.equal(first.error?.code, "missing-column");
    await assert.rejects(loadContacts({ csvPath, dataDir }), (e: { code?: string }) => e.code === "failed-before");
    const again = readRuns(dataDir).at(-1)!;
    assert.equal(again.status, "skipped", again.error?.message);
    assert.equal(again.error?.code, "failed-before");
    assert.match(again.error!.message, new RegExp(`^The contacts file 'contacts.csv' is identical to the one run ${first.id} failed on \\(.*no column 'email'.*\\); not loaded again until the file changes or an hour has passed since that run \\(use --force to load it now\\)$`));
    assert.equal(again.file?.sha256, first.file?.sha256);
    assert.equal(alertDue(again, "info"), false);
    assert.deepEqual(lastGoodLoad(dataDir, "contacts"), good_at);
    // The fixed file (new bytes) loads at once.
    writeFileSync(csvPath, good(3));
    assert.equal((await load({ csvPath, dataDir })).status, "succeeded");
    assert.deepEqual(summary(readRuns(dataDir)), ["succeeded", "failed missing-column", "skipped failed-before", "succeeded"]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("npm run etl -- --only contacts of a held CSV skips it (exit 0, no alert) as --only relationships does a held workbook; --force loads it", async () => {
  const { dataDir, csvPath } = setUp();
  try {
    writeFileSync(csvPath, "first_name,last_name,email\nAnn,Lee,not-an-email\n");
    const options = parseEtlArgs(["--only", "contacts", "--data-dir", dataDir, "--contacts", csvPath], {});
    if (typeof options === "string") throw new Error(options);
    const first = await runEtl(options);
    assert.equal(first.ok, false);
    assert.equal(first.contacts?.status, "failed");
    assert.equal(first.contacts?.error?.code, "all-rejected");
    const held = await runEtl(options);
    assert.equal(held.ok, true);
    assert.equal(held.contacts?.status, "skipped");
    assert.equal(held.contacts?.error?.code, "failed-before");
    const forced = await runEtl({ ...options, force: true });
    assert.equal(forced.contacts?.status, "failed");
    assert.equal(forced.contacts?.error?.code, "all-rejected");
    assert.deepEqual(summary(readRuns(dataDir)), ["failed all-rejected", "skipped failed-before", "failed all-rejected"]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Directly into contacts.duckdb, handed to the running API (npm start's own schedule does), into PostgreSQL.
const ROUTES = [
  { via: "direct", skip: false },
  { via: "api", skip: false },
  { via: "postgres", skip: POSTGRES_SKIP },
] as const;

for (const { via, skip } of ROUTES) {
test(`two schedules watching one data dir (npm start's and --watch's) record one failure for one change of a broken contacts CSV (${via})`, { skip, timeout: 120_000 }, async () => {
  const { dataDir, csvPath } = setUp();
  const databaseUrl = via === "postgres" ? await postgresDatabaseFor(dataDir) : undefined;
  const api = via === "api" ? await testServer(dataDir, { announce: true }) : null;
  try {
    writeFileSync(csvPath, good(2));
    assert.equal((await load({ csvPath, dataDir, databaseUrl })).status, "succeeded");
    // Each schedule's load waits for the other's lock, as `--wait` does.
    const schedules = [0, 1].map(() =>
      startScheduler({
        workbook: join(dataDir, "relaciones.xlsx"),
        contacts: csvPath,
        watch: false,
        dataDir,
        pollMs: 20,
        stableMs: 100,
        lastSuccess: () => new Date(),
        runLoad: () => loadContacts({ csvPath, dataDir, databaseUrl, lockWaitMs: 60_000 }),
      }),
    );
    try {
      writeFileSync(csvPath, broken);
      // Both schedules load once the change settles; wait for both runs (no time limit but the test's).
      while (readRuns(dataDir).length < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      await Promise.all(schedules.map((s) => s.idle()));
    } finally {
      for (const s of schedules) s.stop();
    }
    const [loaded, failed, ...rest] = summary(readRuns(dataDir));
    // Through the API an unusable file is the API's 422, `api-rejected` (etl/contacts/README.md "Errors").
    assert.deepEqual([loaded, failed], ["succeeded", `failed ${via === "api" ? "api-rejected" : "missing-column"}`]);
    assert.ok(rest.length >= 1 && rest.every((r) => r === "skipped failed-before"), rest.join(", "));
  } finally {
    await api?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
}

test("an hour after the failure the same contacts CSV is loaded again: the daily load fails (and alerts) once a day", async () => {
  const { dataDir, csvPath } = setUp();
  try {
    writeFileSync(csvPath, broken);
    const first = await load({ csvPath, dataDir });
    assert.equal(first.error?.code, "missing-column");
    assert.equal((await load({ csvPath, dataDir })).error?.code, "failed-before");
    // The failure as if it had ended 61 minutes ago.
    const log = join(dataDir, "runs.jsonl");
    const aged = new Date(Date.parse(first.finished_at) - 61 * 60_000).toISOString();
    writeFileSync(log, readFileSync(log, "utf8").replace(`"finished_at":"${first.finished_at}"`, `"finished_at":"${aged}"`));
    const later = await load({ csvPath, dataDir });
    assert.equal(later.status, "failed", later.error?.message);
    assert.equal(later.error?.code, "missing-column");
    assert.equal((await load({ csvPath, dataDir })).error?.code, "failed-before");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a contacts load that failed for want of the file, not its bytes, does not hold the next load of them", async () => {
  const { dataDir, csvPath } = setUp();
  try {
    assert.equal((await load({ csvPath, dataDir })).error?.code, "unreadable");
    writeFileSync(csvPath, good(1));
    assert.equal((await load({ csvPath, dataDir })).status, "succeeded");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
