// The same comparison as load_paths_test.ts, with the PostgreSQL load (DATABASE_URL) as a third
// path (a database of its own per data dir); skipped with a message when no PostgreSQL is at hand.
import { test } from "node:test";
import { POSTGRES_SKIP, usePostgres } from "../../scripts/testing/backends.ts";

if (usePostgres()) await import("./load_paths_test.ts");
else test("every load path, PostgreSQL's too", { skip: POSTGRES_SKIP }, () => {});
