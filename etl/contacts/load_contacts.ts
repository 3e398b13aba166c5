/**
 * `npm run etl`'s contacts step: load a CSV into `<data-dir>/contacts.duckdb` (or PostgreSQL with
 * `databaseUrl`), or, while the API runs (it holds the file's write lock), hand the CSV to the API,
 * which runs the same ingestion on its own connection between its other writes. Either way one
 * contacts RunRecord is appended to runs.jsonl, here and only here (with, first, the run of an
 * earlier direct or PostgreSQL load killed after its COMMIT: recover_run.ts), and the rejects are
 * written as a CSV report.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { damagedDuckDb, Database, unwritableDuckDb, isDatabaseUnavailable, isDuckDbLocked, PostgresDatabase, postgresRefusal } from "../db/mod.ts";
import { acquireLoadLockWaiting, LockBusyError } from "../files/mod.ts";
import { appendRun, FAILED_BEFORE, failedBefore, failedVersion, LoadStopped, newRunId, type RunRecord } from "../runs/mod.ts";
import { addLoadWarnings, findingsOf, loadFailure, runChanges, runCounts } from "./contacts_run.ts";
import { cleanStaleUploads, HandoverError, importThroughApi, placeUpload, rejectsReportPath, runningApi, UPLOADS_DIR, type IngestSummary } from "../handover/mod.ts";
import { ContactsCsvError, ingestContacts, type IngestOptions } from "./ingest_contacts.ts";
import { unreadableCsv } from "./contacts_csv_error.ts";
import { ingestContactsPostgres } from "./ingest_postgres.ts";
import { ContactsLockTimeoutError } from "./_lock_wait.ts";
import { migrate, migratePostgres, MigrationError } from "./migrate.ts";
import { markLoadRunning, recordKilledLoads, recoverContactsRun, runOrigin } from "./recover_run.ts";
import { CONTACTS_DIRECT_LOAD_MEMORY_MB, CONTACTS_LOAD_DUCKDB_SETTINGS, CONTACTS_LOAD_MEMORY_MB } from "./contact_sql.ts";
import { fitMemoryToContacts } from "./duckdb_memory.ts";
import { contactsExportDir, contactsExportIsCurrent, exportContacts, type ContactsExportResult } from "./export_contacts.ts";

export type ContactsLoadErrorCode = "failed-before" | "locked" | "all-rejected" | "no-rows" | "data-dir" | "upload-removed" | "database-refused" | "database-unavailable" | "database-locked" | "stopped" | "database-damaged" | "database-read-only";

/**
 * The load could not be done: the database is locked by a process that is not a running API
 * ("locked"), every row of the file was rejected ("all-rejected": a failed run, nothing loaded), the
 * file has a header and no data rows ("no-rows": a failed run too), or
 * the data dir could not take the load's copy of the file ("data-dir": a full disk, no permission),
 * an API that started while the copy was made removed it ("upload-removed"), or PostgreSQL refused the role ("database-refused"), did not answer ("database-unavailable") or
 * another session's lock outlasted the load's wait ("database-locked"), or a signal stopped it ("stopped": LoadContactsOptions.signal),
 * or contacts.duckdb or its WAL is damaged ("database-damaged": damagedContactsDb), or it may not be
 * written ("database-read-only": unopenableContactsDb), or the file has the bytes a load failed on
 * within the hour ("failed-before": a skipped run, as for the workbook; see CSV_BYTES_FAILED).
 * `message` is for the person running the load.
 */
export class ContactsLoadError extends Error {
  override readonly name = "ContactsLoadError";
  constructor(
    readonly code: ContactsLoadErrorCode,
    message: string,
    /** For "all-rejected" and "no-rows": what the load found, so the report can say which rows and why. */
    readonly result?: LoadContactsResult,
  ) {
    super(message);
  }
}

