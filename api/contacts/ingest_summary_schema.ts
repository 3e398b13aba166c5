/**
 * The answer of `POST /imports/contacts` as a schema-bearing definition, pinned at compile time to
 * `IngestSummary`, the hand-over contract's one TypeScript definition (etl/handover), so the
 * OpenAPI document and the contract cannot drift apart.
 */
import type { IngestSummary } from "../../etl/handover/mod.ts";
import { array, integer, nullable, object, optional, string, type Infer, type Same } from "../../etl/json_schema/mod.ts";

const fieldTally = object({
  field: string({ description: "The field (`*` for a row that could not be parsed)." }),
  count: integer({ description: "Lines concerned." }),
  lines: array(nullable(integer()), { description: "The first 50 of those lines, in order." }),
  first_reason: string(),
});

/** `IngestSummary` (etl/handover/contract.ts). */
export const ingestSummarySchema = object({
  source: string({ description: "File name used in messages and line references." }),
  rows: integer({ description: "Data rows in the file (blank lines excluded)." }),
  contacts: integer({ description: "Distinct people among the accepted rows." }),
  inserted: integer(),
  updated: integer(),
  unchanged: integer(),
  rejected: integer({ description: "Rejected rows (a row with three bad fields counts once)." }),
  fixes: integer({ description: "Repaired values (one per field per row)." }),
  departments: integer(),
  departments_added: integer(),
  links: integer(),
  links_added: integer(),
  rejects: array(object({ line: nullable(integer()), field: string(), reason: string(), value: nullable(string()) }), { description: "The first 100 rejects, by line." }),
  fixed: array(object({ line: nullable(integer()), field: string(), from: string(), to: string(), reason: string() }), { description: "The first 100 repairs, by line." }),
  rejects_by_field: array(fieldTally, { description: "Rejects of each field, counted in the database however many there are." }),
  fixes_by_field: array(fieldTally, { description: "Repairs of each field, counted the same way." }),
  rejects_file: nullable(string({ description: "The rejects report written (every reject), or null when none. A skipped import (`unchanged_since`) has the report of the load it repeats, linked under its own run's name." })),
  warnings: array(string()),
  run_id: optional(string({ description: "The run this import is recorded as (`GET /runs/{id}`; every reject at `/runs/{id}/rejects.csv`): the API's own for a CSV sent as the body, the loader's for an upload it named with a `run_id`." })),
  unchanged_since: optional(string({ description: "Set when the file is byte for byte the one last loaded and the tables are as that load left them: nothing was read or written." })),
});

const pinned: Same<Infer<typeof ingestSummarySchema>, IngestSummary> = true;
void pinned;
