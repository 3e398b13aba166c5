// The same suite as openapi_contract_test.ts, with every test server keeping its contacts in PostgreSQL
// (a database of its own per data dir); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./openapi_contract_test.ts");
else test("the OpenAPI contract on PostgreSQL", { skip: POSTGRES_SKIP }, () => {});