export interface LoadContactsOptions {
  csvPath: string;
  dataDir: string;
  /** Sent as `Authorization: Bearer ...` to the API (its API_TOKEN). */
  apiToken?: string;
  /**
   * How long to wait for the API to answer the import; default none: an import of 10M rows takes
   * minutes, and one given up may still commit. A dead peer is found by TCP keep-alive (import_client).
   */
  apiTimeoutMs?: number;
  /**
   * How long to wait for another contacts load of this data dir to end before skipping (default 0:
   * a load started by hand says at once that another runs; the schedule's wait, `--wait`), and for
   * a contacts.duckdb locked by another process (an API starting up?) to come free (default 5 s).
   */
  lockWaitMs?: number;
  /** `postgres://...` (DATABASE_URL): load straight into PostgreSQL, which any number of processes may write. */
  databaseUrl?: string;
  /** PostgreSQL: how long the write waits for another session's lock before it fails as "database-locked" (default 5 minutes). */
  postgresLockWaitMs?: number;
  /** PostgreSQL: how often, while it waits, a line names the session holding the lock (default 10 s), and where it goes (default stderr). */
  postgresLockProgressMs?: number;
  onPostgresLockWait?: (line: string) => void;
  /**
   * A direct load refreshes the analysts' Parquet copy (`<data dir>/exports/contacts/`) at its end
   * when it is out of date (CONTACTS_EXPORT not `off`). Through the API, the API does it; on
   * PostgreSQL there is none. Default false.
   */
  exportContacts?: boolean;
  /**
   * Stops the load when aborted (`npm run etl` on SIGINT or SIGTERM): a direct DuckDB load up to
   * its COMMIT (one that has begun finishes, and is recorded as what it was); a hand-over by closing
   * its request to the API (see `importThroughApi`); the wait for another load's lock. A stopped
   * load records a failed run, code "stopped", whose message says what became of the data. A
   * PostgreSQL load stops between its steps, up to its COMMIT: a statement running finishes first.
   */
  signal?: AbortSignal;
  /** Load a file whose bytes a load failed on within the hour (`--force`); without it that is a skip, `failed-before`. */
  force?: boolean;
}

/**
 * How long a load handed over to the running API waits for another contacts load to end: the API
 * ran hand-overs one after another in its write queue, and a person's `npm run etl` (another
 * `--contacts` file, a newer copy) was loaded after the schedule's, not skipped as `busy` (exit 0,
 * the file never loaded). As long as `--wait`'s wait.
 */
const HANDOVER_LOCK_WAIT_MS = 30 * 60_000;

/**
 * Failures a contacts CSV's bytes are to blame for: the same bytes fail the same way (not a missing
 * or unreadable file, a full disk, a database that is down or locked, a stop). `unreadable` with the
 * file's hash is its content (a quote never closed, two kinds of line end): one that could not be
 * opened has none, and failedVersion() passes it by. Through the running API (npm start's own
 * schedule hands its loads over) any of these is `api-rejected`, the API's 422 for the file.
 */
const CSV_BYTES_FAILED: ReadonlySet<string> = new Set(["empty-file", "missing-column", "duplicate-column", "header-repeated", "not-utf8", "not-csv", "unreadable", "all-rejected", "no-rows", "api-rejected"]);

/**
 * The analysts' copy after a direct load: written, already current (nothing to write), or failed
 * (the load still succeeded). null: not this load's job (off, through the API, PostgreSQL).
 */
export type LoadContactsExport = ContactsExportResult | { status: "current"; dir: string } | null;

/** The ingestion summary plus how it ran, the run id, and the rejects report (null when none). */
export type LoadContactsResult = IngestSummary & { via: "direct" | "api" | "postgres"; run_id: string; rejects_file: string | null; export: LoadContactsExport };

/**
 * Loads the contacts CSV (directly, or through the running API) and appends a contacts run to
 * runs.jsonl. On failure the run is recorded as failed and the error is rethrown (ContactsCsvError,
 * MigrationError, ContactsLoadError, HandoverError, or a database error).
 *
 * @example
 * ```ts
 * const result = await loadContacts({ csvPath: "data/contacts.csv", dataDir: "data", apiToken: process.env.API_TOKEN });
 * console.log(result.via, result.inserted, result.rejected, result.rejects_file);
 * ```
 */
