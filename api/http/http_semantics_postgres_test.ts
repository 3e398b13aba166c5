// The same suite as http_semantics_test.ts, with every test server keeping its contacts in PostgreSQL
// (a database of its own per data dir); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./http_semantics_test.ts");
else test("HTTP semantics on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
