// The same suite as import_stream_test.ts, with the test server keeping its contacts in
// PostgreSQL; skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./import_stream_test.ts");
else test("streamed body imports on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