export async function loadContacts(options: LoadContactsOptions): Promise<LoadContactsResult> {
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const source = sourceNameOf(options.csvPath);
  const rejectsFile = rejectsReportPath(options.dataDir, runId);
  let file: RunRecord["file"] = null;
  let upload: { name: string; path: string } | undefined;
  let summary: IngestSummary | undefined;
  let exported: LoadContactsExport = null;
  // Where the load went, for the message of one that was stopped: there, whether it wrote is known or not.
  let via: LoadContactsResult["via"] | undefined;
  let apiUrl: string | undefined;
  try {
    mkdirSync(options.dataDir, { recursive: true });
    // A load killed after placing its copy left it (personal data) where no API start empties it.
    cleanStaleUploads(options.dataDir);
    // A private copy in the data dir is what gets loaded (the original may change meanwhile), hashed
    // on the way; the running API reads it there, so the hand-over has no size limit.
    try {
      const placed = await placeUpload(options.dataDir, options.csvPath, runId, options.signal);
      upload = placed;
      file = { name: source, path: resolve(options.csvPath), size: placed.size, sha256: placed.sha256 };
    } catch (error) {
      if (error instanceof LoadStopped) throw error;
      const e = error as NodeJS.ErrnoException;
      const code = e.code;
      // Writing the copy, not reading the file, failed (a full disk, a data dir we may not write):
      // the data dir is what the person must fix, not the CSV.
      if (e.syscall === "write" || (typeof e.path === "string" && e.path !== options.csvPath)) {
        const reason = code === "ENOSPC" || code === "EDQUOT" ? "the disk is full" : e.message.split("\n")[0];
        throw new ContactsLoadError("data-dir", `Cannot copy contacts file '${options.csvPath}' into '${join(options.dataDir, UPLOADS_DIR)}' to load it: ${reason}; nothing was loaded`);
      }
      throw unreadableCsv(options.csvPath, e);
    }
    // One load at a time of this data dir's contacts, through the API too: another running is a skip
    // (or, with lockWaitMs, a wait), not a database found locked; a hand-over waits for it (up to
    // HANDOVER_LOCK_WAIT_MS), as it waited in the API's queue before it took the lock. Under the
    // lock, a file whose bytes the last load failed on within the hour is a skip (failed-before), so
    // two loads reacting to one change fail (and alert) once, whichever way they interleave. The mark
    // says, should this process die before its COMMIT, that a direct or PostgreSQL load was tried
    // (recordKilledLoads); through the API the API commits, or not.
    const locked = async <T>(load: () => Promise<T>, handover = false): Promise<T> => {
      const release = await acquireLoadLockWaiting(options.dataDir, "contacts", options.lockWaitMs ?? (handover ? HANDOVER_LOCK_WAIT_MS : 0), options.signal);
      try {
        const failed = options.force ? null : failedVersion(options.dataDir, "contacts", CSV_BYTES_FAILED);
        if (failed !== null && failed.file!.sha256 === file!.sha256) throw new ContactsLoadError(FAILED_BEFORE, failedBefore(`The contacts file '${source}'`, failed).message);
        const ended = handover ? () => {} : markLoadRunning(options.dataDir, { id: runId, started_at: startedAt, file });
        try {
          return await load();
        } finally {
          ended();
        }
      } finally {
        release();
      }
    };
    const csv = upload.path;
    options.signal?.throwIfAborted();
    if (options.databaseUrl) {
      via = "postgres";
      summary = await locked(() => intoPostgres(options, csv, source, rejectsFile, { id: runId, started_at: startedAt, origin: runOrigin(options.dataDir), file }));
    } else {
      const api = await runningApi(options.dataDir);
      // An API that started after the copy was placed emptied uploads/ first (its start-up does), so
      // the name would reach it with no file behind it, and its 404 blamed the person's CSV.
      if (api !== null) keptUpload(options, upload.path);
      via = api !== null ? "api" : "direct";
      apiUrl = api?.url;
      summary =
        api !== null
          ? await locked(() => importThroughApi(api, { upload: upload!.name, source_name: source, run_id: runId }, { apiToken: options.apiToken, timeoutMs: options.apiTimeoutMs, signal: options.signal }), true)
          : await locked(() => direct(options, csv, source, rejectsFile, { id: runId, started_at: startedAt, origin: runOrigin(options.dataDir), file }, (result) => (exported = result)));
    }
    const counts = runCounts(summary);
    const report = summary.rejects_file;
    // The warnings pushed below are the summary's own array: they reach the run's findings and the result.
    const result: LoadContactsResult = { ...summary, via, run_id: runId, rejects_file: report, export: exported };
    // Thresholds a data team wants: nothing loadable is a failed load; some rejects are a warning.
    const failure = loadFailure(summary, source, report);
    if (failure !== null) throw Object.assign(new ContactsLoadError(failure.code, failure.message, result), { counts });
    addLoadWarnings(summary, report);
    appendRun(options.dataDir, {
      id: runId,
      kind: "contacts",
      status: summary.unchanged_since === undefined ? "succeeded" : "skipped",
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      file,
      counts,
      findings: findingsOf(summary, source, report),
      changes: runChanges(summary),
      error: null,
    });
    return result;
  } catch (error) {
    const recorded = error instanceof LoadStopped ? stoppedError(error, via, apiUrl) : runError(error, options.csvPath, options.dataDir);
    appendRun(options.dataDir, {
      id: runId,
      kind: "contacts",
      // Another load of the contacts is doing the work, or one failed on these bytes within the
      // hour (its alert went out): a skip, as for relationships.
      status: error instanceof LockBusyError || recorded.code === FAILED_BEFORE ? "skipped" : "failed",
      started_at: startedAt,
      finished_at: new Date().toISOString(),
      file,
      counts: (error as { counts?: Record<string, number> }).counts ?? {},
      findings: summary === undefined ? [] : findingsOf(summary, source, summary.rejects_file),
      changes: {},
      error: recorded,
    });
    // PostgreSQL's refusals and outages are reported in the run's words (naming DATABASE_URL and what
    // to fix), not as the client's bare message ("connect ECONNREFUSED ...", "permission denied ...").
    // A stop likewise: its run's message says what became of the data; the signal's reason does not.
    // A damaged or read-only contacts.duckdb: what to do about it, not DuckDB's checksum or errno line.
    if (["database-refused", "database-unavailable", "database-locked", "stopped", "database-damaged", "database-read-only"].includes(recorded.code)) {
      throw new ContactsLoadError(recorded.code as ContactsLoadErrorCode, recorded.message);
    }
    throw error;
  } finally {
    if (upload !== undefined) rmSync(upload.path, { force: true });
  }
}

