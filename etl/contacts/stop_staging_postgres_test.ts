// A PostgreSQL contacts load stages its CSV in an in-memory DuckDB first (read_csv, validation,
// de-duplication: seconds at a million rows), and a stop that came then was not heard until the
// staging had run to its end. The stop now interrupts the DuckDB statement running and runs no
// further one. Where the stop lands is made exact, never timed: read_csv is given a named pipe fed
// by the test, so the statement is provably running (DuckDB holds the pipe open, half the file
// read) when the stop comes, and cannot end before the test lets it; or the stop comes as one
// staging statement answers. The load's own Database class is patched, as scripts/testing/stop_at.ts
// does. Real PostgreSQL and DuckDB; skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, PostgresDatabase } from "../db/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { migratePostgres } from "./migrate.ts";

/** What stays the same when a load writes nothing: every contact, department and link, and the loads recorded. */
async function tables(pg: PostgresDatabase): Promise<string> {
  const rows = await pg.all<{ t: string }>(
    `SELECT (SELECT coalesce(string_agg(to_jsonb(c)::text, E'\\n' ORDER BY c.id), '') FROM contacts c) ||
            (SELECT coalesce(string_agg(to_jsonb(d)::text, E'\\n' ORDER BY d.id), '') FROM departments d) ||
            (SELECT count(*)::text FROM contact_departments) || ':' || (SELECT count(*)::text FROM contact_loads) AS t`,
  );
  return rows[0]!.t;
}

/** A migrated database a first load filled, and the next day's file (a load of it would change the tables). */
async function loadedOnce(dir: string): Promise<{ pg: PostgresDatabase; csv: string; before: string }> {
  const url = await postgresDatabaseFor(`pg-stop-staging:${dir}`);
  const pg = await PostgresDatabase.connect(url, { max: 2, applicationName: "relaciones-etl" });
  await migratePostgres(pg);
  const csv = join(dir, "contacts.csv");
  writeContactsCsv(csv, 300, 3);
  await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir });
  writeContactsCsv(csv, 500, 4);
  return { pg, csv, before: await tables(pg) };
}

/** The load's work folders (`.pg-load-*`) left in `dir`. */
const workFolders = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(".pg-load-"));

/** Whether `sql` is the clean-up of the staging's temp tables (dropStaging), which runs after a stop too. */
const cleanUp = (sql: string) => /^DROP TABLE IF EXISTS temp\._/.test(sql);

test("a PostgreSQL contacts load stopped while DuckDB reads its CSV in the staging: the read_csv statement is interrupted, no staging statement runs after, nothing written, work folder gone", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-stop-staging-"));
  const run = Database.prototype.run;
  const { pg, csv, before } = await loadedOnce(dir);
  try {
    const pipe = join(dir, "read-through.pipe");
    execFileSync("mkfifo", [pipe]);
    const bytes = readFileSync(csv);
    const controller = new AbortController();
    const stop = new Error("Stopped by SIGINT");
    let readCsv: string | undefined;
    const afterStop: string[] = [];
    Database.prototype.run = async function (this: Database, sql, params) {
      if (controller.signal.aborted) afterStop.push(sql.replace(/\s+/g, " ").slice(0, 80));
      if (readCsv !== undefined || !/FROM read_csv\(/.test(sql)) return run.call(this, sql, params);
      // The staging's read of the file, through the pipe: DuckDB reads what the test writes.
      const statement = run.call(this, sql, [pipe]).then(
        () => "finished",
        (error: Error) => error.message,
      );
      const writer = await open(pipe, "w"); // opened once DuckDB opened the pipe: the statement runs
      try {
        await writer.write(bytes.subarray(0, bytes.length >> 1));
        controller.abort(stop);
        await writer.write(bytes.subarray(bytes.length >> 1));
      } finally {
        await writer.close();
      }
      readCsv = await statement;
      if (readCsv !== "finished") throw new Error(readCsv);
    } as typeof run;

    const outcome = await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir, signal: controller.signal }).then(
      () => "loaded",
      (error: unknown) => error,
    );
    assert.equal(outcome, stop, "the load ends with the stop");
    assert.match(readCsv ?? "", /^INTERRUPT Error/, "the staging's read_csv was interrupted, not run to its end");
    assert.deepEqual(afterStop.filter((sql) => !cleanUp(sql)), [], "no staging statement ran after the stop");
    assert.equal(await tables(pg), before, "nothing of the stopped load is written");
    assert.deepEqual(workFolders(dir), [], "the work folder is removed");
  } finally {
    Database.prototype.run = run;
    await pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a PostgreSQL contacts load stopped as a staging statement answers runs no further staging statement: a stop between two is heard at the next", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "pg-stop-staging-"));
  const run = Database.prototype.run;
  const { pg, csv, before } = await loadedOnce(dir);
  try {
    const controller = new AbortController();
    const stop = new Error("Stopped by SIGTERM");
    const afterStop: string[] = [];
    Database.prototype.run = async function (this: Database, sql, params) {
      if (controller.signal.aborted) afterStop.push(sql.replace(/\s+/g, " ").slice(0, 80));
      await run.call(this, sql, params);
      // DuckDB drops an interrupt that comes with no statement running: this one comes so.
      if (/FROM read_csv\(/.test(sql)) controller.abort(stop);
    } as typeof run;

    const outcome = await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir, signal: controller.signal }).then(
      () => "loaded",
      (error: unknown) => error,
    );
    assert.equal(outcome, stop, "the load ends with the stop");
    assert.deepEqual(afterStop.filter((sql) => !cleanUp(sql)), [], "no staging statement ran after the stop");
    assert.equal(await tables(pg), before, "nothing of the stopped load is written");
    assert.deepEqual(workFolders(dir), [], "the work folder is removed");
  } finally {
    Database.prototype.run = run;
    await pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
