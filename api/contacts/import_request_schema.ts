/**
 * The JSON body of `POST /imports/contacts` as a schema-bearing definition, pinned at compile time
 * to `ImportRequest`, the hand-over contract's one TypeScript definition (etl/handover), as
 * ingest_summary_schema.ts pins its answer.
 */
import { RUN_ID_NAME, UPLOAD_NAME, type ImportRequest } from "../../etl/handover/mod.ts";
import { optional, object, string, type Infer, type Same } from "../../etl/json_schema/mod.ts";

/** `ImportRequest` (etl/handover/contract.ts). */
export const importRequestSchema = object(
  {
    upload: string({ description: "The loader's copy: a file name in the data dir's `uploads/` folder, never a path.", pattern: UPLOAD_NAME.source }),
    source_name: optional(string({ description: "The CSV's own file name, for the summary and messages; the upload's name when left out." })),
    run_id: optional(string({ description: "The loader's run id: the rejects report is written as `rejects/contacts-<run_id>.csv`.", pattern: RUN_ID_NAME.source })),
  },
  // The ETL and the API may be of different releases during an upgrade: other members are ignored.
  { open: true },
);

const pinned: Same<Infer<typeof importRequestSchema>, ImportRequest> = true;
void pinned;
