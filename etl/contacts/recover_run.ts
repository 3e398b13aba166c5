/**
 * A contacts load killed after its COMMIT and before it appended its run to runs.jsonl (Ctrl-C
 * during the Parquet export or PostgreSQL's ANALYZE, kill -9, a power cut) changed the tables with
 * no run saying so, and the same file loaded again is then "unchanged" and skipped: the history
 * would never show the load. The load stored its run with itself (contact_loads.run, in the same
 * transaction), so the next load, holding the lock, records it from there, with a warning saying so.
 *
 * A load killed before its COMMIT changed nothing, and left no run either: the history went on as if
 * it had never been tried. Each load holding the lock leaves a mark (`.contacts.loading/<run id>.json`:
 * its id, start and file) until it ends; the next load, once it has recovered a committed run as
 * above, records each mark left with no run as a failed run `crashed`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { SqlRunner } from "../db/mod.ts";
import { isAlive } from "../files/mod.ts";
import { rejectsReportPath, UPLOADS_DIR, type IngestSummary } from "../handover/mod.ts";
import { appendRun, findRun, newRunId, type RunRecord } from "../runs/mod.ts";
import { addLoadWarnings, findingsOf, runChanges, runCounts } from "./contacts_run.ts";
import { PG_WORK_PREFIX } from "./ingest_postgres.ts";
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

/** What a running load's mark says: enough to record it as crashed, and its process, whose files in uploads/ it names. */
type LoadMark = Pick<RunRecord, "id" | "started_at" | "file"> & { pid?: number };

function marksDir(dataDir: string): string {
  return join(dataDir, ".contacts.loading");
}

/**
 * Marks the load `run` of `dataDir` as running and returns the function that removes the mark, to be
 * called once the load has ended, whatever its outcome. Call with the contacts load lock held. A mark
 * that cannot be written fails nothing.
 *
 * @example
 * ```ts
 * const ended = markLoadRunning("data", { id, started_at, file });
 * try { await load(); } finally { ended(); }
 * ```
 */
export function markLoadRunning(dataDir: string, run: LoadMark): () => void {
  const dir = marksDir(dataDir);
  const path = join(dir, `${run.id}.json`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, JSON.stringify({ id: run.id, started_at: run.started_at, file: run.file, pid: process.pid }));
  } catch {
    // No room for a few bytes, or no right to write them: the load goes on; were it killed, it
    // would go unrecorded, as before marks.
    rmSync(path, { force: true });
    return () => {};
  }
  return () => {
    rmSync(path, { force: true });
    // The folder only while a load runs: a data dir at rest looks as it did before marks.
    try {
      rmdirSync(dir);
    } catch {
      // Another load's mark is in it (one killed, not yet recorded).
    }
  };
}

/**
 * Records as failed (`crashed`) each load of `dataDir` that marked itself running and ended with no
 * run (killed before its COMMIT: one killed after it was recovered from the database first, by
 * recoverContactsRun), except `current`, and removes the marks. Call with the contacts load lock held,
 * after recoverContactsRun. Returns the runs recorded.
 *
 * @example
 * ```ts
 * recordKilledLoads("data", runId).map((r) => r.error?.code); // ["crashed"]
 * ```
 */
export function recordKilledLoads(dataDir: string, current: string): RunRecord[] {
  const dir = marksDir(dataDir);
  if (!existsSync(dir)) return [];
  const recorded: RunRecord[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === `${current}.json`) continue;
    let mark: LoadMark | undefined;
    try {
      mark = JSON.parse(readFileSync(path, "utf8")) as LoadMark;
    } catch {
      // Cut short by the crash itself: nothing to say what it loaded.
    }
    // Recorded already: by the load itself, by recoverContactsRun, or as crashed by the API's
    // schedule (its parent records a child killed mid-load, under an id of its own).
    if (
      mark !== undefined &&
      findRun(dataDir, (r) => r.id === mark.id || (r.kind === "contacts" && r.error?.code === "crashed" && r.finished_at >= mark.started_at)) === undefined
    ) {
      const run = killedRun(mark);
      appendRun(dataDir, run);
      recorded.push(run);
    }
    removeLeftFiles(dataDir, name.replace(/\.json$/, ""), mark?.pid);
    rmSync(path, { force: true });
  }
  return recorded;
}

/**
 * Removes what the killed load `id` (process `pid`) left in uploads/: its copy of the CSV and, on
 * PostgreSQL, its staging folder (the people and their links as CSV). Personal data, which
 * cleanStaleUploads would otherwise keep for hours; a folder of a live process (its pid since reused)
 * is left alone.
 */
function removeLeftFiles(dataDir: string, id: string, pid: number | undefined): void {
  const dir = join(dataDir, UPLOADS_DIR);
  rmSync(join(dir, `${id}.csv`), { force: true });
  if (pid === undefined || !Number.isInteger(pid) || isAlive(pid) || !existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith(`${PG_WORK_PREFIX}${pid}-`)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function killedRun(mark: LoadMark): RunRecord {
  const shown = mark.file?.path ?? "the contacts file";
  return {
    // Its own id: the killed load's may name a rejects report it began to write.
    id: newRunId(),
    kind: "contacts",
    status: "failed",
    started_at: mark.started_at,
    finished_at: new Date().toISOString(),
    // No SHA-256: nothing of the file was loaded, so the schedule tries it again (as crashed_run.ts).
    file: mark.file === null ? null : { ...mark.file, sha256: "" },
    counts: {},
    findings: [],
    changes: {},
    error: {
      code: "crashed",
      message:
        `The contacts load of '${shown}' that started at ${mark.started_at} did not finish: its process ended (killed, out of memory, ` +
        `the machine stopped) before its COMMIT, so the contacts are as they were before it; the next load recorded this`,
    },
  };
}
