// PostgreSQL that stops answering without closing its connections: a frozen server, or one cut off
// by a network partition (TCP then retransmits for ~15 min before it gives up). statement_timeout is
// the server's, so it cannot help: every contact request hung with no end, its client waiting for
// good. Now each statement of a request is bounded on the client too (PG_STATEMENT_TIMEOUT plus a
// few seconds), answered 503 with Retry-After. The freeze is real: the API reaches PostgreSQL
// through a TCP relay in this file that stops passing bytes either way. Skipped without a server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { raw, tempDir, testServer } from "../../scripts/testing/api_server.ts";
import { POSTGRES_SKIP, postgresDatabaseFor } from "../../scripts/testing/backends.ts";

/** A TCP relay to `target` that can stop passing bytes (both ways) while keeping every connection open. */
async function relay(target: URL): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (d) => void (frozen || upstream.write(d)));
    upstream.on("data", (d) => void (frozen || client.write(d)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

test("with PostgreSQL frozen, contact requests answer 503 with Retry-After instead of hanging", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const direct = new URL(await postgresDatabaseFor(dir));
  const proxy = await relay(direct);
  const url = new URL(direct);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  const server = await testServer(dir, { databaseUrl: url.toString(), contacts: { pgStatementTimeoutMs: 1000, pgLockTimeoutMs: 500 } });
  try {
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
  } finally {
    await proxy.close();
    await server.close().catch(() => {});
    cleanup();
  }
});
