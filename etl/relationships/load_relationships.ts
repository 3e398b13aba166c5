/**
 * One relationship load, start to finish: lock, hash, skip-if-unchanged, read both sheets, check,
 * build a new snapshot file, publish it atomically, and record the run. It never throws for a bad
 * file: every outcome (succeeded, skipped, failed) is a RunRecord appended to runs.jsonl, and a
 * failure leaves the live snapshot untouched because only a finished file is ever renamed in.
 */
import { rmSync, statSync } from "node:fs";
import { basename } from "node:path";
import { Database } from "../db/mod.ts";
import { appendRun, lastRun, newRunId, type RunFile, type RunRecord } from "../runs/mod.ts";
import { fold } from "../text/mod.ts";
import { openWorkbook, XlsxError } from "../xlsx/mod.ts";
import { Findings } from "./findings.ts";
import { hashFile } from "./hash_file.ts";
import { acquireLoadLock, LockBusyError } from "./lock.ts";
import { buildActors } from "./model.ts";
import { publishSnapshot, removeStaleTemps, snapshotPath, tempSnapshotPath } from "./publish.ts";
import { readActorList, type ActorList } from "./read_actor_list.ts";
import { readMatrix, type Matrix } from "./read_matrix.ts";
import { createSnapshot, writeSnapshot, type ChangeRow } from "./write_snapshot.ts";

/** The sheet names of the users' workbook; other names are matched loosely (see `findSheet`). */
export const MATRIX_SHEET = "Matriz de adyacencia";
export const LIST_SHEET = "Lista de actores";

/** A load that cannot proceed, with a code for machines and a plain message for people. */
export class LoadError extends Error {
  override readonly name = "LoadError";
  constructor(
    readonly code: string,
    message: string,
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
  onPhase?: (phase: "hashing" | "reading" | "building" | "publishing") => void;
  /** Largest inflated sheet accepted (zip-bomb guard); default `MAX_SHEET_BYTES`. */
  maxSheetBytes?: number;
  /** Clock, for tests. */
  now?: () => Date;
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
 * Loads the workbook into `<dataDir>/relationships.duckdb` and returns the recorded run.
 *
 * @example
 * ```ts
 * const { run } = await loadRelationships({ workbook: "data/relaciones.xlsx", dataDir: "data" });
 * run.status; // "succeeded" | "skipped" | "failed"
 * ```
 */
export async function loadRelationships(options: LoadOptions): Promise<LoadResult> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  const runId = newRunId(started);
  const { dataDir } = options;
  const live = snapshotPath(dataDir);
  const temp = tempSnapshotPath(dataDir, runId);
  const run: RunRecord = {
    id: runId, kind: "relationships", status: "failed", started_at: started.toISOString(), finished_at: "",
    file: null, counts: {}, findings: [], changes: {}, error: null, version_id: null,
  };
  let changePreview: ChangeRow[] = [];
  let release: (() => void) | null = null;
  // The new snapshot file is created while the workbook is still being read (once the hash says
  // the file is new), so DuckDB's start-up overlaps the parse. `settled` stops a late hash from
  // creating it after the load has already ended.
  let snapshot: Promise<Database> | null = null;
  let settled = false;
  const startSnapshot = () => {
    if (!settled && !snapshot) {
      snapshot = createSnapshot(temp);
      snapshot.catch(() => {}); // awaited when building; this only keeps an early failure quiet
    }
    return snapshot;
  };
  const dropSnapshot = async () => {
    settled = true;
    const db = snapshot && (await snapshot.catch(() => null));
    db?.close();
    for (const path of [temp, `${temp}.wal`, `${temp}.tmp`]) rmSync(path, { force: true, recursive: true });
  };
  try {
    release = acquireLoadLock(dataDir);
    removeStaleTemps(dataDir);
    options.onPhase?.("hashing");
    const before = statFile(options.workbook);
    const file: RunFile = { name: basename(options.workbook), path: options.workbook, size: before.size, sha256: "" };
    run.file = file;
    // The hash runs on a worker while the main thread parses; an unchanged file is detected as
    // soon as the hash is known and the parse is abandoned.
    const hashing = hashFile(options.workbook);
    hashing.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    const published = await publishedVersion(live);
    const unchanged = new AbortController();
    if (!options.force && published) {
      hashing.then((sha) => sha === published.sha256 && unchanged.abort(), () => {});
    }
    hashing.then(
      (sha) => {
        if (options.force || !published || sha !== published.sha256) startSnapshot();
      },
      () => {},
    );
    const skip = async (): Promise<LoadResult | null> => {
      file.sha256 = await hashing;
      if (options.force || !published || published.sha256 !== file.sha256) return null;
      run.status = "skipped";
      run.version_id = published.version_id;
      run.error = {
        code: "unchanged",
        message: `The workbook is identical to published version ${published.version_id}; nothing to load (use --force to reload)`,
      };
      return finish();
    };

    options.onPhase?.("reading");
    const findings = new Findings();
    let matrix: Matrix | null;
    let list: ActorList;
    let matrixSheet: string;
    let listSheet: string;
    try {
      const workbook = await openWorkbook(options.workbook, { maxEntryBytes: options.maxSheetBytes ?? MAX_SHEET_BYTES });
      try {
        matrixSheet = findSheet(workbook.sheetNames, MATRIX_SHEET, ["matriz", "adyacencia", "matrix"]);
        listSheet = findSheet(workbook.sheetNames, LIST_SHEET, ["lista", "actores", "actors"]);
        list = await readActorList(abortable(workbook.rows(listSheet), unchanged.signal), { sheet: listSheet, findings });
        matrix = await readMatrix(
          abortable(workbook.rows(matrixSheet, { onProgress: options.onProgress }), unchanged.signal),
          { sheet: matrixSheet, findings },
        );
      } finally {
        await workbook.close();
      }
    } catch (error) {
      // An unchanged file is a skip even if it is one we could not read (it was loaded before).
      const skipped = await skip().catch(() => null);
      if (skipped) return skipped;
      throw error;
    }
    const skipped = await skip();
    if (skipped) return skipped;
    const after = statFile(options.workbook);
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      throw new LoadError("file_changed", `The workbook '${file.name}' changed while it was being read; try again once it is fully written`);
    }
    if (!matrix || findings.hasErrors) {
      run.findings = findings.list();
      const first = run.findings.find((f) => f.severity === "error");
      throw new LoadError("invalid_data", `${first?.message ?? "The workbook has errors"}; the previous version stays published`);
    }

    const actors = buildActors(matrix, list, findings);
    options.onPhase?.("building");
    const fallbackVersionId = (lastRun(dataDir, "relationships", "succeeded")?.version_id ?? 0) + 1;
    const db = await startSnapshot();
    if (!db) throw new LoadError("internal", "The new snapshot could not be started");
    const summary = await writeSnapshot({
      db,
      previousPath: published ? live : null,
      matrix,
      actors,
      findings,
      version: { runId, loadedAt: started, fileName: file.name, sha256: file.sha256, size: file.size, matrixSheet, listSheet },
      fallbackVersionId,
    });
    options.onPhase?.("publishing");
    publishSnapshot(temp, live);

    const count = (check: string) => summary.findings.find((f) => f.check === check)?.count ?? 0;
    run.status = "succeeded";
    run.version_id = summary.versionId;
    run.findings = summary.findings;
    run.changes = { ...summary.changes };
    run.counts = {
      actors: actors.length,
      matrix_actors: matrix.ids.length,
      list_actors: list.actors.length,
      pairs: summary.pairs,
      asymmetric_pairs: count("asymmetric_pair"),
      unknown_cells: count("unknown_cells"),
    };
    changePreview = summary.changePreview;
    return finish();
  } catch (error) {
    await dropSnapshot();
    if (run.file && !run.file.sha256) run.file.sha256 = await hashFile(run.file.path).catch(() => "");
    // A busy lock is another load doing the work: a skip (design/system), not a failure.
    run.status = error instanceof LockBusyError ? "skipped" : "failed";
    run.error = describe(error);
    return finish();
  } finally {
    // A skipped load (or one that failed) must not leave its half-made file behind.
    if (run.status !== "succeeded") await dropSnapshot();
    release?.();
  }

