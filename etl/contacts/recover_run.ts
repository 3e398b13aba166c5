/**
 * A contacts load killed after its COMMIT and before it appended its run to runs.jsonl (Ctrl-C
 * during the Parquet export or PostgreSQL's ANALYZE, kill -9, a power cut) changed the tables with
 * no run saying so, and the same file loaded again is then "unchanged" and skipped: the history
 * would never show the load. The load stored its run with itself (contact_loads.run, in the same
 * transaction), so the next load, holding the lock, records it from there, with a warning saying so.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { SqlRunner } from "../db/mod.ts";
import { rejectsReportPath, type IngestSummary } from "../handover/mod.ts";
import { appendRun, findRun, type RunRecord } from "../runs/mod.ts";
import { addLoadWarnings, findingsOf, runChanges, runCounts } from "./contacts_run.ts";
import type { LoadRun } from "./ingest_contacts.ts";

/** How many of the last loads (with a run) are searched for this data dir's last one. */
const RECENT_LOADS = 100;

/** Where a load's run is recorded: this machine's `dataDir` (another machine may load the same PostgreSQL). */
export function runOrigin(dataDir: string): string {
  return `${hostname()}:${resolve(dataDir)}`;
}

/**
 * Records the run of `dataDir`'s last committed load when runs.jsonl does not have it; returns that run, or
 * null when there was nothing to do. Call with `dataDir`'s contacts load lock held, on migrated tables.
 *
 * @example
 * ```ts
 * const recovered = await recoverContactsRun(db, "data");
 * recovered?.findings.at(-1)?.check; // "run_recovered"
 * ```
 */
export async function recoverContactsRun(db: SqlRunner, dataDir: string): Promise<RunRecord | null> {
  // This data dir's last load, not the last load: imports through an API (they store no run) and
  // other data dirs' loads may have committed after it. Only the last can be unrecorded (each load
  // records the one before it), and its loads are among the last hundred.
  // Only the runs are read for all of them; the summary for the one found.
  const origin = runOrigin(dataDir);
  const recent = await db.all<{ run: string; loaded_at: unknown }>(
    `SELECT run, loaded_at FROM contact_loads WHERE run IS NOT NULL ORDER BY loaded_at DESC LIMIT ${RECENT_LOADS}`,
  );
  // Another data dir's load is its own to record (its lock is not ours: it may be running now).
  const last = recent.map((r) => ({ ...r, run: JSON.parse(r.run) as LoadRun, text: r.run })).find((r) => r.run.origin === origin);
  if (last === undefined) return null;
  const run = last.run;
  // Read from the log's end back to that run (it is among the last), not the whole log.
  if (findRun(dataDir, (r) => r.id === run.id) !== undefined) return null;
  const stored = await db.one<{ summary: string }>("SELECT summary FROM contact_loads WHERE run = $1", [last.text]);
  if (stored === undefined) return null;
  const summary = JSON.parse(stored.summary) as IngestSummary;
  // The report is written after the COMMIT: there when the load got that far.
  const rejectsFile = rejectsReportPath(dataDir, run.id);
  const report = summary.rejected > 0 && existsSync(rejectsFile) ? rejectsFile : null;
  addLoadWarnings(summary, report);
  const loadedAt = last.loaded_at instanceof Date ? last.loaded_at : new Date(String(last.loaded_at));
  const record: RunRecord = {
    id: run.id,
    kind: "contacts",
    status: "succeeded",
    started_at: run.started_at,
    finished_at: Number.isNaN(loadedAt.getTime()) ? run.started_at : loadedAt.toISOString(),
    file: run.file,
    counts: runCounts(summary),
    findings: [
      ...findingsOf(summary, summary.source, report),
      {
        check: "run_recovered",
        severity: "warning",
        message: `The load of ${summary.source} that started at ${run.started_at} committed but ended before recording its run (killed, or the machine stopped); the next load recorded it`,
        cells: [],
        count: 1,
      },
    ],
    changes: runChanges(summary),
    error: null,
  };
  appendRun(dataDir, record);
  return record;
}
