/**
 * The run record as the API answers with it, written once as a schema-bearing definition and
 * pinned at compile time to its TypeScript definition in etl/runs (which the ETL writes with): if
 * either changes without the other, `npm run check` fails here.
 */
import type { ChangeRow } from "../../etl/relationships/mod.ts";
import type { RowReject } from "../../etl/handover/mod.ts";
import { RUN_KINDS, RUN_STATUSES, type RunRecord } from "../../etl/runs/mod.ts";
import { array, integer, mapOf, nullable, object, oneOf, optional, ref, string, type Infer, type Same } from "../http/json_schema.ts";
import { changeRowMembers, findingSchema } from "../relationships/relationship_schemas.ts";

const runMembers = {
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
};

/** One run of the ETL (etl/runs/run_record.ts). Open: older log lines may carry fields since dropped. */
export const runSchema = object(runMembers, { open: true });

/** One row of a version's changes, as in `change_details`. */
export const changeRowSchema = object({ version_id: integer(), ...changeRowMembers });

/** `GET /runs/{id}`: the run plus, for a relationships run, the detailed changes of its version. */
export const runViewSchema = object({ ...runMembers, change_details: optional(array(changeRowSchema)) }, { open: true });

/** A run as `GET /runs/{id}` answers. */
export type RunView = Infer<typeof runViewSchema>;

/** `GET /runs`. */
export const runsAnswerSchema = object({ items: array(ref("Run", runSchema)) });

/** One rejected CSV value of a contacts run: a row of its rejects file (the hand-over's `RowReject`). */
export const rejectSchema = object({
  line: nullable(integer({ description: "The physical line of the CSV, 1-based; null when it could not be told." })),
  field: string({ description: "The column at fault, or `*` for a row that could not be read at all." }),
  reason: string(),
  value: nullable(string({ description: "The value as the rejects file holds it (text starting with `=`, `+`, `-` or `@` keeps a leading `'`); null when empty." })),
});

/** `GET /runs/{id}/rejects`: the first rejects of a contacts run and where the whole file is. */
export const rejectsAnswerSchema = object({
  run_id: string(),
  total: integer({ description: "Rejects in the file, one per invalid field of a row (the run's `counts.rejected` counts rows)." }),
  items: array(ref("Reject", rejectSchema)),
  download: string({ format: "uri-reference", description: "The whole file as CSV: `/runs/{id}/rejects.csv`." }),
});

/** What `GET /runs/{id}/rejects` answers. */
export type RejectsAnswer = Infer<typeof rejectsAnswerSchema>;

// Compile-time pins: the definitions above and the ETL's types describe the same values.
const runPinned: Same<Infer<typeof runSchema>, RunRecord> = true;
const changePinned: Same<Omit<Infer<typeof changeRowSchema>, "version_id">, ChangeRow> = true;
const rejectPinned: Same<Infer<typeof rejectSchema>, RowReject> = true;
void runPinned;
void changePinned;
void rejectPinned;
