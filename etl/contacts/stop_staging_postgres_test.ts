// A PostgreSQL contacts load stages its CSV in an in-memory DuckDB first (read_csv, validation,
// de-duplication: seconds at a million rows), and a stop that came then was not heard until the
// staging had run to its end. The stop now interrupts the DuckDB statement running and runs no
// further one. Where the stop lands is made exact, never timed: read_csv is given a named pipe fed
// by the test (scripts/testing/read_csv_pipe.ts), so the statement is provably running when the
// stop comes; or the stop comes as one staging statement answers. The load's own Database class is
// patched, as scripts/testing/stop_at.ts does. Real PostgreSQL and DuckDB; skipped with a message
// when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database, PostgresDatabase } from "../db/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { readCsvThroughPipe } from "../../scripts/testing/read_csv_pipe.ts";
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

/**
 * Runs `arm` (which patches the load's classes to abort `controller` with `stop` at its moment, and
 * returns how to put them back) over a second load of a database a first load filled, the next
 * day's file; asserts that the load ended with the stop, that no DuckDB statement but the staging's
 * clean-up ran after it, that nothing was written and that the work folder is gone.
 */
async function assertStagingStopped(arm: (controller: AbortController, stop: Error, csv: string, dir: string) => () => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pg-stop-staging-"));
  const url = await postgresDatabaseFor(`pg-stop-staging:${dir}`);
  const pg = await PostgresDatabase.connect(url, { max: 2, applicationName: "relaciones-etl" });
  const run = Database.prototype.run;
  let disarm = () => {};
  try {
    await migratePostgres(pg);
    const csv = join(dir, "contacts.csv");
    writeContactsCsv(csv, 300, 3);
    await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir });
    writeContactsCsv(csv, 500, 4);
    const before = await tables(pg);

    const controller = new AbortController();
    const stop = new Error("Stopped by SIGINT");
    disarm = arm(controller, stop, csv, dir);
    // Every DuckDB statement sent after the stop, shortened for the message.
    const afterStop: string[] = [];
    const armed = Database.prototype.run;
    Database.prototype.run = function (this: Database, sql, params) {
      if (controller.signal.aborted) afterStop.push(sql.replace(/\s+/g, " ").slice(0, 80));
      return armed.call(this, sql, params);
    } as typeof run;

    const outcome = await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir, signal: controller.signal }).then(
      () => "loaded",
      (error: unknown) => error,
    );
    assert.equal(outcome, stop, "the load ends with the stop");
    assert.deepEqual(afterStop.filter((sql) => !/^DROP TABLE IF EXISTS temp\._/.test(sql)), [], "no staging statement ran after the stop, only the clean-up");
    assert.equal(await tables(pg), before, "nothing of the stopped load is written");
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith(".pg-load-")), [], "the work folder is removed");
  } finally {
    Database.prototype.run = run;
    disarm();
    await pg.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a PostgreSQL contacts load stopped while DuckDB reads its CSV in the staging: the read_csv statement is interrupted, no staging statement runs after, nothing written, work folder gone", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  let read: ReturnType<typeof readCsvThroughPipe> | undefined;
  await assertStagingStopped((controller, stop, csv, dir) => {
    read = readCsvThroughPipe(dir, readFileSync(csv), () => controller.abort(stop));
    return read.restore;
  });
  assert.match(read?.outcome ?? "", /^INTERRUPT Error/, "the staging's read_csv was interrupted, not run to its end");
});

test("a PostgreSQL contacts load stopped as a staging statement answers runs no further staging statement: a stop between two is heard at the next", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await assertStagingStopped((controller, stop) => {
    const run = Database.prototype.run;
    Database.prototype.run = async function (this: Database, sql, params) {
      await run.call(this, sql, params);
      // DuckDB drops an interrupt that comes with no statement running: this one comes so.
      if (/FROM read_csv\(/.test(sql)) controller.abort(stop);
    } as typeof run;
    return () => (Database.prototype.run = run);
  });
});
