/**
 * The API's answers about runs, built from the run record's one definition in etl/runs
 * (`runSchema`, which the ETL checks its log by), and pinned at compile time to the ETL's types of
 * what they add: if either changes without the other, `npm run check` fails here.
 */
import type { ChangeRow } from "../../etl/relationships/mod.ts";
import type { RowReject } from "../../etl/handover/mod.ts";
import { runMembers, runSchema } from "../../etl/runs/mod.ts";
import { array, integer, nullable, object, optional, ref, string, type Infer, type Same } from "../../etl/json_schema/mod.ts";
import { changeRowMembers } from "../relationships/relationship_schemas.ts";

/** One row of a version's changes, as in `change_details`. */
export const changeRowSchema = object({ version_id: integer(), ...changeRowMembers });

/** `GET /runs/{id}`: the run plus, for a relationships run, the detailed changes of its version. */
export const runViewSchema = object({ ...runMembers, change_details: optional(array(changeRowSchema)) }, { open: true });

/** A run as `GET /runs/{id}` answers. */
export type RunView = Infer<typeof runViewSchema>;

/** `GET /runs`. */
export const runsAnswerSchema = object({ items: array(ref("Run", runSchema)), next_cursor: nullable(string({ description: "The `cursor` of the next page; null on the last." })) });

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
const changePinned: Same<Omit<Infer<typeof changeRowSchema>, "version_id">, ChangeRow> = true;
const rejectPinned: Same<Infer<typeof rejectSchema>, RowReject> = true;
void changePinned;
void rejectPinned;
