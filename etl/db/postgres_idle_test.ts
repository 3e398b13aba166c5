// A pool gives its idle connections back to the server. Without it an API process kept every
// connection a burst opened (16) for good: two processes after one second of traffic held all 17
// slots of a server with max_connections 20, and `npm run etl` and analysts were refused ("remaining
// connection slots are reserved") until an API restarted. Real PostgreSQL; skipped without one.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as db from "./postgres.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";

test("connections a burst opened are closed once idle", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const url = await postgresDatabaseFor("idle-pool");
  const name = `idle-test-${process.pid}`;
  const pg = await db.PostgresDatabase.connect(url, { max: 4, applicationName: name });
  const admin = await db.PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  const open = async () => Number((await admin.one<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [name]))!.n);
  try {
    await Promise.all(Array.from({ length: 4 }, () => pg.run("SELECT pg_sleep(0.3)")));
    assert.equal(await open(), 4, "the burst opened the whole pool");
    const idleS = (db as { POSTGRES_IDLE_TIMEOUT_S?: number }).POSTGRES_IDLE_TIMEOUT_S ?? 10;
    assert.ok(idleS <= 60, "a timeout an operator would notice");
    const deadline = Date.now() + (idleS + 5) * 1000;
    while ((await open()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal(await open(), 0, `idle connections still open ${idleS + 5} s after the burst`);
    assert.deepEqual(await pg.all("SELECT 1 AS one"), [{ one: 1 }], "the pool connects again when needed");
  } finally {
    await pg.close();
    await admin.close();
  }
});
