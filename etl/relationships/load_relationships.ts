/**
 * One relationship load, start to finish: lock, hash, skip-if-unchanged, read both sheets, check,
 * build a new snapshot file, publish it atomically, and record the run. It never throws for a bad
 * file: every outcome (succeeded, skipped, failed) is a RunRecord appended to runs.jsonl, and a
 * failure leaves the live snapshot untouched because only a finished file is ever renamed in.
 */
import { closeSync, constants, fstatSync, openSync, rmSync, statSync, type Stats } from "node:fs";
import { basename } from "node:path";
import { Database, isInterrupted } from "../db/mod.ts";
import { appendRun, failedBefore, failedVersion, lastRun, LoadStopped, newRunId, type Finding, type RunFile, type RunKept, type RunParquet, type RunRecord } from "../runs/mod.ts";
import type { KeepVersions } from "../settings/mod.js";
import { fold } from "../text/mod.js";
import { openWorkbook, XlsxError } from "../xlsx/mod.ts";
import { Findings } from "./findings.ts";
import { acquireLoadLockWaiting, hashFile, LockBusyError } from "../files/mod.ts";
import { buildActors, type ActorRecord } from "./model.ts";
import { publishSnapshot, removeStaleTemps, snapshotPath, tempSnapshotPath } from "./publish.ts";
import { readActorList, type ActorList } from "./read_actor_list.ts";
import { readMatrix, type Matrix } from "./read_matrix.ts";
import { previousSnapshot, type PreviousSnapshot } from "./previous_version.ts";
import { afterPublish } from "./after_publish.ts";
import { readSnapshot, SnapshotCopyError } from "./attach_snapshot.ts";
import { recoverUnrecorded } from "./recover_run.ts";
import { createSnapshot, writeSnapshot, type ChangeRow, type SnapshotSummary } from "./write_snapshot.ts";

/** The sheet names of the users' workbook; other names are matched loosely (see `findSheet`). */
export const MATRIX_SHEET = "Matriz de adyacencia";
export const LIST_SHEET = "Lista de actores";

/** A load that cannot proceed, with a code for machines and a plain message for people. */
export class LoadError extends Error {
  override readonly name = "LoadError";
  constructor(
    readonly code: string,
    message: string,
    /** The findings that stopped the load, when the data (not the file) is to blame. */
    readonly findings?: Finding[],
  ) {
    super(message);
  }
}

/** Options of `loadRelationships()`. */
export interface LoadOptions {
  /** The .xlsx file. */
  workbook: string;
  /** Where relationships.duckdb and runs.jsonl live. */
  dataDir: string;
  /** Load even when the file is identical to the published version. */
  force?: boolean;
  /** Compressed bytes of the matrix sheet consumed / total, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /** Called as the load moves on, e.g. to print "building snapshot". */
  onPhase?: (phase: "hashing" | "reading" | "building" | "publishing" | "exporting") => void;
  /** Where the published version is also written as Parquet (PARQUET_DIR); null or absent: nowhere. */
  parquetDir?: string | null;
  /** Which published snapshots stay for `--restore` (KEEP_VERSIONS); absent: none are kept. */
  keepVersions?: KeepVersions;
  /** Largest inflated sheet accepted (zip-bomb guard); default `MAX_SHEET_BYTES`. */
  maxSheetBytes?: number;
  /**
   * How long to wait for another load holding the lock before skipping as busy, in ms; default 0
   * (a load started by hand says at once that another is running). The schedule's loads wait
   * (`--wait`, `WAIT_MS` in etl_args.js): the load holding the lock may be reading an older file, and the
   * change that started this one would otherwise wait for the next day.
   */
  lockWaitMs?: number;
  /**
   * Stops the load when aborted (`npm run etl` on SIGINT or SIGTERM) at any point before it
   * publishes: the read, the build (DuckDB interrupted) or the wait for the lock. The new snapshot
   * file is removed and the run recorded as failed, code "stopped" (a skip, "busy", while it waited
   * for the lock). From the publishing rename on it finishes: the run is then what it was.
   */
  signal?: AbortSignal;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * How messages name the workbook when `workbook` is a local copy of it (a URL workbook's
   * download): "https://host/relaciones.xlsx (downloaded to data/fetched/...)".
   */
  shownAs?: string;
}

/**
 * The reader's default cap (2 GiB of sheet XML) is below a full 16,384-actor matrix (Excel's
 * column limit; about 7.5 GB of XML), so the pipeline allows 16 GiB. The reader's ratio check
 * still stops zip bombs.
 */
export const MAX_SHEET_BYTES = 16 * 1024 ** 3;

/** The outcome of a load: the run record as appended, plus details for a human summary. */
export interface LoadResult {
  run: RunRecord;
  changePreview: ChangeRow[];
  durationMs: number;
}

