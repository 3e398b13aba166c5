// The same suite as import_failed_load_test.ts, with the test server keeping its contacts in
// PostgreSQL; skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./import_failed_load_test.ts");
else test("failed body imports on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
