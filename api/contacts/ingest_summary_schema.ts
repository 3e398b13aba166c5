/**
 * The answer of `POST /imports/contacts` as a schema-bearing definition, pinned at compile time to
 * `IngestSummary`, the hand-over contract's one TypeScript definition (etl/handover), so the
 * OpenAPI document and the contract cannot drift apart.
 */
import type { IngestSummary } from "../../etl/handover/mod.ts";
import { array, integer, nullable, object, string, type Infer, type Same } from "../http/json_schema.ts";

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
  rejects: array(object({ line: nullable(integer()), field: string(), reason: string(), value: nullable(string()) })),
  fixed: array(object({ line: nullable(integer()), field: string(), from: string(), to: string(), reason: string() })),
  warnings: array(string()),
});

const pinned: Same<Infer<typeof ingestSummarySchema>, IngestSummary> = true;
void pinned;
