// The contacts migrations on PostgreSQL, whose server stops answering in the middle of their
// transaction (frozen, or cut off by a network partition): they lifted every timeout, so `npm start`
// and `npm run migrate` waited for good at start-up, and the transaction they left held the
// migrations' advisory lock, so every other process starting waited behind it. Now they are bounded
// as a load is, on the server (statement_timeout, idle_in_transaction_session_timeout) and on the
// client, which gives up as an unavailable database; the server ends what they left, nothing of it
// is committed, and the lock goes. The freeze is real: a TCP relay that stops passing bytes. Skipped
// with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { assertGaveUp, frozenMidTransaction } from "../../scripts/testing/frozen_mid_transaction.ts";
import { until } from "../../scripts/testing/until.ts";
import { migratePostgres } from "./migrate.ts";

const MIGRATIONS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('relaciones.contacts.migrations'))";

test("migrations whose PostgreSQL stops answering mid-transaction give up, and the server ends what they left: nothing committed, the lock free", { skip: POSTGRES_SKIP, timeout: 90_000 }, async () => {
  const url = await postgresDatabaseFor(`migrate-deadline`);
  const frozen = await frozenMidTransaction(url, "relaciones-migrate");
  const owner = frozen.owner;
  try {
    // Another process migrating holds the lock; once the migrations are seen waiting for it, the
    // server is cut off and the lock let go, so the server grants it and its answer never comes back.
    assertGaveUp(await frozen.freeze(MIGRATIONS_LOCK, (pg, bounds) => migratePostgres(pg, bounds)));
    // The server ends the transaction nobody will finish, and the migrations' lock with it.
    const lockHeld = async () =>
      Number((await owner.one<{ n: number }>("SELECT count(*)::integer AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"))!.n) > 0;
    assert.equal(await lockHeld(), true, "the migrations' transaction still holds their lock when the client gives up");
    await until("the migrations' transaction ended by the server", async () => !(await lockHeld()), 30_000);
    const table = await owner.one<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    assert.equal(table?.present, false, "nothing was committed");
    // The database is whole: the migrations run through a connection that answers.
    assert.ok((await migratePostgres(owner)).length > 0);
  } finally {
    await frozen.close();
  }
});
