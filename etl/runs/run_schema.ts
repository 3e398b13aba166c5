/**
 * The run record's shape written once as a schema-bearing definition (etl/json_schema), pinned at
 * compile time to its TypeScript interfaces (run_record.ts): if either changes without the other,
 * `npm run check` fails here. run_log.ts checks each log line by it before taking it for a run;
 * the API's `/runs` schemas and OpenAPI document are built from it (api/runs/run_schemas.ts).
 */
import { array, integer, mapOf, nullable, object, oneOf, optional, string, type Infer, type Same } from "../json_schema/mod.ts";
import { RUN_KINDS, RUN_STATUSES, SEVERITIES, type Finding, type RunRecord } from "./run_record.ts";

/** A quality finding, in a run record and in a published snapshot (`GET /findings`). */
export const findingSchema = object({
  check: string({ description: "The check's code name, e.g. `asymmetric_pair`." }),
  severity: oneOf(SEVERITIES),
  message: string(),
  cells: array(string(), { description: "Cell references like `'Matriz de adyacencia'!F5` (capped at 50), or `contacts.csv:12` lines." }),
  count: optional(integer({ description: "How many cells or lines in all." })),
  values: optional(array(nullable(string()), {
    description: "What each of `cells` holds, in the same order (null where none was kept), for the checks that keep it: both codes of each letter code disagreement (`code_mismatch_matrix`, `code_mismatch_list`: the code each of the two cells holds). Absent for a finding that keeps none, and in findings recorded before it existed: run records (`/runs`) of older loads, and `/findings` of a published file older than schema version 5. In CSV, joined with `; ` like `cells`.",
  })),
});

/** The members of a run record, for definitions that add to it (the API's `GET /runs/{id}` answer). */
export const runMembers = {
  id: string({ description: "Sorts by time, e.g. `20261129T095045123Z-3f9a`." }),
  kind: oneOf(RUN_KINDS),
  status: oneOf(RUN_STATUSES),
  started_at: string({ format: "date-time" }),
  finished_at: string({ format: "date-time" }),
  file: nullable(object({ name: string(), path: string(), size: integer(), sha256: string() })),
  counts: mapOf(integer(), { description: "Kind-specific, e.g. `{ actors: 50, pairs: 120 }` or `{ inserted: 3, rejected: 1 }`." }),
  findings: array(findingSchema),
  changes: mapOf(integer(), { description: "What changed against the previous version, e.g. `{ pairs_added: 2 }`." }),
  error: nullable(object({ code: string(), message: string() })),
  version_id: optional(nullable(integer({ description: "The published version this run produced (relationships)." }))),
  compared_with: optional(nullable(integer({ description: "The version `changes` are counted against, the one live before; null when none could be read (the first version, or `history_unavailable`)." }))),
  restored_from: optional(integer({ description: "A restore (`npm run etl -- --restore V`): the version whose data `version_id` publishes again." })),
  parquet: optional(
    object(
      {
        status: oneOf(["written", "failed"]),
        dir: string(),
        versions: array(integer(), { description: "Versions whose files this run wrote (the published one, and earlier ones that were missing)." }),
        files: integer(),
        error: optional(object({ code: string(), message: string() })),
      },
      { description: "The Parquet copy of the published version (absent when PARQUET_DIR=off); a failure never fails the load." },
    ),
  ),
  kept: optional(
    object(
      {
        versions: array(integer(), { description: "Versions that can be restored, oldest first." }),
        pruned: array(integer(), { description: "Versions deleted under KEEP_VERSIONS by this run." }),
        error: optional(object({ code: string(), message: string() })),
      },
      { description: "The snapshots kept for `--restore` after this run published." },
    ),
  ),
  alert: optional(
    object(
      {
        status: oneOf(["sent", "failed"]),
        attempts: integer({ description: "POSTs made, retries included." }),
        at: string({ format: "date-time", description: "When the last attempt ended." }),
        http_status: optional(integer({ description: "The HTTP status of the last answer, when there was one." })),
        error: optional(object({ code: string(), message: string({ description: "Why it failed; never holds the webhook's URL." }) })),
        id: optional(string({ description: "The alert's id: its `Idempotency-Key` header and its body's `id`, the same on every attempt (absent in runs recorded before it was sent)." })),
      },
      { description: "What became of the alert about this run (ALERT_WEBHOOK_URL), when one was due; absent while it is being sent and when none was due." },
    ),
  ),
};

/** One run of the ETL. Open: older log lines may carry fields since dropped. */
export const runSchema = object(runMembers, { open: true });

// Compile-time pins: the definitions above and the interfaces of run_record.ts describe the same values.
const runPinned: Same<Infer<typeof runSchema>, RunRecord> = true;
const findingPinned: Same<Infer<typeof findingSchema>, Finding> = true;
void runPinned;
void findingPinned;