/**
 * Loads the workbook into `<dataDir>/relationships.duckdb` and returns the recorded run. The
 * phases, in order: lock, hash (skip an unchanged file, or one a restore withdrew), read, check,
 * build, publish, keep and export (`afterPublish()`), record.
 *
 * @example
 * ```ts
 * const { run } = await loadRelationships({ workbook: "data/relaciones.xlsx", dataDir: "data" });
 * run.status; // "succeeded" | "skipped" | "failed"
 * ```
 */
export async function loadRelationships(options: LoadOptions): Promise<LoadResult> {
  const load = new RelationshipLoad(options);
  let release: (() => void) | null = null;
  try {
    release = await lock(options.dataDir, options.lockWaitMs ?? 0, options.signal);
    // The log does not prove the live file (a restore, or a load killed after publishing): finish
    // what a killed load left undone first. An unchanged daily run never opens DuckDB for this.
    if (loggedVersion(load.live, lastRun(options.dataDir, "relationships", "succeeded")) === null) await recoverUnrecorded(options, load.live);
    const hash = await startHash(load, options);
    const sheets = await readSheets(options, hash.unchanged.signal, options.signal).catch(async (error: unknown) => {
      // Stopped: at once, not after hashing all of the file to tell.
      if (options.signal?.aborted) throw error;
      // An unchanged file is a skip even if it is one we could not read (it was loaded before).
      if (await hash.isUnchanged().catch(() => false)) return null;
      // A file written over in place while we read it reads as cut off or corrupt: that is the
      // writer's doing, not the file's fault, so say so (as check() does for a read that finished).
      if (changedSince(load.options.workbook, load.before)) throw changedWhileRead(load);
      throw error;
    });
    if (sheets === null || (await hash.isUnchanged())) return load.recordSkip(hash.published, hash.failed, load.file!.sha256);
    const { actors, findings } = check(load, sheets);
    // A live file that cannot be read (publishedVersion() said null) still has a history to carry:
    // attaching it fails in writeSnapshot, which says so (`history_unavailable`) instead of
    // starting a new history in silence; so does a missing one whose last version is not kept.
    const summary = await build(load, sheets, actors, findings, previousSnapshot(options.dataDir, load.live));
    // The last moment to stop: from the rename on, the version is published and the run records it.
    options.signal?.throwIfAborted();
    options.onPhase?.("publishing");
    publishSnapshot(load.temp, load.live);
    options.onPhase?.("exporting");
    return load.recordSuccess(summary, actors, await afterPublish(options, load.live, summary.versionId));
  } catch (error) {
    return load.recordFailure(error);
  } finally {
    // A skipped load (or one that failed) must not leave its half-made file behind.
    if (load.run.status !== "succeeded") await load.dropSnapshot();
    release?.();
  }
}

/**
 * Lock: one relationship load at a time per data dir, waiting `waitMs` at most for another to end
 * (then LockBusyError); stale temp files of dead loads go.
 */
export async function lock(dataDir: string, waitMs = 0, signal?: AbortSignal): Promise<() => void> {
  const release = await acquireLoadLockWaiting(dataDir, "relationships", waitMs, signal);
  removeStaleTemps(dataDir);
  return release;
}

/** What the hash phase knows: the published version, and whether this file is that one. */
interface HashCheck {
  published: PublishedVersion | null;
  /** The run that failed on the workbook's bytes last time, if the last load to judge a workbook did (`failedVersion()`). */
  failed: RunRecord | null;
  /** Aborted as soon as the hash shows the file is the published one: the read stops early. */
  unchanged: AbortController;
  /** Resolves once the hash is known: true when there is nothing to load. */
  isUnchanged(): Promise<boolean>;
}

/**
 * Hash: the SHA-256 runs on a worker while the main thread parses. An unchanged file aborts the
 * read as soon as the hash is known; a new one starts the snapshot file at once, so DuckDB's
 * start-up overlaps the parse.
 */
