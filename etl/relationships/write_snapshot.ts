/**
 * Builds one snapshot database file from a parsed workbook: the tables of schema.sql bulk-loaded
 * with appenders, the history carried forward from the previous snapshot (attached read-only) plus
 * this version's changes, then CHECKPOINTed and closed so the file is complete on its own (no WAL).
 * The caller publishes the file; this module never touches the live snapshot.
 */
import { Database, readSql } from "../db/mod.ts";
import type { Finding } from "../runs/mod.ts";
import { attachSnapshot, SnapshotCopyError, withSnapshot } from "./attach_snapshot.ts";
import { Findings } from "./findings.ts";
import { forEachPair, rowString, type ActorRecord } from "./model.ts";
import type { PreviousSnapshot } from "./previous_version.ts";
import type { Matrix } from "./read_matrix.ts";

/**
 * Bumped when schema.sql changes shape; readers can check `snapshot_info.schema_version`.
 * 3: `versions.restored_from`. 4: `changes.letter_code`. 5: `findings.cell_values`.
 */
export const SCHEMA_VERSION = 5;

/** What the new version is. */
export interface VersionInfo {
  runId: string;
  loadedAt: Date;
  fileName: string;
  sha256: string;
  size: number;
  matrixSheet: string;
  listSheet: string;
}

/** Counts of what changed against the previous snapshot (all zero for the first version). */
export interface ChangeCounts {
  actors_added: number;
  actors_removed: number;
  actors_changed: number;
  pairs_added: number;
  pairs_removed: number;
  pairs_changed: number;
}

/** One row of the `changes` table (for summaries). */
export interface ChangeRow {
  entity: "actor" | "pair";
  change: "added" | "removed" | "changed";
  numeric_id: number | null;
  person_a: number | null;
  person_b: number | null;
  field: string | null;
  old_value: string | null;
  new_value: string | null;
}

/** The result of building a snapshot. */
export interface SnapshotSummary {
  versionId: number;
  /** The version the changes are counted against (the previous snapshot's own); null when none was read. */
  comparedWith: number | null;
  pairs: number;
  changes: ChangeCounts;
  /** The first changes of this version, for a human summary. */
  changePreview: ChangeRow[];
  /** Findings as published (including asymmetric pairs found while loading). */
  findings: Finding[];
}

/**
 * Creates a new snapshot file at `path` (which must not exist) with the tables of schema.sql and
 * returns it open, for `writeSnapshot()`. The load starts this while it is still reading the
 * workbook: opening DuckDB and running the DDL take a few hundred milliseconds on other threads.
 *
 * @example
 * ```ts
 * const db = await createSnapshot("data/.relationships-20260303T000000Z-ab12.duckdb");
 * ```
 */
