/**
 * What the run routes say about themselves: data beside the handlers in runs_routes.ts.
 */
import { formatParam, type RouteDoc } from "../http/route_doc.ts";
import { runSchema, runsAnswerSchema, runViewSchema } from "./run_schemas.ts";

/** The named schemas the run answers refer to. */
export const runSchemas = { Run: runSchema.json };

/** At most this many changes are listed in one run's `change_details`. */
export const MAX_CHANGE_DETAILS = 10_000;
/** The columns of GET /runs in CSV. */
export const RUN_CSV_COLUMNS = ["id", "kind", "status", "started_at", "finished_at", "file", "version_id", "counts", "changes", "findings", "error"];

/** The docs of the run routes, by handler. */
export const runDocs = {
  runs: {
    summary: "ETL runs, newest first",
    tag: "runs",
    params: [
      { name: "kind", description: "`relationships` or `contacts`.", schema: { type: "string", enum: ["relationships", "contacts"] } },
      { name: "status", description: "`succeeded`, `skipped` or `failed`.", schema: { type: "string", enum: ["succeeded", "skipped", "failed"] } },
      { name: "limit", description: "At most this many (1..1000, default 50).", schema: { type: "integer" } },
      formatParam,
    ],
    responses: {
      "200": {
        description: `\`{ items: Run[] }\` as in etl/runs/run_record.ts. In CSV one line per run: ${RUN_CSV_COLUMNS.join(", ")} (counts and changes as \`name=value\` pairs).`,
        csv: true,
        schema: runsAnswerSchema.json,
      },
    },
  },
  run: {
    summary: "One run: status, counts, findings with cell references, and the detailed changes",
    tag: "runs",
    description: `\`change_details\` are the rows of the snapshot's \`changes\` table for this run (at most ${MAX_CHANGE_DETAILS}).`,
    params: [{ name: "id", in: "path", required: true, description: "The run id.", schema: { type: "string" } }],
    responses: { "200": { description: "The run plus `change_details`.", schema: runViewSchema.json }, "404": { description: "No such run." } },
  },
} satisfies Record<string, RouteDoc>;
