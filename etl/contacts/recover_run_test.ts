// A contacts load killed after its COMMIT, before its run reached runs.jsonl: the next load records
// that run (recover_run.ts). The DuckDB load stops itself right after its COMMIT
// (scripts/testing/stop_at.ts) and is killed there, so no clock decides where it dies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopped } from "../../scripts/testing/stopped.ts";
import { Database } from "../db/mod.ts";
import { readRuns, runLogPath } from "../runs/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { loadContacts } from "./load_contacts.ts";
import { ingestContacts } from "./ingest_contacts.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { PostgresDatabase } from "../db/mod.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const STOP_AT = new URL("../../scripts/testing/stop_at.ts", import.meta.url).href;

test("kill -9 right after a contacts load's COMMIT: the next load records its run, then skips the unchanged file", { timeout: 120_000, skip: !existsSync("/proc/self/stat") && "needs /proc" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-recover-"));
  const dataDir = join(dir, "data");
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 500, 4);
  const child = spawn(process.execPath, [...process.execArgv, `--import=${STOP_AT}`, MAIN, "--only", "contacts", "--contacts", csv, "--data-dir", dataDir, "--json"], {
    stdio: "ignore",
    env: { ...process.env, STOP_AT: "contacts-committed", API_TOKEN: "", DATABASE_URL: "" },
  });
  try {
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    const state = await stopped(child.pid!);
    assert.equal(state, "T", "the load stopped right after its COMMIT");
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
    assert.deepEqual(readRuns(dataDir), [], "the killed load recorded no run");
    const db = await Database.open(join(dataDir, "contacts.duckdb"), { readOnly: true });
    const stored = Number((await db.one<{ n: number }>("SELECT count(*)::INTEGER AS n FROM contacts"))!.n);
    db.close();
    assert.ok(stored > 0, "but its contacts are committed");

    const next = await loadContacts({ csvPath: csv, dataDir });
    const runs = readRuns(dataDir);
    assert.deepEqual(runs.map((r) => r.status), ["succeeded", "skipped"], "the killed load's run, then this one's");
    const [recovered] = runs;
    assert.notEqual(recovered.id, next.run_id);
    assert.equal(recovered.kind, "contacts");
    assert.equal(recovered.counts.inserted, stored);
    assert.equal(recovered.changes.inserted, stored);
    assert.equal(recovered.file?.sha256, runs[1].file?.sha256, "the same file");
    assert.equal(recovered.findings.at(-1)?.check, "run_recovered");
    assert.ok(recovered.started_at <= recovered.finished_at);
    assert.ok(next.unchanged_since !== undefined, "the same file again is unchanged");

    await loadContacts({ csvPath: csv, dataDir });
    assert.equal(readRuns(dataDir).filter((r) => r.id === recovered.id).length, 1, "recorded once");
  } finally {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A load of `rows` contacts into `dir`'s data dir, then what a kill between its COMMIT and its run's append leaves: the tables loaded, no run. */
async function loadLosingItsRun(dir: string, rows: number, databaseUrl: string | undefined) {
  const dataDir = join(dir, "data");
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, rows, 5);
  const first = await loadContacts({ csvPath: csv, dataDir, databaseUrl });
  writeFileSync(runLogPath(dataDir), "");
  return { dataDir, csv, first };
}

test("PostgreSQL: a load whose run is missing from runs.jsonl is recorded by the next load from the same data dir, not by another's", { skip: POSTGRES_SKIP }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "contacts-recover-pg-"));
  try {
    const databaseUrl = await postgresDatabaseFor(dir);
    assert.ok(TEST_POSTGRES_URL);
    const { dataDir, csv, first } = await loadLosingItsRun(dir, 300, databaseUrl);
    const elsewhere = join(dir, "other-data");
    await loadContacts({ csvPath: csv, dataDir: elsewhere, databaseUrl });
    assert.deepEqual(readRuns(elsewhere).map((r) => r.status), ["skipped"], "another data dir's load is not ours to record");
    await loadContacts({ csvPath: csv, dataDir, databaseUrl });
    const runs = readRuns(dataDir);
    assert.deepEqual(runs.map((r) => [r.id, r.status]), [[first.run_id, "succeeded"], [runs[1].id, "skipped"]]);
    assert.equal(runs[0].counts.inserted, first.inserted);
    assert.equal(runs[0].findings.at(-1)?.check, "run_recovered");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const backend of ["DuckDB", "PostgreSQL"] as const) {
  test(`${backend}: a load's missing run is recorded by the next load from its data dir after imports through an API committed in between (review)`, { skip: backend === "PostgreSQL" ? POSTGRES_SKIP : false }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "contacts-recover-after-"));
    try {
      const databaseUrl = backend === "PostgreSQL" ? await postgresDatabaseFor(dir) : undefined;
      const { dataDir, csv, first } = await loadLosingItsRun(dir, 50, databaseUrl);
      // Then an import through a running API: it stores no run of this data dir.
      const imported = join(dir, "import.csv");
      writeContactsCsv(imported, 20, 6);
      if (databaseUrl !== undefined) {
        const pg = await PostgresDatabase.connect(databaseUrl, { max: 2 });
        await ingestContactsPostgres(pg, imported, { workDir: dir }).finally(() => pg.close());
      } else {
        const db = await Database.open(join(dataDir, "contacts.duckdb"));
        try {
          await ingestContacts(db, imported);
        } finally {
          db.close();
        }
      }
      await loadContacts({ csvPath: csv, dataDir, databaseUrl });
      const runs = readRuns(dataDir);
      assert.equal(runs.length, 2, "the killed load's run and the next one");
      assert.equal(runs[0]!.id, first.run_id, "the killed load's run was recorded first");
      assert.equal(runs[0]!.findings.at(-1)?.check, "run_recovered");
      assert.equal(runs[0]!.counts.inserted, first.inserted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// A load killed before its COMMIT (kill -9, out of memory, a power cut) left no run at all: the
// history showed the load before it as the last, and nobody could tell a load had been tried and
// died. The next load now records it, failed `crashed`, once, saying the contacts are as before it.
for (const backend of ["DuckDB", "PostgreSQL"] as const) {
  test(`${backend}: kill -9 before a contacts load's COMMIT: the next load records it as crashed, once, and loads`, { timeout: 120_000, skip: backend === "PostgreSQL" ? POSTGRES_SKIP : !existsSync("/proc/self/stat") && "needs /proc" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "contacts-killed-"));
    const dataDir = join(dir, "data");
    const before = join(dir, "before.csv");
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(before, 100, 1);
    writeContactsCsv(csv, 500, 4);
    const databaseUrl = backend === "PostgreSQL" ? await postgresDatabaseFor(dir) : undefined;
    const first = await loadContacts({ csvPath: before, dataDir, databaseUrl });
    const child = spawn(process.execPath, [...process.execArgv, `--import=${STOP_AT}`, MAIN, "--only", "contacts", "--contacts", csv, "--data-dir", dataDir, "--json"], {
      stdio: "ignore",
      env: { ...process.env, STOP_AT: backend === "PostgreSQL" ? "contacts-pg-written" : "contacts-staging", API_TOKEN: "", DATABASE_URL: databaseUrl ?? "" },
    });
    try {
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      assert.equal(await stopped(child.pid!), "T", "the load stopped before its COMMIT");
      child.kill("SIGKILL");
      assert.equal(await exited, "SIGKILL");
      assert.deepEqual(readRuns(dataDir).map((r) => r.id), [first.run_id], "the killed load recorded no run");
      assert.ok(readdirSync(join(dataDir, "uploads")).length > 0, "the killed load's copy of the CSV (and staging folder, PostgreSQL)");

      const next = await loadContacts({ csvPath: csv, dataDir, databaseUrl });
      const runs = readRuns(dataDir);
      assert.deepEqual(runs.map((r) => [r.status, r.error?.code ?? null]), [["succeeded", null], ["failed", "crashed"], ["succeeded", null]], "the first load, the killed one, this one");
      const crashed = runs[1]!;
      assert.notEqual(crashed.id, next.run_id);
      assert.equal(crashed.kind, "contacts");
      assert.equal(crashed.file?.path, csv);
      assert.match(crashed.error!.message, /did not finish.*before its COMMIT.*as they were before it/);
      assert.ok(crashed.started_at <= crashed.finished_at);
      assert.ok(next.inserted > 0, "the file the killed load read is loaded now");
      assert.deepEqual(readdirSync(join(dataDir, "uploads")), [], "what the killed load left in uploads/ (personal data) is removed with it, not 6 h later");

      await loadContacts({ csvPath: csv, dataDir, databaseUrl });
      assert.equal(readRuns(dataDir).filter((r) => r.error?.code === "crashed").length, 1, "recorded once");
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