/**
 * The name a load's file goes by in its run, findings and messages: its base name, but the whole
 * path for a file descriptor's (`/dev/fd/63`, what a shell's `<(gunzip -c contacts.csv.gz)` passes),
 * whose base name is only the descriptor's number.
 *
 * @example
 * ```ts
 * sourceNameOf("data/contacts.csv"); // "contacts.csv"
 * sourceNameOf("/dev/fd/63"); // "/dev/fd/63"
 * ```
 */
export function sourceNameOf(csvPath: string): string {
  return /^\/(?:dev|proc\/(?:self|thread-self|\d+))\/fd\/\d+$/.test(csvPath) ? csvPath : basename(csvPath);
}

/**
 * Throws "upload-removed" when the load's copy is no longer in uploads/. Checked once the running
 * API is found: its start-up, which empties the folder, is over by then.
 */
function keptUpload(options: LoadContactsOptions, path: string): void {
  if (existsSync(path)) return;
  throw new ContactsLoadError(
    "upload-removed",
    `The copy of contacts file '${options.csvPath}' in '${join(options.dataDir, UPLOADS_DIR)}' was removed before the running API could load it ` +
      "(an API started on this data dir meanwhile, and its start-up empties that folder); nothing was loaded; run the load again",
  );
}

async function direct(
  options: LoadContactsOptions,
  csvPath: string,
  source: string,
  rejectsFile: string,
  run: IngestOptions["run"],
  onExport: (result: LoadContactsExport) => void,
): Promise<IngestSummary> {
  const path = join(options.dataDir, "contacts.duckdb");
  const db = await openUnlocked(path, options.dataDir, options.lockWaitMs ?? 5000);
  try {
    // The migrations (which may copy the table) get at least the load's budget, more for a table
    // whose indexes need it (fitMemoryToContacts); the load's staging a smaller floor.
    await fitMemoryToContacts(db, CONTACTS_LOAD_MEMORY_MB);
    await migrate(db);
    await recoverContactsRun(db, options.dataDir);
    recordKilledLoads(options.dataDir, run?.id ?? "");
    const memoryMb = await fitMemoryToContacts(db, CONTACTS_DIRECT_LOAD_MEMORY_MB);
    const summary = await ingestContacts(db, csvPath, { sourceName: source, displayPath: options.csvPath, rejectsFile, memoryMb, run, signal: options.signal });
    if (options.exportContacts) {
      // While we hold the lock nobody else can refresh the copy; an unchanged file costs one
      // fingerprint query. A failed export is reported, and the load stays a success.
      const dir = contactsExportDir(options.dataDir);
      onExport((await contactsExportIsCurrent(db, dir)) ? { status: "current", dir } : await exportContacts(db, dir, { writtenBy: "etl" }));
    }
    return summary;
  } finally {
    db.close();
  }
}