async function startHash(load: RelationshipLoad, options: LoadOptions): Promise<HashCheck> {
  options.onPhase?.("hashing");
  const { fd, before } = openWorkbookFile(options.workbook);
  const file: RunFile = { name: basename(options.workbook), path: options.workbook, size: before.size, sha256: "" };
  load.file = file;
  load.before = before;
  // Through the descriptor `before` describes: opening the name again in the worker found nothing
  // there (the load failed 'internal', ENOENT) when the file went in between, or hashed another file.
  const hashing = fd === null ? hashFile(options.workbook) : hashFile(fd).finally(() => closeSync(fd));
  hashing.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
  load.hashing = hashing;
  const published = loggedVersion(load.live, lastRun(options.dataDir, "relationships", "succeeded")) ?? (await publishedVersion(load.live));
  const unchanged = new AbortController();
  // Read under the lock, so a load that waited for another sees what that one made of the file.
  const failed = failedVersion(options.dataDir, "relationships", BYTES_FAILED);
  // A workbook a restore withdrew is not loaded again by the next scheduled load: only a new file
  // (or --force) replaces the restored version. Nor is one a load failed on, by anyone: npm start's
  // schedule and a --watch on the same data dir each loaded a broken workbook's change, two failed
  // runs and two alerts for one change. For an hour (FAILED_VERSION_HOLD_MS, etl/runs): the daily load tries it again.
  const same = (sha: string) =>
    !options.force &&
    ((published !== null && (sha === published.sha256 || published.withdrawn.some((w) => w.sha256 === sha))) || (failed !== null && sha === failed.file!.sha256));
  hashing.then(
    (sha) => {
      if (same(sha)) unchanged.abort();
      else load.startSnapshot();
    },
    () => {},
  );
  return {
    published,
    failed,
    unchanged,
    isUnchanged: async () => {
      file.sha256 = await hashing;
      return same(file.sha256);
    },
  };
}

/** Failures the workbook's bytes are to blame for: the same bytes fail the same way (not a missing file, a full disk, a crash). */
const BYTES_FAILED: ReadonlySet<string> = new Set(["invalid-data", "missing-sheet", "not-zip", "truncated", "corrupt", "encrypted", "xls", "xlsb", "not-workbook", "malformed-xml"]);

/** The two sheets of a workbook, parsed. */
interface Sheets {
  matrix: Matrix | null;
  list: ActorList;
  matrixSheet: string;
  listSheet: string;
  findings: Findings;
}

/** Read: both sheets, streamed; `unchanged` stops the parse when the hash shows nothing changed, `stop` when the load is told to stop. */
async function readSheets(options: LoadOptions, unchanged: AbortSignal, stop: AbortSignal | undefined): Promise<Sheets> {
  options.onPhase?.("reading");
  const findings = new Findings();
  const workbook = await openWorkbook(options.workbook, { maxEntryBytes: options.maxSheetBytes ?? MAX_SHEET_BYTES });
  try {
    const hidden = workbook.hiddenSheetNames;
    const charts = workbook.chartSheetNames;
    const date1904 = workbook.date1904;
    const rows = (sheet: string, extra?: Parameters<typeof workbook.rows>[1]) => abortable(workbook.rows(sheet, extra), unchanged, stop);
    // The matrix first: the list is never read from the matrix's sheet ("Matriz de actores" holds the
    // hint "actores", and reading the list from the matrix published its letter codes as the actors'
    // names without a finding), and which sheet that is shows only once a sheet held the matrix.
    const matrixCandidates = sheetCandidates(workbook.sheetNames, MATRIX_SHEET, MATRIX_HINTS, [], hidden, charts);
    const listCandidates = (taken: string[]) => sheetCandidates(workbook.sheetNames, LIST_SHEET, LIST_HINTS, taken, hidden, charts);
    // A workbook without a sheet for the list is refused before the matrix is read (a lone candidate is the matrix's sheet).
    listCandidates(matrixCandidates.length === 1 ? matrixCandidates : []);
    const matrixRead = await firstHolding(matrixCandidates, "no row holds a header of actor ids", async (sheet, found) => {
      const pack = { first: 0, count: 0 }; // readMatrix fills it in once it knows the matrix's columns
      const merges = { onRange: null }; // readMatrix names the ranges merged inside the matrix
      const matrix = await readMatrix(rows(sheet, { onProgress: options.onProgress, pack, merges }), { sheet, findings: found, pack, date1904, merges });
      return { value: matrix, holds: matrix !== null };
    });
    const listRead = await firstHolding(
      listCandidates([matrixRead.sheet]),
      "no row holds an id next to a code or a name",
      async (sheet, found) => {
        const merges = { onRange: null }; // readActorList takes the ranges merged down the list's columns
        const list = await readActorList(rows(sheet, { merges }), { sheet, findings: found, date1904, merges });
        return { value: list, holds: !found.has("list_not_found") };
      },
      matrixRead.value === null ? undefined : coverage(matrixRead.value),
    );
    const matrixSheet = matrixRead.sheet;
    const listSheet = listRead.sheet;
    const reads = [[matrixRead, "the matrix"], [listRead, "the actor list"]] as const;
    for (const [read, table] of reads) {
      if (!hidden.includes(read.sheet)) continue;
      // A visible sheet tried and passed over did match: the warning says why it was not read (review).
      const visible = read.passedOver.filter((over) => !hidden.includes(over.sheet));
      const why = visible.length === 0 ? "no visible sheet matched" : visible.every((over) => !over.held) ? "no visible sheet held it" : "it fits the matrix's ids better than the visible ones";
      findings.add("hidden_sheet", [], `'${read.sheet}' for ${table}, as ${why}`);
    }
    for (const [read, table] of reads) {
      for (const over of read.passedOver) findings.add("sheet_passed_over", [], `'${over.sheet}' for ${table}, read from '${read.sheet}' (${over.why})`);
    }
    // In the order they were read before: the list's findings, then the matrix's.
    findings.absorb(listRead.findings);
    findings.absorb(matrixRead.findings);
    const matrix = matrixRead.value;
    const list = listRead.value;
    return { matrix, list, matrixSheet, listSheet, findings };
  } finally {
    await workbook.close();
  }
}

