/**
 * /runs and /runs/{id}: the ETL run log (`<data-dir>/runs.jsonl`), newest first, plus the detailed
 * changes of a relationships run from the published snapshot. The log is re-read only when its
 * size or mtime changed.
 */
import type { RunLog, RunRecord } from "../../etl/runs/mod.ts";
import { csvResponse, wantsCsv } from "../http/csv_response.ts";
import { HttpError } from "../http/http_error.ts";
import { parseLimit } from "../http/keyset.ts";
import { json } from "../http/respond.ts";
import type { Router } from "../http/router.ts";
import { formatParam, type RouteDoc } from "../http/route_doc.ts";
import type { SnapshotWatcher } from "../relationships/snapshot_watcher.ts";
import { SNAPSHOT_CHANGES_FOR_RUN } from "../relationships/snapshot_sql.ts";

const MAX_CHANGE_DETAILS = 10_000;

const RUN_CSV_COLUMNS = ["id", "kind", "status", "started_at", "finished_at", "file", "version_id", "counts", "changes", "findings", "error"];

// A run as one spreadsheet line: nested parts flattened to text (the JSON answer keeps them whole).
function flatRun(run: RunRecord): Record<string, unknown> {
  const pairs = (o: Record<string, number> | undefined) => Object.entries(o ?? {}).map(([k, v]) => `${k}=${v}`);
  return {
    id: run.id,
    kind: run.kind,
    status: run.status,
    started_at: run.started_at,
    finished_at: run.finished_at,
    file: run.file?.name ?? null,
    version_id: run.version_id ?? null,
    counts: pairs(run.counts),
    changes: pairs(run.changes),
    findings: run.findings?.length ?? 0,
    error: run.error === null || run.error === undefined ? null : `${run.error.code}: ${run.error.message}`,
  };
}

/** Adds /runs and /runs/{id}. */
export function addRunRoutes(router: Router, runs: RunLog, watcher: SnapshotWatcher): void {
  router.add(
    "GET",
    "/runs",
    async (request, ctx) => {
      const kind = ctx.query.get("kind");
      const status = ctx.query.get("status");
      const limit = parseLimit(ctx.query.get("limit"), 50, 1000);
      const items = runs
        .all()
        .filter((r) => (kind === null || kind === "" || r.kind === kind) && (status === null || status === "" || r.status === status))
        .slice(0, limit);
      if (wantsCsv(request, ctx.query)) return csvResponse(RUN_CSV_COLUMNS, items.map(flatRun), "runs.csv", { "cache-control": "no-cache" });
      return json({ items }, 200, { "cache-control": "no-cache", vary: "Accept" });
    },
    {
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
          description: `\`{ items: RunRecord[] }\` as in etl/runs.ts. In CSV one line per run: ${RUN_CSV_COLUMNS.join(", ")} (counts and changes as \`name=value\` pairs).`,
          csv: true,
        },
      },
    } satisfies RouteDoc,
  );

  router.add(
    "GET",
    "/runs/:id",
    async (_request, ctx) => {
      const id = ctx.params.id;
      const run = runs.all().find((r) => r.id === id);
      if (run === undefined) throw new HttpError(404, `No run has id '${id.slice(0, 80)}'`, { code: "not-found" });
      let changeDetails: unknown[] = [];
      const handle = watcher.current();
      if (run.kind === "relationships" && handle !== undefined) {
        changeDetails = await handle.query((db) => db.all(SNAPSHOT_CHANGES_FOR_RUN, [id, MAX_CHANGE_DETAILS])).catch(() => []);
      }
      return json({ ...run, change_details: changeDetails }, 200, { "cache-control": "no-cache" });
    },
    {
      summary: "One run: status, counts, findings with cell references, and the detailed changes",
      tag: "runs",
      description: `\`change_details\` are the rows of the snapshot's \`changes\` table for this run (at most ${MAX_CHANGE_DETAILS}).`,
      params: [{ name: "id", in: "path", required: true, description: "The run id.", schema: { type: "string" } }],
      responses: { "200": { description: "The RunRecord plus `change_details`." }, "404": { description: "No such run." } },
    } satisfies RouteDoc,
  );
}