async function intoPostgres(options: LoadContactsOptions, csvPath: string, source: string, rejectsFile: string, run: IngestOptions["run"]): Promise<IngestSummary> {
  const pg = await PostgresDatabase.connect(options.databaseUrl!, { max: 2, applicationName: "relaciones-etl" });
  try {
    // The migrations wait for another session's lock as the load does.
    await migratePostgres(pg, { lockWaitMs: options.postgresLockWaitMs, lockProgressMs: options.postgresLockProgressMs, onLockWait: options.onPostgresLockWait });
    await recoverContactsRun(pg, options.dataDir);
    recordKilledLoads(options.dataDir, run?.id ?? "");
    return await ingestContactsPostgres(pg, csvPath, {
      sourceName: source,
      displayPath: options.csvPath,
      rejectsFile,
      workDir: join(options.dataDir, "uploads"),
      run,
      lockWaitMs: options.postgresLockWaitMs,
      lockProgressMs: options.postgresLockProgressMs,
      onLockWait: options.onPostgresLockWait,
      signal: options.signal,
      // The process is the load's alone, as a direct DuckDB load's is: the same allocator settings.
      // Peak RSS of the 1M-row load, alternating: 777-940 MB without them, 810-898 MB with them
      // (six runs each); the bench had seen 1,085 MB once, for the next day's file.
      duckdbSettings: CONTACTS_LOAD_DUCKDB_SETTINGS,
    });
  } finally {
    await pg.close();
  }
}

/**
 * Opens contacts.duckdb. If another process holds its lock, that is usually an API that is just
 * starting (api.json not written yet): wait a little and, if it shows up, hand the load to it.
 */
export async function openUnlocked(path: string, dataDir: string, waitMs: number): Promise<Database> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await Database.open(path, { settings: { ...CONTACTS_LOAD_DUCKDB_SETTINGS } });
    } catch (error) {
      if (!isDuckDbLocked(error)) throw error;
      if (Date.now() >= deadline) {
        throw new ContactsLoadError(
          "locked",
          `${path} is locked by another process and no running API answers in ${join(dataDir, "api.json")}; ` +
            "stop that process or start the API, then retry",
        );
      }
      await sleep(250);
      if ((await runningApi(dataDir)) !== null) {
        throw new ContactsLoadError("locked", `${path} was taken by an API that just started; retry to load through it`);
      }
    }
  }
}