/**
 * Check: the file did not change while it was read, the sheets have no error findings, and the
 * actors of both sheets reconcile. Throws LoadError; the previous version stays published.
 */
function check(load: RelationshipLoad, sheets: Sheets): { actors: ActorRecord[]; findings: Findings } {
  if (changedSince(load.options.workbook, load.before)) throw changedWhileRead(load);
  const { matrix, list, findings } = sheets;
  if (!matrix || findings.hasErrors) {
    const first = findings.list().find((f) => f.severity === "error");
    throw new LoadError("invalid-data", `${first?.message ?? "The workbook has errors"}; the previous version stays published`, findings.list());
  }
  return { actors: buildActors(matrix, list, findings), findings };
}

/**
 * True when the workbook at `path` is no longer the file `before` describes: another size, mtime,
 * ctime or inode (written in place, or replaced by a rename), or gone.
 */
function changedSince(path: string, before: FileStamp): boolean {
  let after: FileStamp;
  try {
    after = statFile(path);
  } catch {
    return true;
  }
  return after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs || after.ino !== before.ino;
}

function changedWhileRead(load: RelationshipLoad): LoadError {
  return new LoadError("file-changed", `The workbook '${load.file!.name}' changed while it was being read; try again once it is fully written`);
}

/** Build: the new snapshot file, with the history carried forward from the published one. */
async function build(
  load: RelationshipLoad,
  sheets: Sheets,
  actors: ActorRecord[],
  findings: Findings,
  previous: PreviousSnapshot,
): Promise<SnapshotSummary> {
  load.options.onPhase?.("building");
  const signal = load.options.signal;
  signal?.throwIfAborted();
  const db = await load.newSnapshot();
  const file = load.file!;
  // Told to stop, DuckDB fails the statement it runs; the file is dropped with the failed load.
  const stop = () => db.interrupt();
  signal?.addEventListener("abort", stop, { once: true });
  try {
    return await writeSnapshot({
      db,
      previous,
      matrix: sheets.matrix!,
      actors,
      findings,
      version: {
        runId: load.run.id, loadedAt: load.started, fileName: file.name, sha256: file.sha256, size: file.size,
        matrixSheet: sheets.matrixSheet, listSheet: sheets.listSheet,
      },
    });
  } catch (error) {
    if (signal?.aborted && isInterrupted(error)) signal.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}

/**
 * One run's record and its snapshot file, as the phases fill them in; `record*` appends the run.
 * A load uses it, and so does a restore (restore_version.ts), with the kept snapshot as its file.
 */
export class RelationshipLoad {
  readonly options: LoadOptions;
  readonly started: Date;
  readonly run: RunRecord;
  readonly live: string;
  readonly temp: string;
  /** The workbook's stat before the hash and read; check() (and a failed read) compares it with the one after. */
  before: FileStamp = { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 };
  /** The SHA-256 of the file `before` describes, once startHash has begun it. */
  hashing: Promise<string> | null = null;
  readonly #t0 = performance.now();
  readonly #now: () => Date;
  #snapshot: Promise<Database> | null = null;
  #settled = false;

  constructor(options: LoadOptions) {
    this.options = options;
    this.#now = options.now ?? (() => new Date());
    this.started = this.#now();
    const id = newRunId(this.started);
    this.live = snapshotPath(options.dataDir);
    this.temp = tempSnapshotPath(options.dataDir, id);
    this.run = {
      id, kind: "relationships", status: "failed", started_at: this.started.toISOString(), finished_at: "",
      file: null, counts: {}, findings: [], changes: {}, error: null, version_id: null,
    };
  }

  get file(): RunFile | null {
    return this.run.file;
  }

  set file(file: RunFile | null) {
    this.run.file = file;
  }


  /** Creates the new snapshot file once (and never after the load has ended). */
  startSnapshot(): Promise<Database> | null {
    if (!this.#settled && !this.#snapshot) {
      this.#snapshot = createSnapshot(this.temp);
      this.#snapshot.catch(() => {}); // awaited when building; this only keeps an early failure quiet
    }
    return this.#snapshot;
  }

  /** The new snapshot file, open (started now unless the hash phase did). */
  async newSnapshot(): Promise<Database> {
    const db = await this.startSnapshot();
    if (!db) throw new LoadError("internal", "The new snapshot could not be started");
    return db;
  }

  /** Closes and deletes the snapshot file of a load that did not publish. */
  async dropSnapshot(): Promise<void> {
    this.#settled = true;
    const db = this.#snapshot && (await this.#snapshot.catch(() => null));
    db?.close();
    for (const path of [this.temp, `${this.temp}.wal`, `${this.temp}.tmp`]) rmSync(path, { force: true, recursive: true });
  }

  recordSkip(published: PublishedVersion | null, failed: RunRecord | null, sha256: string): LoadResult {
    this.run.status = "skipped";
    if (published === null || (published.sha256 !== sha256 && !published.withdrawn.some((w) => w.sha256 === sha256))) {
      // The bytes a load failed on (failed.file.sha256 is sha256: isUnchanged() said so).
      this.run.version_id = published?.version_id ?? null;
      this.run.error = failedBefore("The workbook", failed!);
      return this.#record([]);
    }
    this.run.version_id = published.version_id;
    const withdrawn = sha256 === published.sha256 ? undefined : published.withdrawn.find((w) => w.sha256 === sha256);
    this.run.error =
      withdrawn === undefined
        ? { code: "unchanged", message: `The workbook is identical to published version ${published.version_id}; nothing to load (use --force to reload)` }
        : {
            code: "withdrawn",
            message:
              `The workbook is identical to version ${withdrawn.version_id}, which restoring version ${published.restored_from} (published as version ` +
              `${published.version_id}) withdrew; nothing to load until the file changes (use --force to load it anyway)`,
          };
    return this.#record([]);
  }

  /** A restore of the data that is served already: nothing to publish (a new version would change nothing). */
  recordAlreadyServed(published: PublishedVersion, version: number): LoadResult {
    this.run.status = "skipped";
    this.run.version_id = published.version_id;
    const served = published.version_id === version ? `version ${version} is the one served` : `version ${published.version_id}, the one served, is already a restore of version ${version}`;
    this.run.error = { code: "already-served", message: `Nothing to restore: ${served}` };
    return this.#record([]);
  }

  recordSuccess(summary: SnapshotSummary, actors: ActorRecord[], extras: { kept?: RunKept; parquet?: RunParquet }): LoadResult {
    // Counted over the published actors (`in_matrix`, `in_list`), as a restore counts them: the
    // header alone left out an actor whose row is not a column (row_not_in_header), published all the same.
    const count = (has: (a: ActorRecord) => boolean) => actors.filter(has).length;
    return this.recordPublished(summary, { actors: actors.length, matrix_actors: count((a) => a.in_matrix), list_actors: count((a) => a.in_list) }, extras);
  }

  /** Records a published version: its counts (actors, pairs and those the findings count), changes and findings. */
  recordPublished(
    summary: SnapshotSummary,
    counts: { actors: number; matrix_actors: number; list_actors: number },
    extras: { kept?: RunKept; parquet?: RunParquet },
  ): LoadResult {
    const count = (check: string) => summary.findings.find((f) => f.check === check)?.count ?? 0;
    this.run.status = "succeeded";
    this.run.version_id = summary.versionId;
    this.run.compared_with = summary.comparedWith;
    this.run.findings = summary.findings;
    this.run.changes = { ...summary.changes };
    this.run.counts = { ...counts, pairs: summary.pairs, asymmetric_pairs: count("asymmetric_pair"), unknown_cells: count("unknown_cells") };
    if (extras.kept) this.run.kept = extras.kept;
    if (extras.parquet) this.run.parquet = extras.parquet;
    return this.#record(summary.changePreview);
  }

  async recordFailure(error: unknown): Promise<LoadResult> {
    await this.dropSnapshot();
    const file = this.run.file;
    // Not for a stopped load: it is to end promptly, and read none of the file it would vouch for.
    // The hash of the file the load opened, not of whatever has the name now.
    if (file && !file.sha256 && !(error instanceof LoadStopped)) file.sha256 = await (this.hashing ?? Promise.resolve("")).catch(() => "");
    // A file that changed while it was read was judged in no version: no hash, so the schedule
    // (changedSinceLastLoad) does not take the version now there, or the one before, as read.
    if (file && error instanceof LoadError && error.code === "file-changed") file.sha256 = "";
    // A busy lock is another load doing the work: a skip (design/system), not a failure.
    this.run.status = error instanceof LockBusyError ? "skipped" : "failed";
    this.run.error = describe(error);
    const shownAs = this.options.shownAs;
    if (shownAs !== undefined) this.run.error.message = this.run.error.message.replaceAll(this.options.workbook, () => shownAs);
    if (error instanceof LoadError && error.findings !== undefined) this.run.findings = error.findings;
    return this.#record([]);
  }

  #record(changePreview: ChangeRow[]): LoadResult {
    this.run.finished_at = this.#now().toISOString();
    appendRun(this.options.dataDir, this.run);
    return { run: this.run, changePreview, durationMs: performance.now() - this.#t0 };
  }
}

/**
 * Returns the published version as `run` (the last succeeded load in the run log) knows it, when
 * the live snapshot is provably the file that run published (last written between the run's start
 * and finish, give or take 20 ms, or 1 s where mtimes are whole seconds), else null. This keeps DuckDB out of a load until the hash says the file is new: an
 * unchanged file (the daily run, usually) is skipped without loading the driver at all, and a new
 * one does not wait for a DuckDB open of the live file before it starts reading. A snapshot
 * replaced by hand, or a crash between publishing and logging, fails the check and
 * `publishedVersion()` reads the file.
 */
function loggedVersion(live: string, run: RunRecord | undefined): PublishedVersion | null {
  // After a restore the snapshot is read: it knows which workbooks the restore withdrew.
  if (!run?.version_id || !run.file?.sha256 || run.restored_from !== undefined) return null;
  let written: number;
  try {
    written = statSync(live).mtimeMs;
  } catch {
    return null;
  }
  // Slack for the file system's clock: 1 s where mtimes are whole seconds, else the few ms by which
  // the kernel's coarse clock, which stamps files, trails Date.now(). Not 1 s everywhere: a load
  // killed between publishing and recording, within a second of the run before it, left a file
  // that run seemed to vouch for, and the next load trusted the log over the file.
  const slack = written % 1000 === 0 ? 1000 : 20;
  const during = written >= Date.parse(run.started_at) - slack && written <= Date.parse(run.finished_at) + slack;
  return during ? { version_id: run.version_id, sha256: run.file.sha256, restored_from: null, withdrawn: [] } : null;
}

/**
 * The published version as a load needs to know it: its number and workbook hash and, when it is
 * a restore, the versions the restore withdrew (between the restored one and the restore), whose
 * workbooks a load skips.
 */
export interface PublishedVersion {
  version_id: number;
  sha256: string;
  restored_from: number | null;
  withdrawn: { version_id: number; sha256: string }[];
}

/**
 * Returns the version and SHA-256 of the published snapshot, or null when there is none or it is
 * not a snapshot that can be read (corrupt: a load then starts a new history, and says so). A file
 * another process holds open read-write (an analyst's DuckDB CLI) is read from a private copy
 * (readSnapshot()): taken for "nothing published", it let the next load publish again a workbook a
 * restore had withdrawn; for the same reason a copy that cannot be made throws (SnapshotCopyError)
 * rather than return null. Call with the load lock held.
 *
 * @example
 * ```ts
 * await publishedVersion("data/relationships.duckdb"); // { version_id: 3, sha256: "9f..." }
 * ```
 */
export async function publishedVersion(path: string): Promise<PublishedVersion | null> {
  try {
    statSync(path);
  } catch {
    return null;
  }
  try {
    return await readSnapshot(path, "live", async (db) => {
      const row = await db.one<{ version_id: number; sha256: string }>("SELECT version_id, sha256 FROM live.snapshot_info LIMIT 1");
      if (row === undefined) return null;
      // Apart: a snapshot of schema version 2 has no restored_from, and is no restore.
      const restore = await db
        .all<{ restored_from: number | null; version_id: number | null; sha256: string | null }>(
          `SELECT r.restored_from, w.version_id, w.sha256 FROM live.versions r
           LEFT JOIN live.versions w ON w.version_id > r.restored_from AND w.version_id < r.version_id AND w.sha256 <> r.sha256
           WHERE r.version_id = $1 AND r.restored_from IS NOT NULL ORDER BY w.version_id`,
          [row.version_id],
        )
        .catch(() => []);
      return {
        ...row,
        restored_from: restore[0]?.restored_from ?? null,
        withdrawn: restore.filter((w) => w.version_id !== null).map((w) => ({ version_id: w.version_id!, sha256: w.sha256! })),
      };
    });
  } catch (error) {
    if (error instanceof SnapshotCopyError) throw error;
    return null;
  }
}

/** The name hints of the matrix's and of the list's sheet, in their order (see `sheetCandidates`). */
const MATRIX_HINTS = ["matriz", "adyacencia", "matrix"];
const LIST_HINTS = ["lista", "actores", "actors"];

/** One table read from the first of its candidate sheets that holds it (`firstHolding`). */
interface HeldRead<T> {
  /** The sheet read: the first that holds the table (or fits best), else the first candidate. */
  sheet: string;
  value: T;
  /** That sheet's findings; when no candidate holds the table, every candidate's (each names its sheet). */
  findings: Findings;
  /** The candidates read and not taken, in their order, each with why (empty when none holds the table). */
  passedOver: PassedOver[];
}

/** A candidate sheet read and not taken: `held` when it held the table but another fit better. */
interface PassedOver {
  sheet: string;
  why: string;
  held: boolean;
}

/** How well a table read fits: `score` (more is better), `whole` when nothing could fit better, and `why` another fitting `best` better was taken over it. */
type Fit<T> = (value: T) => { score: number; whole: boolean; why: (best: { sheet: string; score: number }) => string };

/**
 * Reads `candidates` in order, each into its own findings, until one holds the table: a sheet
 * named only by a hint ("Resumen de la matriz", a few totals) before the real one ("Matriz de
 * adyacencia 2026") was read alone and the load refused with `matrix_not_found`. With `fit` and
 * several candidates, a sheet holding the table is taken only when `whole`, else the reading goes
 * on and the best fit is taken (ties to the earlier): a summary "Resumen de actores" with a row
 * "Total | 3" was read as the list before "Actores 2026" (review). Sheets after the one taken are
 * never opened. When none holds it, the first is returned with the findings of all, so the
 * refusal names every sheet looked in. `missing` says why a sheet holding no table was passed over.
 */
async function firstHolding<T>(
  candidates: readonly string[],
  missing: string,
  read: (sheet: string, findings: Findings) => Promise<{ value: T; holds: boolean }>,
  fit?: Fit<T>,
): Promise<HeldRead<T>> {
  const all = new Findings();
  let first: HeldRead<T> | null = null;
  let best: (HeldRead<T> & { score: number }) | null = null;
  const tried: { sheet: string; held: ReturnType<Fit<T>> | null }[] = [];
  for (const sheet of candidates) {
    const found = new Findings();
    const { value, holds } = await read(sheet, found);
    if (!holds) {
      first ??= { sheet, value, findings: all, passedOver: [] };
      all.absorb(found);
      tried.push({ sheet, held: null });
      continue;
    }
    const fits = candidates.length > 1 ? fit?.(value) : undefined;
    if (fits === undefined) return { sheet, value, findings: found, passedOver: tried.map((r) => ({ sheet: r.sheet, why: missing, held: false })) };
    tried.push({ sheet, held: fits });
    if (best === null || fits.score > best.score) best = { sheet, value, findings: found, passedOver: [], score: fits.score };
    if (fits.whole) break;
  }
  if (best === null) return first!;
  const chosen = best;
  const passedOver = tried
    .filter((r) => r.sheet !== chosen.sheet)
    .map((r) => ({ sheet: r.sheet, why: r.held === null ? missing : r.held.why(chosen), held: r.held !== null }));
  return { sheet: chosen.sheet, value: chosen.value, findings: chosen.findings, passedOver };
}

/**
 * How well an actor list fits `matrix`: the number of the matrix's ids (header and rows) it lists,
 * whole when it lists every one.
 */
function coverage(matrix: Matrix): Fit<ActorList> {
  const ids = new Set([...matrix.ids, ...matrix.rows.map((r) => r.id)]);
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (list) => {
    const listed = new Set(list.actors.map((a) => a.id));
    const score = [...listed].filter((id) => ids.has(id)).length;
    return {
      score,
      whole: score === ids.size,
      why: (best) =>
        `its ${plural(listed.size, "actor id matches", "actor ids match")} ${score === 0 ? "none" : score} of the matrix's ${ids.size}, '${best.sheet}' ${best.score === ids.size ? `all ${ids.size}` : best.score === score ? "as many" : best.score}`,
    };
  };
}

/**
 * The first of `sheetCandidates()`: the sheet a table is read from when the first candidate holds it.
 *
 * @example
 * ```ts
 * findSheet(["Hoja1", "MATRIZ"], "Matriz de adyacencia", ["matriz"]); // "MATRIZ"
 * findSheet(["Matriz de actores", "Actores"], "Lista de actores", ["lista", "actores"], ["Matriz de actores"]); // "Actores"
 * findSheet(["Matriz de adyacencia", "Matriz de adyacencia "], "Matriz de adyacencia", ["matriz"], [], ["Matriz de adyacencia"]); // "Matriz de adyacencia "
 * ```
 */
export function findSheet(...args: Parameters<typeof sheetCandidates>): string {
  return sheetCandidates(...args)[0]!;
}

/**
 * The sheets a table may be read from, in the order they are tried: the sheet named `preferred`
 * alone, else the one whose name matches ignoring case and accents alone, else every sheet
 * containing a hint word, the hints tried in their order (a sheet holding the first hint comes
 * before an earlier sheet holding a later one: "Lista actores" before "Resumen actores"); the load
 * reads the first that holds the table (the list: that fits the matrix's ids best; `firstHolding`). Sheets in `taken` (already read as another
 * table) are never candidates. At each of those levels a sheet in `hidden` (Excel does not show it:
 * an old copy, or a lookup list kept out of the way) comes after the visible ones, and a hidden
 * sheet named exactly beats a visible one holding only a hint. Sheets in `charts` (chart sheets,
 * which hold no cells) are never candidates: a chart sheet "Gráfico de la matriz" before the data's
 * "Adyacencia" was read as the matrix and the load refused with `matrix_not_found`. Throws
 * LoadError("missing-sheet") naming the sheets that exist when there is none.
 *
 * @example
 * ```ts
 * sheetCandidates(["Resumen de la matriz", "Matriz 2026"], "Matriz de adyacencia", ["matriz"]); // ["Resumen de la matriz", "Matriz 2026"]
 * sheetCandidates(["Resumen de la matriz", "Matriz de adyacencia"], "Matriz de adyacencia", ["matriz"]); // ["Matriz de adyacencia"]
 * ```
 */
export function sheetCandidates(
  names: readonly string[],
  preferred: string,
  hints: readonly string[],
  taken: readonly string[] = [],
  hidden: readonly string[] = [],
  charts: readonly string[] = [],
): string[] {
  const free = names.filter((n) => !taken.includes(n) && !charts.includes(n));
  const visible = free.filter((n) => !hidden.includes(n));
  const unseen = free.filter((n) => hidden.includes(n));
  const key = (s: string) => fold(s).trim();
  // Level by level, a visible sheet before a hidden one: first the name (as written, then folded:
  // a visible "Matriz de adyacencia " beats a hidden old copy named exactly), then each hint (a
  // hidden list named exactly beats a visible "Resumen por actores" holding only the hint).
  const byName = (list: readonly string[]) => (list.includes(preferred) ? preferred : list.find((n) => key(n) === key(preferred)));
  const named = byName(visible) ?? byName(unseen);
  if (named !== undefined) return [named];
  const hinted = new Set<string>();
  for (const hint of hints) {
    for (const n of [...visible, ...unseen]) if (key(n).includes(hint)) hinted.add(n);
  }
  if (hinted.size > 0) return [...hinted];
  const described = (n: string) => `'${n}'${taken.includes(n) ? " (read as the matrix)" : charts.includes(n) ? " (a chart sheet)" : hidden.includes(n) ? " (hidden)" : ""}`;
  throw new LoadError("missing-sheet", `Cannot find sheet '${preferred}'; the workbook has ${names.map(described).join(", ") || "no sheets"}`);
}

/** What tells one version of the workbook file from another without reading it. */
interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/**
 * The workbook opened once, with its stamp from that descriptor; `fd` is null when it cannot be
 * opened but can be seen (no read permission): the read then fails and says so ('unreadable').
 */
function openWorkbookFile(path: string): { fd: number | null; before: FileStamp } {
  let fd: number;
  try {
    // Non-blocking: a FIFO in its place would hold the open until a writer came.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return { fd: null, before: statFile(path) };
  }
  try {
    return { fd, before: stampOf(fstatSync(fd), path) };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function stampOf(s: Stats, path: string): FileStamp {
  if (!s.isFile()) throw new LoadError("not-found", `'${path}' is not a file`);
  return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
}

function statFile(path: string): FileStamp {
  try {
    return stampOf(statSync(path), path);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    // A folder on the way we may not search hides the file from us: no permission, not missing.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") throw new LoadError("unreadable", `Cannot read the workbook '${path}': no permission to reach it (${code})`);
    throw new LoadError("not-found", `Cannot find the workbook '${path}'`);
  }
}

/** Yields `rows` until the hash shows the file `unchanged`, or the load is told to `stop` (then with its reason). */
async function* abortable<T>(rows: AsyncIterable<T>, unchanged: AbortSignal, stop: AbortSignal | undefined): AsyncIterable<T> {
  for await (const row of rows) {
    stop?.throwIfAborted();
    if (unchanged.aborted) throw new LoadError("unchanged", "The workbook is unchanged");
    yield row;
  }
}

function describe(error: unknown): { code: string; message: string } {
  // Only ever thrown before the publishing rename (see LoadOptions.signal).
  if (error instanceof LoadStopped) return { code: error.code, message: `${error.message} before it published; nothing was loaded (the published version stays)` };
  if (error instanceof LoadError || error instanceof XlsxError || error instanceof LockBusyError || error instanceof SnapshotCopyError) {
    return { code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return { code: "internal", message: `The load failed unexpectedly: ${message}` };
}
