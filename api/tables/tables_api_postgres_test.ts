// The same suite as tables_api_test.ts, with every test server keeping its tables in PostgreSQL
// (a database of its own per data dir); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./tables_api_test.ts");
else test("plain tables API on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