export async function createSnapshot(path: string, settings?: Record<string, string>): Promise<Database> {
  // Two threads are plenty for appenders and a few joins; the memory limit keeps big loads
  // inside the RSS budget by letting DuckDB spill its join state instead of growing.
  const db = await Database.open(path, {
    settings: { threads: "2", memory_limit: "256MB", preserve_insertion_order: "false", ...settings },
  });
  try {
    await db.run(readSql(import.meta.url, "schema.sql"));
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Fills the new snapshot `db` (from `createSnapshot()`), checkpoints and closes it. `previous`
 * (previousSnapshot()) says which snapshot to compare with and carry the history of, read only,
 * and the lowest number the version may take. The caller publishes the file.
 *
 * @example
 * ```ts
 * const db = await createSnapshot(tmp);
 * const summary = await writeSnapshot({ db, previous: previousSnapshot("data", live), matrix, actors, findings, version });
 * summary.versionId; // 4
 * ```
 */
export async function writeSnapshot(options: {
  db: Database;
  previous: PreviousSnapshot;
  matrix: Matrix;
  actors: ActorRecord[];
  findings: Findings;
  version: VersionInfo;
}): Promise<SnapshotSummary> {
  const { db, matrix, actors, findings } = options;
  try {
    const pairs = await appendPairs(db, matrix, actors, findings);
    await appendMatrixRows(db, matrix);
    await insertMatrixLayout(db, matrix);
    await appendActors(db, actors);
    return await recordVersion(db, {
      ...options,
      counts: { actors: actors.length, pairs },
      restoredFrom: null,
      findings: (historyError) => {
        if (historyError !== null) findings.add("history_unavailable", [], historyError);
        return findings.list();
      },
    });
  } finally {
    db.close();
  }
}

/** What `copySnapshot()` publishes again: the kept snapshot's own record of its workbook. */
export interface CopiedVersion {
  versionId: number;
  fileName: string;
  sha256: string;
  size: number;
}

/**
 * Fills the new snapshot `db` (from `createSnapshot()`) with the data of the kept snapshot at
 * `sourcePath` (actors, pairs, heat-map rows, layout, findings) as a new version numbered after
 * the live one, whose history it carries forward, plus the changes from the live version back to
 * the source's data; `versions.restored_from` says which version it restores. Checkpoints and
 * closes it; the caller publishes the file. Returns the summary and what the source was.
 *
 * @example
 * ```ts
 * const db = await createSnapshot(tmp);
 * const { summary, source } = await copySnapshot({ db, sourcePath: kept, previous: previousSnapshot("data", live), runId, loadedAt });
 * summary.versionId; // 5, restoring source.versionId 2
 * ```
 */
export async function copySnapshot(options: {
  db: Database;
  sourcePath: string;
  previous: PreviousSnapshot;
  runId: string;
  loadedAt: Date;
}): Promise<{ summary: SnapshotSummary; source: CopiedVersion; counts: { actors: number; matrix_actors: number; list_actors: number } }> {
  const { db } = options;
  try {
    // A kept snapshot is a copy of a once-live file, which an analyst may still hold read-write.
    // withSnapshot() detaches on every path: a private copy read for a locked file is removed then.
    const { info, kept, counts } = await withSnapshot(db, options.sourcePath, "src", () => readSource(db, options.sourcePath));
    const source: CopiedVersion = { versionId: info.version_id, fileName: info.file_name, sha256: info.sha256, size: Number(info.size) };
    const summary = await recordVersion(db, {
      previous: options.previous,
      version: {
        runId: options.runId, loadedAt: options.loadedAt, fileName: info.file_name, sha256: info.sha256, size: source.size,
        matrixSheet: info.matrix_sheet, listSheet: info.list_sheet,
      },
      counts,
      restoredFrom: info.version_id,
      findings: (historyError) => {
        // The source's findings about its workbook, not about its publication: its own
        // history_unavailable (its load could not read the snapshot before it) is no fact about
        // this one, which says so only when it cannot carry the history itself.
        const findings: Finding[] = kept.filter((f) => f.check !== "history_unavailable");
        if (historyError !== null) {
          const unavailable = new Findings();
          unavailable.add("history_unavailable", [], historyError);
          findings.push(...unavailable.list());
        }
        return findings;
      },
    });
    return { summary, source, counts: { actors: counts.actors, matrix_actors: counts.matrix_actors, list_actors: counts.list_actors } };
  } finally {
    db.close();
  }
}

/** Reads what copySnapshot() takes from the kept snapshot attached as `src`. */
async function readSource(db: Database, sourcePath: string) {
  const info = await db.one<{ version_id: number; file_name: string; sha256: string; size: bigint; matrix_sheet: string; list_sheet: string }>(
    "SELECT version_id, file_name, sha256, size, matrix_sheet, list_sheet FROM src.snapshot_info LIMIT 1",
  );
  if (info === undefined) throw new Error(`The kept snapshot '${sourcePath}' has no snapshot_info row`);
  // Same DDL on both sides (schema.sql): the tables copy column for column, by name.
  for (const table of ["actors", "user_relationships", "matrix_rows", "matrix_layout"]) {
    await db.run(`INSERT INTO ${table} BY NAME SELECT * FROM src.${table}`);
  }
  const kept = await readFindings(db, "src");
  const counts = (await db.one<{ actors: number; matrix_actors: number; list_actors: number; pairs: number }>(
    `SELECT count(*)::INTEGER AS actors, count(*) FILTER (in_matrix)::INTEGER AS matrix_actors, count(*) FILTER (in_list)::INTEGER AS list_actors,
            (SELECT count(*) FROM user_relationships)::INTEGER AS pairs FROM actors`,
  ))!;
  return { info, kept, counts };
}

/**
 * The part every new version shares, once its data tables are filled: the history carried forward
 * from the previous snapshot plus this version's changes, the `versions` and `snapshot_info` rows,
 * the findings (`findings()` is given why the history could not be read, or null), the counts
 * of what changed, and the CHECKPOINT that makes the file complete on its own.
 */
async function recordVersion(
  db: Database,
  options: {
    previous: PreviousSnapshot;
    version: VersionInfo;
    counts: { actors: number; pairs: number };
    restoredFrom: number | null;
    findings: (historyError: string | null) => Finding[];
  },
): Promise<SnapshotSummary> {
  const { version } = options;
  let versionId = options.previous.nextVersionId;
  let comparedWith: number | null = null;
  const loadedAt = timestamp(version.loadedAt);
  let detachPrevious: (() => Promise<void>) | null = null;
  let historyError: string | null = options.previous.missing;
  if (options.previous.path !== null) {
    try {
      let next: number;
      ({ next, version: comparedWith, detach: detachPrevious } = await attachPrevious(db, options.previous));
      // Past both: the previous file's history may be behind runs.jsonl (an older kept version
      // copied over the live file), and a number given once must never name other data.
      versionId = Math.max(next, versionId);
    } catch (error) {
      // A snapshot held by another process that could not be copied is readable: restarting its
      // history would publish a version without it.
      if (error instanceof SnapshotCopyError) throw error;
      historyError = (error as Error).message.split("\n")[0].slice(0, 200);
      await db.run("DELETE FROM versions; DELETE FROM changes;");
    }
  }
  if (detachPrevious !== null) {
    try {
      for (const statement of statements(readSql(import.meta.url, "history.sql"))) {
        await db.run(statement, { version_id: versionId, run_id: version.runId, loaded_at: loadedAt });
      }
    } finally {
      await detachPrevious();
    }
  }
  await db.run(
    `INSERT INTO versions VALUES ($version_id, $run_id, CAST($loaded_at AS TIMESTAMP), $file_name, $sha256, $size, $actors, $pairs, $restored_from)`,
    {
      version_id: versionId, run_id: version.runId, loaded_at: loadedAt, file_name: version.fileName,
      sha256: version.sha256, size: version.size, actors: options.counts.actors, pairs: options.counts.pairs, restored_from: options.restoredFrom,
    },
  );
  await db.run(
    `INSERT INTO snapshot_info VALUES ($version_id, $run_id, CAST($loaded_at AS TIMESTAMP), $file_name, $sha256, $size, $matrix_sheet, $list_sheet, $schema_version)`,
    {
      version_id: versionId, run_id: version.runId, loaded_at: loadedAt, file_name: version.fileName,
      sha256: version.sha256, size: version.size, matrix_sheet: version.matrixSheet, list_sheet: version.listSheet,
      schema_version: SCHEMA_VERSION,
    },
  );
  const published = options.findings(historyError);
  await appendFindings(db, published);
  const changes = await countChanges(db, versionId);
  const changePreview = await db.all<ChangeRow>(
    `SELECT entity, change, numeric_id, person_a, person_b, field, old_value, new_value FROM changes
     WHERE version_id = $1 ORDER BY entity, change, coalesce(numeric_id, person_a), person_b, field LIMIT 20`,
    [versionId],
  );
  await db.run("CHECKPOINT");
  return { versionId, comparedWith, pairs: options.counts.pairs, changes, changePreview, findings: published };
}

async function appendPairs(db: Database, matrix: Matrix, actors: ActorRecord[], findings: Findings): Promise<number> {
  // Chunks of typed arrays: 450 k pairs at 3000 actors took 0.38 s row by row (five native calls
  // a pair) and take ~0.1 s this way; 13.4 M at 16,384 went from 15.7 s to ~8 s.
  const rows = await db.chunkAppender("user_relationships");
  try {
    return forEachPair(matrix, actors, findings, (a, b, aToB, bToA) => rows.int(a).int(b).bool(aToB).bool(bToA).endRow());
  } finally {
    rows.close();
  }
}

async function appendMatrixRows(db: Database, matrix: Matrix): Promise<void> {
  const rows = await db.appender("matrix_rows");
  const position = new Map<number, number>();
  matrix.ids.forEach((id, p) => {
    if (!position.has(id)) position.set(id, p);
  });
  // The appender buffers rows until it has thousands of them; 16,384 rows of 16,384 chars would
  // be 268 MB held at once (past the memory limit), so flush about every 8 MB instead.
  const rowsPerFlush = Math.max(64, Math.floor((8 << 20) / Math.max(1, matrix.ids.length)));
  try {
    matrix.rows.forEach((row, r) => {
      rows.int(row.id).int(position.get(row.id) ?? null).text(rowString(row, matrix.ids.length)).endRow();
      if ((r + 1) % rowsPerFlush === 0) rows.flush();
    });
  } finally {
    rows.close();
  }
}

async function insertMatrixLayout(db: Database, matrix: Matrix): Promise<void> {
  // One row; the per-position sheet rows go in as one list literal (16,384 bound parameters
  // would be one per element).
  const rowOf = new Map(matrix.rows.map((row) => [row.id, row.sheetRow]));
  const sheetRows = `[${matrix.ids.map((id) => rowOf.get(id) ?? "NULL").join(",")}]`;
  await db.run(
    "INSERT INTO matrix_layout VALUES ($sheet, $header_row, $first_col, $code_row, $id_col, $code_col, CAST($sheet_rows AS INTEGER[]))",
    {
      sheet: matrix.sheet, header_row: matrix.headerRow, first_col: matrix.firstCol, code_row: matrix.codeRow,
      id_col: matrix.idCol, code_col: matrix.codeCol, sheet_rows: sheetRows,
    },
  );
}

async function appendActors(db: Database, actors: ActorRecord[]): Promise<void> {
  const rows = await db.appender("actors");
  try {
    for (const a of actors) {
      rows.int(a.numeric_id).text(a.letter_code).text(a.actor_name).text(a.list_letter_code);
      rows.bool(a.in_matrix).bool(a.in_list).int(a.matrix_position).int(a.degree).int(a.unknown_cells).endRow();
    }
  } finally {
    rows.close();
  }
}

async function appendFindings(db: Database, findings: Finding[]): Promise<void> {
  // A handful of rows: plain INSERTs, with one bound parameter per item of the (capped) lists.
  for (const f of findings) {
    const params: (string | number | null)[] = [f.check, f.severity, f.message, f.count ?? f.cells.length];
    const list = (items: readonly (string | null)[]) => `CAST([${items.map((item) => `$${params.push(item)}`).join(", ")}] AS VARCHAR[])`;
    const cells = list(f.cells);
    const values = f.values === undefined ? "NULL" : list(f.values);
    await db.run(`INSERT INTO findings (check_name, severity, message, count, cells, cell_values) VALUES ($1, $2, $3, $4, ${cells}, ${values})`, params);
  }
}

/**
 * Reads the findings of the snapshot attached as `alias` back into the run record's form, `values`
 * only where the file kept some: by `SELECT *`, so a file of schema version 4 or older (no
 * `cell_values`) reads as findings without values.
 *
 * @example
 * ```ts
 * await readFindings(db, "src"); // [{ check: "code_mismatch_list", ..., values: ["AÑ", "AX"] }]
 * ```
 */
export async function readFindings(db: Database, alias: string): Promise<Finding[]> {
  const rows = await db.all<{ check_name: string; severity: Finding["severity"]; message: string; cells: string[]; count: number; cell_values?: (string | null)[] | null }>(
    `SELECT * FROM ${alias}.findings`,
  );
  return rows.map((f) => ({
    check: f.check_name,
    severity: f.severity,
    message: f.message,
    cells: [...f.cells],
    count: f.count,
    ...(f.cell_values != null ? { values: [...f.cell_values] } : {}),
  }));
}

/**
 * Attaches the previous snapshot read-only, copies its history, and returns the version id after
 * its history's last and the version it holds (what the new version's changes are counted against).
 */
async function attachPrevious(db: Database, previous: PreviousSnapshot): Promise<{ next: number; version: number | null; detach: () => Promise<void> }> {
  // Through attachSnapshot(): an analyst's read-write session on the live file must not cost the history.
  let detach = await attachSnapshot(db, previous.path!, "prev");
  try {
    const read = () =>
      db.one<{ next: number; version: number | null }>(
        `SELECT CAST(coalesce(max(version_id), 0) + 1 AS INTEGER) AS next,
                (SELECT CAST(max(version_id) AS INTEGER) FROM prev.snapshot_info) AS version FROM prev.versions`,
      );
    let row = await read();
    // The live file's version as it was published: an analyst's UPDATE or DELETE in the live file
    // (the DuckDB CLI opens read-write) became this version's changes, and a DELETE FROM changes
    // lost the history. The kept copy holds the published bytes; an unreadable one is passed over.
    const kept = typeof row?.version === "number" ? previous.kept(row.version) : null;
    if (kept !== null && kept !== previous.path) {
      await detach();
      let detachKept: (() => Promise<void>) | null = null;
      try {
        detachKept = await attachSnapshot(db, kept, "prev");
        const fromKept = await read();
        if (fromKept?.version !== row?.version) throw new Error(`${kept} holds version ${fromKept?.version}, not ${row?.version}`);
        row = fromKept;
        detach = detachKept;
      } catch {
        await detachKept?.().catch(() => {});
        detach = await attachSnapshot(db, previous.path!, "prev");
      }
    }
    // By name: a snapshot of schema version 2 has no `restored_from` (it becomes NULL).
    await db.run("INSERT INTO versions BY NAME SELECT * FROM prev.versions");
    // In the previous file's row order: the snapshot runs with preserve_insertion_order = false,
    // under which a plain INSERT ... SELECT reorders a large table, and `GET /changes` pages (and
    // the Parquet export orders) by rowid, so a cursor taken on the previous version must still
    // point at the same row in this one.
    // By name too: a snapshot of schema version 3 or older has no `letter_code` (NULL: not recorded then).
    await db.run("INSERT INTO changes BY NAME SELECT * FROM prev.changes ORDER BY rowid");
    return { next: row?.next ?? 1, version: row?.version ?? null, detach };
  } catch (error) {
    await detach().catch(() => {});
    throw error;
  }
}

async function countChanges(db: Database, versionId: number): Promise<ChangeCounts> {
  const rows = await db.all<{ key: string; n: number }>(
    `SELECT entity || 's_' || change AS key, CAST(count(DISTINCT coalesce(CAST(numeric_id AS VARCHAR), person_a || '-' || person_b)) AS INTEGER) AS n
     FROM changes WHERE version_id = $1 GROUP BY ALL`,
    [versionId],
  );
  const counts: ChangeCounts = { actors_added: 0, actors_removed: 0, actors_changed: 0, pairs_added: 0, pairs_removed: 0, pairs_changed: 0 };
  for (const { key, n } of rows) counts[key as keyof ChangeCounts] = n;
  return counts;
}

function statements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}

function timestamp(date: Date): string {
  return date.toISOString().replace("T", " ").replace("Z", "");
}
