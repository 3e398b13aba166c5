import { test } from "node:test";
import assert from "node:assert/strict";
import { POSTGRES_SKIP } from "./backends.ts";
import { stressContacts } from "./stress_contacts.ts";

// Short runs: what they check is correctness under colliding requests (no 5xx, no key answered with
// two contacts, no stale read after a write, consistent tables), never how many requests fit.
test("the stress driver finds nothing wrong with the contacts API on DuckDB (one server, idle trims between bursts)", { timeout: 120_000 }, async () => {
  const summary = await stressContacts({ seconds: 3, clients: 8, backend: "duckdb" });
  assert.deepEqual(summary.failures, []);
  assert.ok((summary.statuses["POST 201"] ?? 0) > 0, `no contact was created: ${JSON.stringify(summary.statuses)}`);
});

test("the stress driver finds nothing wrong with two API servers on one PostgreSQL database", { skip: POSTGRES_SKIP, timeout: 120_000 }, async () => {
  const summary = await stressContacts({ seconds: 3, clients: 8, backend: "postgres" });
  assert.deepEqual(summary.failures, []);
  assert.ok((summary.statuses["POST 201"] ?? 0) > 0, `no contact was created: ${JSON.stringify(summary.statuses)}`);
});
