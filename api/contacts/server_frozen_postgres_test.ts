// PostgreSQL that stops answering without closing its connections: a frozen server, or one cut off
// by a network partition (TCP then retransmits for ~15 min before it gives up). statement_timeout is
// the server's, so it cannot help: every contact request hung with no end, its client waiting for
// good. Now each statement of a request is bounded on the client too (PG_STATEMENT_TIMEOUT plus a
// few seconds), answered 503 with Retry-After. The freeze is real: the API reaches PostgreSQL
// through a TCP relay (scripts/testing/tcp_relay.ts) that stops passing bytes either way. Skipped without a server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";
import { tcpRelay, throughRelay } from "../../scripts/testing/tcp_relay.ts";
import { within } from "../../scripts/testing/within.ts";

/**
 * Runs `fn` against an API whose PostgreSQL it reaches through a relay the test can freeze; the
 * relay, the server and the data dir are gone afterwards.
 */
async function withRelayedServer(
  options: Omit<Parameters<typeof testServer>[1], "databaseUrl">,
  fn: (server: Awaited<ReturnType<typeof testServer>>, proxy: Awaited<ReturnType<typeof tcpRelay>>) => Promise<void>,
): Promise<void> {
  const { dir, cleanup } = tempDir();
  const direct = await postgresDatabaseFor(dir);
  const proxy = await tcpRelay(new URL(direct));
  const server = await testServer(dir, { ...options, databaseUrl: throughRelay(direct, proxy) });
  try {
    await fn(server, proxy);
  } finally {
    await proxy.close();
    await server.close().catch(() => {});
    cleanup();
  }
}

test("with PostgreSQL frozen, contact requests answer 503 with Retry-After instead of hanging", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  await withRelayedServer({ contacts: { pgStatementTimeoutMs: 1000, pgLockTimeoutMs: 500 } }, async (server, proxy) => {
    const created = await raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "A", last_name: "B", email: "a@example.org" }) });
    assert.equal(created.status, 201, created.text);
    proxy.freeze();
    const requests = [
      raw(server.url, { path: "/contacts?limit=5&q=zz" }),
      raw(server.url, { path: "/contacts/999" }),
      raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "C", last_name: "D", email: "c@example.org" }) }),
    ];
    for (const res of await within(60_000, "the requests", Promise.all(requests))) {
      assert.equal(res.status, 503, res.text);
      assert.equal(res.json().type, "/docs#problem-database-unavailable");
      assert.ok(Number(res.headers["retry-after"]) > 0);
    }
    assert.equal((await raw(server.url, { path: "/healthz" })).status, 200);
  });
});

test("with PostgreSQL frozen, a CSV download ends instead of hanging, and gives its slot back", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // Its rows come from a cursor, which the client's bound did not cover: the download waited for
  // good, holding one of the few download slots, so a few such left every download refused.
  await withRelayedServer({ contacts: { pgStatementTimeoutMs: 1000, pgLockTimeoutMs: 500, maxDownloads: 1 } }, async (server, proxy) => {
    const created = await raw(server.url, { method: "POST", path: "/contacts", headers: { "content-type": "application/json" }, body: JSON.stringify({ first_name: "A", last_name: "B", email: "a@example.org" }) });
    assert.equal(created.status, 201, created.text);
    proxy.freeze();
    // The server's log, said on stderr: each cut download logged a stack as an unexpected error.
    const said: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      said.push(String(chunk));
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stderr.write;
    try {
      // The rows cannot come: the first one is read before the answer starts (firstRowRead), so
      // it is a 503 database-unavailable, and the one slot is free again for the next, which ends
      // the same way rather than a 503 too-many-downloads. (Before, the answer was cut mid-body.)
      for (let i = 0; i < 2; i++) {
        const outcome = await within(
          60_000,
          `download ${i + 1}`,
          raw(server.url, { path: "/contacts?format=csv" }).then(
            (res) => `${res.status} ${res.text.slice(0, 80)}`,
            (error: NodeJS.ErrnoException) => `cut (${error.code ?? error.message})`,
          ),
        );
        assert.match(outcome, /^503 .*problem-database-unavailable/, `download ${i + 1}`);
      }
    } finally {
      process.stderr.write = write;
    }
    // Said as a failed request is: one line for the outage, no stack.
    const log = said.join("");
    assert.equal(log.match(/The contacts database does not answer/g)?.length, 1, log);
    assert.doesNotMatch(log, /Unexpected error|\n\s+at /, log);
  });
});

test("with PostgreSQL frozen, /metrics answers within a scrape's time, the database down, not after the statement deadline", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  // Its contacts count waited for the client-side deadline (PG_STATEMENT_TIMEOUT + 5 s, 35 s by
  // default), past Prometheus's 10 s scrape timeout: the scrape failed instead of saying the
  // database was down. Here the deadline is 65 s; the scrape must not wait for it.
  await withRelayedServer({ metricsPublic: true, contacts: { pgStatementTimeoutMs: 60_000, pgLockTimeoutMs: 500 } }, async (server, proxy) => {
    assert.match((await raw(server.url, { path: "/metrics" })).text, /^relaciones_contacts_database_up 1$/m);
    proxy.freeze();
    const metrics = await within(30_000, "/metrics", raw(server.url, { path: "/metrics" }));
    assert.equal(metrics.status, 200, metrics.text);
    assert.match(metrics.text, /^relaciones_contacts_database_up 0$/m);
    assert.doesNotMatch(metrics.text, /^relaciones_contacts \d/m);
  });
});
