// A stop that reaches a PostgreSQL contacts load between two of its statements: the cancel it sends
// finds nothing running on the server and is dropped, and the load used to go on to its next
// statement, which then waited out another session's lock (lock_timeout, 5 min by default) before
// the stop was heard. Each statement now looks at the signal first, and the cancel is sent again
// while one runs. The moment is made exact by aborting as one statement answers: the session the
// load opens is wrapped, as scripts/testing/stop_at.ts patches a load's classes. Real PostgreSQL;
// skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { PostgresDatabase } from "../db/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { writeContactsCsv } from "../../scripts/testing/contacts_csv.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { migratePostgres } from "./migrate.ts";

type Session = Parameters<Parameters<PostgresDatabase["session"]>[0]>[0];

for (const after of ["ANALYZE _p", "BEGIN"]) {
  test(`a PostgreSQL contacts load stopped just as its '${after}' answers stops while another session still holds its lock, and writes nothing`, { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "pg-stop-between-"));
    const url = await postgresDatabaseFor(`pg-stop-between:${dir}`);
    const pg = await PostgresDatabase.connect(url, { max: 2, applicationName: "relaciones-etl" });
    const holder = await PostgresDatabase.connect(url, { max: 2, applicationName: "psql-left-open" });
    const session = PostgresDatabase.prototype.session;
    try {
      await migratePostgres(pg);
      const csv = join(dir, "contacts.csv");
      writeContactsCsv(csv, 300, 3);
      await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir });
      const count = async () => Number((await holder.one<{ n: number }>("SELECT count(*)::integer AS n FROM contacts"))!.n);
      const before = await count();
      writeContactsCsv(csv, 500, 4);

      const controller = new AbortController();
      let armed = true;
      PostgresDatabase.prototype.session = function <T>(this: PostgresDatabase, fn: (s: Session) => Promise<T>, options?: { deadlineMs?: number }) {
        return session.call(this, (s) =>
          fn({
            ...s,
            run: async (sql: string, params?: readonly unknown[]) => {
              await s.run(sql, params);
              if (armed && sql.startsWith(after)) {
                armed = false;
                controller.abort(new Error("Stopped by SIGINT"));
                // The load's next statement goes once the cancel the abort sent has had time to
                // reach a server with nothing to cancel. Only how surely the old code is caught
                // depends on this pause, not whether the code as it is passes.
                await delay(300);
              }
            },
          }),
          options,
        ) as Promise<T>;
      } as typeof session;
      // Released once the load has ended; at the latest after 60 s, so that a load waiting for it
      // ends too and the test fails on what it asserts rather than on its timeout.
      const lock = await holdLock(holder, "LOCK TABLE contacts IN SHARE MODE", { releaseAfterMs: 60_000 });
      const outcome = await ingestContactsPostgres(pg, csv, { sourceName: "contacts.csv", workDir: dir, signal: controller.signal, lockWaitMs: 90_000, onLockWait: () => {} }).then(
        () => "loaded",
        (error: Error) => error.message,
      );
      const stillHeld = await holder.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_locks WHERE pid = $1 AND relation = 'contacts'::regclass AND granted", [lock.pid]);
      await lock.release();
      assert.equal(armed, false, `the load ran '${after}'`);
      assert.equal(outcome, "Stopped by SIGINT");
      assert.equal(Number(stillHeld!.n), 1, "the load ended while the other session still held its lock");
      assert.equal(await count(), before, "nothing of the stopped load is written");
    } finally {
      PostgresDatabase.prototype.session = session;
      await holder.close();
      await pg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
