/**
 * What the run routes say about themselves: data beside the handlers in runs_routes.ts.
 */
import { formatParam, pagedFormatParam, pagingParams, type ParamDoc, type RouteDoc } from "../http/route_doc.ts";
import { rejectSchema, rejectsAnswerSchema, runsAnswerSchema, runViewSchema } from "./run_schemas.ts";
import { RUN_KINDS, RUN_STATUSES, runSchema } from "../../etl/runs/mod.ts";

/** The rejects list takes `limit` but no cursor, and its CSV is every row. */
const formatIgnoringLimit: ParamDoc = { ...formatParam, description: `${formatParam.description} limit is then ignored.` };

/** The named schemas the run answers refer to. */
export const runSchemas = { Run: runSchema.json, Reject: rejectSchema.json };

/** The most rejects `GET /runs/{id}/rejects` lists in one answer (the CSV has them all). */
export const MAX_REJECTS = 1000;

/** At most this many changes are listed in one run's `change_details`. */
export const MAX_CHANGE_DETAILS = 10_000;
/** The columns of GET /runs in CSV. */
export const RUN_CSV_COLUMNS = ["id", "kind", "status", "started_at", "finished_at", "file", "version_id", "counts", "changes", "findings", "error"];

/** What both rejects routes take and answer when there is nothing to give. */
const contactsRunId = { name: "id", in: "path", required: true, description: "The run id (a contacts run).", schema: { type: "string" } } as const;
const noRejects = { description: "No such run (`not-found`), or not a contacts run, one that rejected nothing, or one whose rejects file is gone (`no-rejects`)." };
/** What every run route answers when runs.jsonl cannot be read. */
const runsUnreadable = { description: "The run log `runs.jsonl` cannot be read (`runs-unreadable`): another user's file with mode 0600, an I/O error; not an empty list." };


/** The docs of the run routes, by handler. */
export const runDocs = {
  runs: {
    summary: "ETL runs, newest first",
    tag: "runs",
    params: [
      { name: "kind", description: "`relationships` or `contacts`; another value is a 400.", schema: { type: "string", enum: [...RUN_KINDS] } },
      { name: "status", description: "`succeeded`, `skipped` or `failed`; another value is a 400.", schema: { type: "string", enum: [...RUN_STATUSES] } },
      {
        name: "since",
        description: "Only runs started at or after this instant: an RFC 3339 date-time (`2026-03-03T08:00:00Z`, `2026-03-03T09:00:00+01:00`; UTC when it has no offset, as `/changes` reads it) or a date (`2026-03-03`: its start, UTC). Another value, or a date that does not exist, is a 400.",
        schema: { type: "string", examples: ["2026-03-03T00:00:00Z"] },
      },
      { name: "until", description: "Only runs started before this instant (exclusive, so `since`/`until` windows that meet do not overlap); as `since`, which must be earlier.", schema: { type: "string", examples: ["2026-03-04"] } },
      ...pagingParams(1000, 50),
      pagedFormatParam,
    ],
    responses: {
      "200": {
        description: `\`{ items: Run[], next_cursor }\` as in etl/runs/run_record.ts, newest first (the order of runs.jsonl), a page at a time: \`next_cursor\` (also the Link rel="next" header) continues after the page's last run, null on the last page. In CSV every matching run, one line each: ${RUN_CSV_COLUMNS.join(", ")} (counts and changes as \`name=value\` pairs).`,
        csv: true,
        schema: runsAnswerSchema.json,
      },
      "400": { description: "An unknown parameter or one given twice, a `kind` or `status` that is not one of the values, a `since` or `until` that is no RFC 3339 date-time or date, `since` not before `until`, a bad limit or format (`bad-parameter`); a cursor this list did not issue, or of a run the log no longer has (`bad-cursor`). CSV ignores limit and cursor." },
      "503": runsUnreadable,
    },
  },
  run: {
    summary: "One run: status, counts, findings with cell references, and the detailed changes",
    tag: "runs",
    description: `\`change_details\` are the rows of the snapshot's \`changes\` table for this run (at most ${MAX_CHANGE_DETAILS}).`,
    params: [{ name: "id", in: "path", required: true, description: "The run id.", schema: { type: "string" } }],
    responses: { "200": { description: "The run plus `change_details`.", schema: runViewSchema.json }, "404": { description: "No such run." }, "503": runsUnreadable },
  },
  rejects: {
    summary: "The rows a contacts run refused: line, field, reason, value",
    tag: "runs",
    description:
      "The first rows of the run's rejects file (`<data dir>/rejects/contacts-<run id>.csv`), for a screen; `download` is the whole file. " +
      "`Accept: text/csv` or `format=csv` answers the file itself, as `/runs/{id}/rejects.csv` does.",
    params: [
      contactsRunId,
      { name: "limit", description: `At most this many rejects (1..${MAX_REJECTS}, default 100).`, schema: { type: "integer", minimum: 1, maximum: MAX_REJECTS } },
      formatIgnoringLimit,
    ],
    responses: {
      "200": { description: "`{ run_id, total, items: Reject[], download }`; in CSV, the file.", schema: rejectsAnswerSchema.json, csv: true },
      "400": { description: "An unknown parameter or one given twice, a `limit` that is not an integer in range (JSON only: the CSV ignores it) or a bad format (`bad-parameter`)." },
      "404": noRejects,
      "503": runsUnreadable,
    },
  },
  rejectsCsv: {
    summary: "Download the rejects file of a contacts run",
    tag: "runs",
    description: "`line,field,reason,value`, one line per invalid field of a refused row (a row with two bad fields has two), as the load wrote it.",
    params: [contactsRunId],
    responses: {
      "200": { description: "The CSV file (`Content-Disposition: attachment`).", csv: true },
      "404": noRejects,
      "503": runsUnreadable,
    },
  },
} satisfies Record<string, RouteDoc>;
