/**
 * /runs and /runs/{id}: the ETL run log (`<data-dir>/runs.jsonl`), newest first, plus the detailed
 * changes of a relationships run from the published snapshot, and the rejects file of a contacts
 * run (`/runs/{id}/rejects`, `/runs/{id}/rejects.csv`). The log is read again only when it changed,
 * and then only what was appended (RunLog).
 */
import { Readable } from "node:stream";
import { RUN_KINDS, RUN_STATUSES, type RunLog, type RunRecord } from "../../etl/runs/mod.ts";
import { csvResponse, wantsCsv } from "../http/csv_response.ts";
import { HttpError } from "../http/http_error.ts";
import { instantParam } from "../http/instant_param.ts";
import { encodeCursor, pageQuery, parseLimit, textKey } from "../http/keyset.ts";
import { linkNext } from "../http/link_header.ts";
import { json } from "../http/respond.ts";
import type { Router } from "../http/router.ts";
import { MAX_CHANGE_DETAILS, MAX_REJECTS, RUN_CSV_COLUMNS, runDocs } from "./runs_docs.ts";
import type { RejectsAnswer } from "./run_schemas.ts";
import { openRejects, readRejects, RejectTotals } from "./rejects_file.ts";
import type { SnapshotWatcher } from "../relationships/snapshot_watcher.ts";
import { SNAPSHOT_CHANGES_FOR_RUN } from "../relationships/snapshot_sql.ts";

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

export type { RunView } from "./run_schemas.ts";

/** A filter value from `values`, or null when absent (or empty: App.handle() drops it); anything else is a 400 (a typo must not read as "no runs"). */
function oneOfOrNull(value: string | null, name: string, values: readonly string[]): string | null {
  if (value === null) return null;
  if (!values.includes(value)) throw new HttpError(400, `${name} must be one of ${values.join(", ")}; got '${value.slice(0, 40)}'`, { code: "bad-parameter" });
  return value;
}

const msAtOrAfter = (micros: number | null) => (micros === null ? null : Math.ceil(micros / 1000));

/**
 * Every run, newest first, or a 503 `runs-unreadable` when runs.jsonl cannot be read (written by
 * another user with mode 0600, an I/O error): not an opaque 500, and not an empty list, which would
 * read as no runs. The file is named as in the data dir, the server's path left out.
 */
function allRuns(runs: RunLog): RunRecord[] {
  try {
    return runs.all();
  } catch (error) {
    // "EACCES: permission denied, open '/srv/data/runs.jsonl'": the cause, without the path.
    const why = error instanceof Error ? error.message.split(",")[0] : String(error);
    throw new HttpError(503, `The run log (runs.jsonl) cannot be read: ${why}; check its owner and permissions in the data dir`, {
      code: "runs-unreadable",
      headers: { "retry-after": "30" },
    });
  }
}

/** Adds /runs and /runs/{id}. */
export function addRunRoutes(router: Router, runs: RunLog, watcher: SnapshotWatcher): void {
  router.add(
    "GET",
    "/runs",
    async (request, ctx) => {
      const kind = oneOfOrNull(ctx.query.get("kind"), "kind", RUN_KINDS);
      const status = oneOfOrNull(ctx.query.get("status"), "status", RUN_STATUSES);
      // In ms, rounded up: a run's start has ms, and for whole r, r >= s and r < u are r >= ceil(s), r < ceil(u).
      const since = msAtOrAfter(instantParam(ctx.query, "since"));
      const until = msAtOrAfter(instantParam(ctx.query, "until"));
      if (since !== null && until !== null && since >= until) {
        throw new HttpError(400, `since must be before until (runs started at or after since and before until); got since=${ctx.query.get("since")} and until=${ctx.query.get("until")}`, { code: "bad-parameter" });
      }
      const started = (r: RunRecord) => Date.parse(r.started_at);
      const keep = (r: RunRecord) =>
        (kind === null || r.kind === kind) && (status === null || r.status === status) && (since === null || started(r) >= since) && (until === null || started(r) < until);
      const all = allRuns(runs);
      // CSV is every matching row, limit and cursor ignored (not even checked), as the README and the format parameter say.
      if (wantsCsv(request, ctx.query)) return csvResponse(RUN_CSV_COLUMNS, all.filter(keep).map(flatRun), "runs.csv", { "cache-control": "no-cache" });
      const { limit, after } = pageQuery(ctx.query, "runs", 50, 1000, textKey);
      // The cursor is the last run sent (its id); the log only grows, so the next page is the runs after it.
      let start = 0;
      if (after !== undefined) {
        start = all.findIndex((r) => r.id === after[0]) + 1;
        if (start === 0) throw new HttpError(400, "The cursor names a run the log no longer has (runs.jsonl was replaced); start again without it", { code: "bad-cursor" });
      }
      const items: RunRecord[] = [];
      let i = start;
      for (; i < all.length && items.length <= limit; i++) if (keep(all[i])) items.push(all[i]);
      const last = items.length > limit ? items[limit - 1] : undefined;
      const next = last === undefined ? null : encodeCursor("runs", [last.id, 0]);
      const headers: Record<string, string> = { "cache-control": "no-cache", vary: "Accept" };
      if (next !== null) headers.link = linkNext(ctx, next);
      return json({ items: items.slice(0, limit), next_cursor: next }, 200, headers);
    },
    runDocs.runs,
  );

  router.add(
    "GET",
    "/runs/:id",
    async (_request, ctx) => {
      const id = ctx.params.id;
      const run = allRuns(runs).find((r) => r.id === id);
      if (run === undefined) throw new HttpError(404, `No run has id '${id.slice(0, 80)}'`, { code: "not-found" });
      let changeDetails: unknown[] = [];
      const handle = watcher.current();
      if (run.kind === "relationships" && handle !== undefined) {
        changeDetails = await handle.query((db) => db.all(SNAPSHOT_CHANGES_FOR_RUN, [id, MAX_CHANGE_DETAILS])).catch(() => []);
      }
      return json({ ...run, change_details: changeDetails }, 200, { "cache-control": "no-cache" });
    },
    runDocs.run,
  );

  // Each rejects file is counted once (the dashboard asks for its total on every refresh).
  const rejectTotals = new RejectTotals();

  // The file as the load wrote it, streamed: a download link, and what CSV clients ask for.
  const rejectsFile = async (id: string): Promise<Response> => {
    const handle = await openRejects(runs.dataDir, allRuns(runs), id);
    const body = Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>;
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="contacts-${id}-rejects.csv"`,
        // The file of a run never changes, but a browser need not keep it: it is personal data.
        "cache-control": "no-store",
      },
    });
  };

  router.add(
    "GET",
    "/runs/:id/rejects",
    async (request, ctx) => {
      const id = ctx.params.id;
      // The CSV is the whole file: limit is ignored there, not checked.
      if (wantsCsv(request, ctx.query)) return rejectsFile(id);
      const limit = parseLimit(ctx.query.get("limit"), 100, MAX_REJECTS);
      const handle = await openRejects(runs.dataDir, allRuns(runs), id);
      try {
        const { items, total } = await readRejects(handle, limit, rejectTotals);
        const answer: RejectsAnswer = { run_id: id, total, items, download: `/runs/${id}/rejects.csv` };
        return json(answer, 200, { "cache-control": "no-store", vary: "Accept" });
      } finally {
        await handle.close();
      }
    },
    runDocs.rejects,
  );

  router.add("GET", "/runs/:id/rejects.csv", async (_request, ctx) => rejectsFile(ctx.params.id), runDocs.rejectsCsv);
}
