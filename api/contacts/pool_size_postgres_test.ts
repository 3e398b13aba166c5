// PG_POOL_SIZE: a burst of requests opens at most that many connections. The pool was a fixed 16 a
// process: on a server with a small max_connections (a provider's plan, or 100 shared by several
// API processes, analysts and loads) one busy API filled it, and psql and `npm run etl` were
// refused ("sorry, too many clients already"). Real PostgreSQL; skipped with a message when none is at hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PostgresDatabase } from "../../etl/db/mod.ts";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor, TEST_POSTGRES_URL } from "../../scripts/testing/backends.ts";

test("the API opens no more PostgreSQL connections than its pool size, however many requests come at once", { skip: POSTGRES_SKIP, timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const url = await postgresDatabaseFor(dir);
  const name = new URL(url).pathname.slice(1);
  const server = await testServer(dir, { databaseUrl: url, contacts: { pgPoolSize: 3 } });
  const admin = await PostgresDatabase.connect(TEST_POSTGRES_URL!, { max: 1 });
  try {
    for (let i = 0; i < 40; i++) {
      const res = await raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "A", last_name: `N${i}`, email: `a${i}@example.org` }) });
      assert.equal(res.status, 201, res.text);
    }
    let most = 0;
    const counting = (async () => {
      for (let i = 0; i < 40; i++) {
        const row = await admin.one<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'relaciones-api'", [name]);
        most = Math.max(most, Number(row?.n));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const burst = Array.from({ length: 60 }, (_, i) => raw(server.url, { path: i % 2 ? `/contacts?limit=5&q=n${i % 7}` : `/contacts/${(i % 40) + 1}` }));
    for (const res of await Promise.all(burst)) assert.equal(res.status, 200, res.text);
    await counting;
    assert.ok(most >= 1 && most <= 3, `${most} connections open at once`);
  } finally {
    await admin.close();
    await server.close();
    cleanup();
  }
});
