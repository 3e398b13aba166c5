// A contacts load on PostgreSQL whose server stops answering in the middle of its transaction (a
// frozen server, or one cut off by a network partition: TCP then retransmits for ~15 min, or for ever
// to a stopped process that still acknowledges): the load's session lifted every timeout, so
// `npm run etl`, and the API's daily load with it, waited for good. Now each statement of a load is
// bounded, on the server (statement_timeout, idle_in_transaction_session_timeout) and on the client,
// which gives up as an unavailable database; the transaction it left is ended by the server, nothing
// of it is committed, and its locks go. The freeze is real: the load reaches PostgreSQL through a TCP
// relay that stops passing bytes. Skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { assertGaveUp, frozenMidTransaction } from "../../scripts/testing/frozen_mid_transaction.ts";
import { until } from "../../scripts/testing/until.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { migratePostgres } from "./migrate.ts";

test("a PostgreSQL load whose server stops answering mid-transaction gives up, and the server ends what it left: nothing committed, no lock held", { skip: POSTGRES_SKIP, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "load-deadline-"));
  const url = await postgresDatabaseFor(`load-deadline:${dir}`);
  const frozen = await frozenMidTransaction(url, "relaciones-etl");
  const owner = frozen.owner;
  try {
    await migratePostgres(owner);
    const csv = join(dir, "contacts.csv");
    writeFileSync(csv, "first_name,last_name,email\nAna,Ruiz,ana@example.org\nBea,Soto,bea@example.org\n");
    // The load's writes wait for this lock; once the load is seen waiting, the server is cut off and
    // the lock let go, so the write goes through on the server and its answer never comes back.
    assertGaveUp(await frozen.freeze("LOCK TABLE contacts IN SHARE MODE", (pg, bounds) => ingestContactsPostgres(pg, csv, bounds)));
    // The server ends the transaction nobody will finish: the table is free again, and empty.
    const locksOnContacts = async () =>
      Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_locks WHERE relation = 'contacts'::regclass AND pid <> pg_backend_pid()"))!.n);
    assert.ok((await locksOnContacts()) > 0, "the load's transaction still holds its locks when the client gives up");
    await until("the load's transaction ended by the server", async () => (await locksOnContacts()) === 0, 30_000);
    assert.equal(Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM contacts"))!.n), 0, "nothing was committed");
    // The database is whole: the same file loads through a connection that answers.
    const loaded = await ingestContactsPostgres(owner, csv, { statementTimeoutMs: 10_000 });
    assert.equal(loaded.inserted, 2);
  } finally {
    await frozen.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
