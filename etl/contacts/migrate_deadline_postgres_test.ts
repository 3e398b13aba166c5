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
import { CLIENT_GRACE_MS, isDatabaseUnavailable, PostgresDatabase } from "../db/mod.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { holdLock } from "../../scripts/testing/pg_lock.ts";
import { tcpRelay, throughRelay } from "../../scripts/testing/tcp_relay.ts";
import { until } from "../../scripts/testing/until.ts";
import { migratePostgres } from "./migrate.ts";

const MIGRATIONS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('relaciones.contacts.migrations'))";

test("migrations whose PostgreSQL stops answering mid-transaction give up, and the server ends what they left: nothing committed, the lock free", { skip: POSTGRES_SKIP, timeout: 90_000 }, async () => {
  const url = await postgresDatabaseFor(`migrate-deadline`);
  const owner = await PostgresDatabase.connect(url, { max: 1 });
  const holder = await PostgresDatabase.connect(url, { max: 1 });
  const relay = await tcpRelay(new URL(url));
  // Two: the migrations' transaction, and the look-up of who holds the lock it waits for.
  const pg = await PostgresDatabase.connect(throughRelay(url, relay), { max: 2, applicationName: "relaciones-migrate" });
  let release = () => {};
  try {
    // Another process migrating holds the lock; once the migrations are seen waiting for it, the
    // server is cut off and the lock let go, so the server grants it and its answer never comes back.
    const held = await holdLock(holder, MIGRATIONS_LOCK);
    release = held.release;
    const failed = await migratePostgres(pg, {
      lockWaitMs: 60_000,
      lockProgressMs: 50,
      onLockWait: () => {
        relay.freeze();
        release();
      },
      statementTimeoutMs: 1000,
      // Longer than the client's deadline: the relay passes on the server closing the connection.
      idleInTransactionMs: 8000,
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    assert.equal(failed?.code, "QUERY_TIMEOUT", failed?.message);
    assert.equal(failed!.message, `PostgreSQL did not answer within ${(1000 + CLIENT_GRACE_MS) / 1000} s`);
    assert.equal(isDatabaseUnavailable(failed), true, "reported as an unavailable database");
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
    release();
    await relay.close();
    await pg.close().catch(() => {});
    await holder.close();
    await owner.close();
  }
});