/**
 * A stopped load's error for its run. Thrown only before a direct load's COMMIT, or before anything
 * was sent anywhere: nothing was loaded. Through the API it is not known: closing the request stops
 * the API's import unless its COMMIT had begun, and the answer that would say which never comes.
 * Not asked for afterwards: the API stores no run for an upload it loads, so there is no record
 * to ask it about, and a load stopped by someone is to end now, not wait on the API.
 */
function stoppedError(error: LoadStopped, via: LoadContactsResult["via"] | undefined, apiUrl: string | undefined): { code: string; message: string } {
  if (via !== "api") return { code: error.code, message: `${error.message} before its COMMIT; nothing was loaded` };
  return {
    code: error.code,
    message:
      `${error.message} while the running API at ${apiUrl} was importing it: the API stops an import whose client leaves unless its COMMIT had begun, ` +
      "so it was most likely not loaded; if it was, the next load of this file says it is unchanged",
  };
}

/**
 * What to tell a person whose contacts.duckdb in `dataDir`, or its WAL, DuckDB found damaged on
 * opening it (`damagedDuckDb`), or undefined for any other error. The API, `npm run migrate` and the
 * loads say the same.
 *
 * @example
 * ```ts
 * damagedContactsDb(new Error("IO Error: Corrupt database file: ..."), "data"); // "data/contacts.duckdb is damaged ..."
 * ```
 */
export function damagedContactsDb(error: unknown, dataDir: string): string | undefined {
  return damagedDuckDb(error, join(dataDir, "contacts.duckdb"), "npm run etl -- --only contacts");
}

/**
 * What to tell a person whose contacts.duckdb in `dataDir` DuckDB would not open: damaged
 * (`damagedContactsDb`) or not writable by this user (`unwritableDuckDb`: a read-only file, another
 * user's), with the run's code; undefined for any other error. The API, `npm run migrate` and the
 * loads say the same.
 *
 * @example
 * ```ts
 * unopenableContactsDb(new Error('IO Error: Cannot open file "data/contacts.duckdb": Permission denied'), "data")?.code; // "database-read-only"
 * ```
 */
export function unopenableContactsDb(error: unknown, dataDir: string): { code: "database-damaged" | "database-read-only"; message: string } | undefined {
  const damaged = damagedContactsDb(error, dataDir);
  if (damaged !== undefined) return { code: "database-damaged", message: damaged };
  const unwritable = unwritableDuckDb(error);
  return unwritable === undefined ? undefined : { code: "database-read-only", message: unwritable };
}

/** A failed load's error for its run: the code, and a message for the person running the load. */
function runError(error: unknown, csvPath: string, dataDir: string): { code: string; message: string } {
  // DuckDB messages can run to many lines of hints; the first says what went wrong.
  const firstLine = (error instanceof Error ? error.message : String(error)).split("\n")[0];
  if (
    error instanceof ContactsCsvError ||
    error instanceof LockBusyError ||
    error instanceof MigrationError ||
    error instanceof ContactsLoadError ||
    error instanceof HandoverError ||
    error instanceof ContactsLockTimeoutError
  ) {
    return { code: error.code, message: firstLine };
  }
  const refusal = postgresRefusal(error);
  if (refusal !== undefined) return refusal;
  // Before ENOENT: a Unix socket of DATABASE_URL with no server behind it is one too. Out of
  // connections is the server not taking this load now, as when it is down.
  if (isDatabaseUnavailable(error) || /^53/.test(String((error as { code?: unknown })?.code))) {
    return { code: "database-unavailable", message: `The PostgreSQL server of DATABASE_URL refused or did not answer: ${(error as Error).message}` };
  }
  if ((error as NodeJS.ErrnoException)?.code === "ENOENT") return { code: "unreadable", message: `Cannot read contacts file '${csvPath}': no such file` };
  return unopenableContactsDb(error, dataDir) ?? { code: "ingest-failed", message: firstLine };
}
