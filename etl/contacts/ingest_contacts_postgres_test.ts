// The same suite as ingest_contacts_test.ts, loading into PostgreSQL (a database of its own per
// test); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./ingest_contacts_test.ts");
else test("contacts ingestion on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
