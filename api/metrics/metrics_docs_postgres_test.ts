// The same check as metrics_docs_test.ts, with the test server's contacts in PostgreSQL (a database
// of its own); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./metrics_docs_test.ts");
else test("README.md's metrics table on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
