/**
 * The run record: one definition of what every ETL run (relationships or contacts) leaves behind.
 * The ETL writes it (run_log.ts), and the API for a contacts CSV imported as a request body; the API
 * serves it (GET /runs) and the dashboard shows it.
 */

/** The kinds of run, the outcomes of a run and the severities of a finding, as values (filters, schemas, metrics). */
export const RUN_KINDS = ["relationships", "contacts"] as const;
export const RUN_STATUSES = ["succeeded", "skipped", "failed"] as const;
export const SEVERITIES = ["error", "warning", "info"] as const;

export type RunKind = (typeof RUN_KINDS)[number];
export type RunStatus = (typeof RUN_STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];

/** A quality finding: a named check, its severity, and the cells (or CSV lines) involved. */
export interface Finding {
  check: string;
  severity: Severity;
  message: string;
  /** Cell references like `'Matriz de adyacencia'!F5`, or `contacts.csv:12` for CSV lines. Capped. */
  cells: string[];
  /** How many cells/lines in all, when `cells` was capped or the finding is a count. */
  count?: number;
  /**
   * What each of `cells` holds, in the same order (null where the check kept none), for checks
   * whose values a reader needs beside the cells: both codes of each letter code disagreement. The
   * message quotes only the first few; these go as far as `cells` does. The published relationship
   * snapshot keeps them as `findings.cell_values` (schema version 5), which `GET /findings` serves.
   */
  values?: (string | null)[];
}

export interface RunFile {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

export interface RunRecord {
  id: string;
  kind: RunKind;
  status: RunStatus;
  started_at: string;
  finished_at: string;
  file: RunFile | null;
  /** Kind-specific counts, e.g. `{ actors: 50, pairs: 120 }` or `{ inserted: 3, rejected: 1 }`. */
  counts: Record<string, number>;
  findings: Finding[];
  /** Summary of what changed against the previous version, e.g. `{ pairs_added: 2 }`. */
  changes: Record<string, number>;
  /** Set when the status is failed (and for skips: why it was skipped). */
  error: { code: string; message: string } | null;
  /** The published version this run produced (relationships), if any. */
  version_id?: number | null;
  /**
   * The version `changes` are counted against: the one live before (relationships). Null when none
   * could be read (the first version, or `history_unavailable`); absent in runs recorded before it
   * was, which compared with `version_id - 1` unless the live file had been replaced by hand.
   */
  compared_with?: number | null;
  /** A restore (`npm run etl -- --restore V`): the version whose data `version_id` publishes again. */
  restored_from?: number;
  /** What became of the Parquet copy of the published version (absent when PARQUET_DIR=off). */
  parquet?: RunParquet;
  /** The snapshots kept for `--restore` once this run published (KEEP_VERSIONS). */
  kept?: RunKept;
  /**
   * What became of the alert about this run (etl/alerts), when one was due. The run is appended
   * first and the outcome after it as an amendment line (see `RunAmendment`), so a webhook that
   * hangs can never hold back or lose the record of the load itself.
   */
  alert?: RunAlert;
}

/**
 * The Parquet export after a publication (etl/relationships export_parquet.ts). A failure is
 * recorded here and never fails or unpublishes the load.
 */
export interface RunParquet {
  status: "written" | "failed";
  /** The Parquet folder (PARQUET_DIR). */
  dir: string;
  /** Versions whose files this run wrote: the published one, and earlier ones that were missing. */
  versions: number[];
  /** Files written. */
  files: number;
  error?: { code: string; message: string };
}

/** The snapshots in `<data dir>/snapshots/` after a publication, and any trouble keeping them. */
export interface RunKept {
  /** Versions that can be restored, oldest first (the published one included). */
  versions: number[];
  /** Versions this run deleted under KEEP_VERSIONS. */
  pruned: number[];
  /** Why the published version could not be kept or an old one not pruned (the load still succeeded). */
  error?: { code: string; message: string };
}

/** The outcome of posting a run's alert to the webhook. */
export interface RunAlert {
  status: "sent" | "failed";
  /** POSTs made, retries included. */
  attempts: number;
  /** When the last attempt ended. */
  at: string;
  /** The HTTP status of the last answer, when there was one. */
  http_status?: number;
  /** Why it failed; never holds the webhook's URL (on Slack the URL is the secret). */
  error?: { code: string; message: string };
  /** The alert's id: its `Idempotency-Key` header and its body's `id`, the same on every attempt (absent in runs recorded before it was sent). */
  id?: string;
}

/**
 * A line of runs.jsonl that adds to an earlier run instead of being a run: `readRuns()` merges
 * `alert` into the run whose id is `amends`, so the log stays append-only and every reader (the
 * API's /runs, the schedule) sees one record per run.
 */
export interface RunAmendment {
  amends: string;
  alert: RunAlert;
}

/**
 * True for a skip because another load of the same kind held the lock: it read and verified
 * nothing (the load holding the lock may yet fail), so it says nothing of the data.
 *
 * @example
 * ```ts
 * lockedOut({ ...run, status: "skipped", error: { code: "busy", message: "..." } }); // true
 * ```
 */
export function lockedOut(run: RunRecord): boolean {
  return run.error?.code === "busy";
}

/**
 * Why a load was stopped: the abort reason `npm run etl` gives its loads' AbortSignal on SIGINT or
 * SIGTERM. A load stopped before it wrote records a failed run with this `code` and a message that
 * starts with this one's ("Stopped by SIGINT"), saying what became of the data.
 */
export class LoadStopped extends Error {
  override readonly name = "LoadStopped";
  readonly code = "stopped";
  constructor(readonly signal: string) {
    super(`Stopped by ${signal}`);
  }
}

/**
 * True for a run stopped by a signal before it finished: it judged nothing of its file, so the
 * file counts as not loaded yet (the schedule loads it again).
 *
 * @example
 * ```ts
 * stoppedBySignal({ ...run, status: "failed", error: { code: "stopped", message: "Stopped by SIGINT ..." } }); // true
 * ```
 */
export function stoppedBySignal(run: RunRecord): boolean {
  return run.error?.code === "stopped";
}

/**
 * The code of a skip of a workbook or contacts CSV identical to one a load failed on within the hour
 * (its bytes to blame): that version is not loaded again until it changes (or `--force`), by whoever
 * starts the load (failed_hold.ts).
 */
export const FAILED_BEFORE = "failed-before";

/**
 * True when `run` left the data current: it succeeded, or skipped a file it found unchanged (not a
 * skip for a busy lock, nor one of a file a load failed on). What the schedule counts as a good
 * load and /metrics as the last success.
 *
 * @example
 * ```ts
 * leftDataCurrent({ ...run, status: "skipped", error: null }); // true: the file was verified unchanged
 * ```
 */
export function leftDataCurrent(run: RunRecord): boolean {
  return run.status === "succeeded" || (run.status === "skipped" && !lockedOut(run) && run.error?.code !== FAILED_BEFORE);
}

/**
 * Returns a new run id that sorts by time: `20261129T095045123Z-3f9a`.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  const random = crypto.getRandomValues(new Uint8Array(2));
  return `${stamp}-${Array.from(random, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