  function finish(): LoadResult {
    run.finished_at = now().toISOString();
    appendRun(dataDir, run);
    return { run, changePreview, durationMs: performance.now() - t0 };
  }
}

/**
 * Returns the version and SHA-256 of the published snapshot, or null when there is none or it
 * cannot be read (a load then starts a new history).
 *
 * @example
 * ```ts
 * await publishedVersion("data/relationships.duckdb"); // { version_id: 3, sha256: "9f..." }
 * ```
 */
export async function publishedVersion(path: string): Promise<{ version_id: number; sha256: string } | null> {
  try {
    statSync(path);
  } catch {
    return null;
  }
  let db: Database | null = null;
  try {
    db = await Database.open(path, { readOnly: true });
    const row = await db.one<{ version_id: number; sha256: string }>("SELECT version_id, sha256 FROM snapshot_info LIMIT 1");
    return row ?? null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/**
 * Picks the sheet named `preferred`, else one whose name matches ignoring case and accents, else
 * one containing a hint word. Throws LoadError("missing_sheet") naming the sheets that exist.
 *
 * @example
 * ```ts
 * findSheet(["Hoja1", "MATRIZ"], "Matriz de adyacencia", ["matriz"]); // "MATRIZ"
 * ```
 */
export function findSheet(names: readonly string[], preferred: string, hints: readonly string[]): string {
  if (names.includes(preferred)) return preferred;
  const key = (s: string) => fold(s).trim();
  const exact = names.find((n) => key(n) === key(preferred));
  if (exact) return exact;
  const hinted = names.find((n) => hints.some((h) => key(n).includes(h)));
  if (hinted) return hinted;
  throw new LoadError(
    "missing_sheet",
    `Cannot find sheet '${preferred}'; the workbook has ${names.map((n) => `'${n}'`).join(", ") || "no sheets"}`,
  );
}

function statFile(path: string): { size: number; mtimeMs: number } {
  try {
    const s = statSync(path);
    if (!s.isFile()) throw new LoadError("not_found", `'${path}' is not a file`);
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError("not_found", `Cannot find the workbook '${path}'`);
  }
}

/** Yields `rows` until `signal` aborts, then stops with the signal's reason. */
async function* abortable<T>(rows: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  for await (const row of rows) {
    if (signal.aborted) throw new LoadError("unchanged", "The workbook is unchanged");
    yield row;
  }
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof LoadError || error instanceof XlsxError || error instanceof LockBusyError) {
    return { code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return { code: "internal", message: `The load failed unexpectedly: ${message}` };
}
