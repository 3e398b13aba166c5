/**
 * Every published version as Parquet, for engines that do not speak DuckDB's file format (Spark,
 * Trino, pandas, polars, BI tools): after each publication the version's tables are written with
 * DuckDB's `COPY ... (FORMAT parquet, COMPRESSION zstd)` into Hive-style folders,
 *
 *     <parquet dir>/table=<name>/version=<N>/data.parquet
 *
 * for `actors`, `user_relationships`, `v_actor_relationships` (the view's rows, names included),
 * `findings`, and the history: `changes` (the changes version N made) and `versions` (version N's
 * row). Each file is written under a temp name and renamed, so a reader never sees half of one;
 * `versions` is written last, so a reader that starts from it sees only versions whose files are
 * all there. Files are never rewritten: a version's data does not change once published.
 *
 * What is missing is filled in too: kept snapshots (`<data dir>/snapshots/`) whose data files are
 * not there (Parquet turned on later, or an export that failed), and the `changes` of every version
 * in the live snapshot's history (with its `versions` row when its data files are there).
 */
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Database, quoteLiteral } from "../db/mod.ts";
import { isAlive, makeDirs } from "../files/mod.ts";
import type { RunParquet } from "../runs/mod.ts";
import { snapshotVersion, withSnapshot } from "./attach_snapshot.ts";
import { keptSnapshotPath, keptVersions } from "./keep_versions.ts";
import { firstLine } from "../text/mod.js";

/** The tables of one snapshot written per version, with the order that makes each file stable. */
const DATA_TABLES: readonly { name: string; query: string }[] = [
  { name: "actors", query: "SELECT * FROM s.actors ORDER BY numeric_id" },
  { name: "user_relationships", query: "SELECT * FROM s.user_relationships ORDER BY person_a, person_b" },
  { name: "v_actor_relationships", query: "SELECT * FROM s.v_actor_relationships ORDER BY person_a_id, person_b_id" },
  { name: "findings", query: "SELECT * FROM s.findings ORDER BY severity, check_name" },
];

/** The history tables, one partition per version; `versions` last (see above). */
const HISTORY_TABLES: readonly { name: string; query: string }[] = [
  { name: "changes", query: "SELECT * FROM s.changes WHERE version_id = {version} ORDER BY rowid" },
  { name: "versions", query: "SELECT * FROM s.versions WHERE version_id = {version}" },
];

/**
 * A temp file of a version's folder: hidden (a leading dot), since Spark, pyarrow and Hive read
 * every other file of a folder they are given, and DuckDB every file a `*` or `**` glob matches. A
 * run killed while writing one (kill -9, a power cut) left `data.parquet.<pid>.tmp` there for
 * good, and those readers then failed on the whole table ("too small to be a Parquet file").
 * The names written before it was hidden are matched too, so an upgrade clears them.
 */
const TEMP_NAME = /^\.?data\.parquet\.(\d+)\.tmp$/;

/**
 * Removes from `folder` the temp files of exports whose process is gone (another process's live
 * one, a PARQUET_DIR shared by two data dirs, stays), so a version whose export was killed holds
 * only its files once exported again.
 */
function removeLeftTemps(folder: string): void {
  for (const name of readdirSync(folder)) {
    const pid = TEMP_NAME.exec(name)?.[1];
    if (pid !== undefined && (Number(pid) === process.pid || !isAlive(Number(pid)))) rmSync(join(folder, name), { force: true });
  }
}

/**
 * Returns the Parquet file of `table` for `version` under `dir`.
 *
 * @example
 * ```ts
 * parquetPath("data/parquet", "actors", 3); // "data/parquet/table=actors/version=3/data.parquet"
 * ```
 */
export function parquetPath(dir: string, table: string, version: number): string {
  return join(dir, `table=${table}`, `version=${version}`, "data.parquet");
}

/**
 * Writes the live snapshot (version `version`) to `dir` as Parquet, with whatever earlier versions
 * are missing there, and returns what it did. Never throws: a failure is returned as
 * `{ status: "failed", error }` (temp files removed), for the run record; the load stays published.
 * A folder holding a version of the live history written by another run (a shared PARQUET_DIR) is
 * such a failure, since files are never rewritten.
 *
 * @example
 * ```ts
 * await exportParquet({ dataDir: "data", dir: "data/parquet", live: "data/relationships.duckdb", version: 3 });
 * // { status: "written", dir: "data/parquet", versions: [3], files: 6 }
 * ```
 */
export async function exportParquet(options: { dataDir: string; dir: string; live: string; version: number }): Promise<RunParquet> {
  const { dir } = options;
  const written = new Set<number>();
  let files = 0;
  const temps: string[] = [];
  let db: Database | null = null;
  try {
    makeDirs(dir);
    // Two threads and a memory limit, as for the load: the export runs in the same process.
    db = await Database.open(":memory:", { settings: { threads: "2", memory_limit: "256MB" } });
    const copy = async (table: { name: string; query: string }, version: number) => {
      const target = parquetPath(dir, table.name, version);
      if (existsSync(target)) return;
      const folder = join(target, "..");
      makeDirs(folder);
      removeLeftTemps(folder);
      const temp = join(folder, `.data.parquet.${process.pid}.tmp`);
      temps.push(temp);
      // COPY takes no bound parameters: the path is ours, quoted as a SQL string, and the version
      // an integer from the snapshot itself.
      const query = table.query.replace("{version}", String(Math.trunc(version)));
      await db!.run(`COPY (${query}) TO ${quoteLiteral(temp)} (FORMAT parquet, COMPRESSION zstd)`);
      renameSync(temp, target);
      files++;
      written.add(version);
    };
    // Files are never rewritten, so a version number the folder already holds from another load
    // (a PARQUET_DIR shared by two data dirs, or kept when the data dir was started again) would
    // silently keep that load's data: refuse it instead.
    // Every snapshot through withSnapshot(): an analyst's read-write session on one must not fail the export.
    await withSnapshot(db, options.live, "s", async () => {
      for (const { version_id, run_id } of await db!.all<{ version_id: number; run_id: string }>("SELECT version_id, run_id FROM s.versions ORDER BY version_id")) {
        const target = parquetPath(dir, "versions", version_id);
        if (!existsSync(target)) continue;
        const theirs = (await db!.all<{ run_id: string }>(`SELECT run_id FROM read_parquet(${quoteLiteral(target)})`))[0]?.run_id;
        if (theirs !== undefined && theirs !== run_id) {
          throw new Error(`it already holds a version ${version_id} written by another load (run ${theirs}; this data dir's version ${version_id} is run ${run_id}); give each data dir its own PARQUET_DIR`);
        }
      }
    });
    const sources = [{ path: options.live, version: options.version }, ...keptVersions(options.dataDir).map((k) => ({ path: keptSnapshotPath(options.dataDir, k.version), version: k.version }))];
    const seen = new Set<number>();
    // Kept files that are not their version's snapshot (damaged, truncated, another file put there):
    // skipped and named, not the end of the export. Before, one such file failed every export
    // while it was kept ("NOT written" for a published version that was written) and stopped the
    // other missing versions from being filled in.
    const unusable: string[] = [];
    for (const source of sources) {
      if (seen.has(source.version) || existsSync(parquetPath(dir, "versions", source.version))) continue;
      seen.add(source.version);
      const kept = source.path !== options.live;
      let readable = !kept;
      try {
        await withSnapshot(db, source.path, "s", async () => {
          if (kept) {
            // A file without the row is taken for its version's (only a version it names is refused).
            const found = await snapshotVersion(db!, "s");
            if (found !== undefined && found !== source.version) throw new Error(`it holds version ${found}`);
            readable = true;
          }
          for (const table of DATA_TABLES) await copy(table, source.version);
          for (const table of HISTORY_TABLES) await copy(table, source.version);
        });
      } catch (error) {
        if (readable) throw error;
        unusable.push(`version ${source.version} (its kept file '${source.path}' is not that version's snapshot: ${firstLine(error)})`);
      }
    }
    // Versions no longer kept still have their changes in the live snapshot's history. Their
    // `versions` row only with their data files: a version listed there has all its files (one
    // never exported, Parquet turned on later or a load killed before its export, has only changes).
    await withSnapshot(db, options.live, "s", async () => {
      const history = await db!.all<{ version_id: number }>("SELECT version_id FROM s.versions ORDER BY version_id");
      for (const { version_id } of history) {
        for (const table of HISTORY_TABLES) {
          if (table.name === "versions" && !DATA_TABLES.every((t) => existsSync(parquetPath(dir, t.name, version_id)))) continue;
          await copy(table, version_id);
        }
      }
    });
    const versions = [...written].sort((a, b) => a - b);
    if (unusable.length > 0) {
      const message = `${unusable.join("; ")}; the other versions are in '${dir}' all the same. Put that file back from a backup, or delete it (it cannot be restored either)`;
      return { status: "failed", dir, versions, files, error: { code: "parquet-failed", message } };
    }
    return { status: "written", dir, versions, files };
  } catch (error) {
    for (const temp of temps) rmSync(temp, { force: true });
    const message = firstLine(error);
    return {
      status: "failed",
      dir,
      versions: [...written].sort((a, b) => a - b),
      files,
      error: { code: "parquet-failed", message: `Cannot write version ${options.version} as Parquet to '${dir}': ${message}; the version is published all the same` },
    };
  } finally {
    db?.close();
  }
}

/**
 * Returns the versions that have Parquet files under `dir` (their `versions` partition, written
 * last), oldest first.
 *
 * @example
 * ```ts
 * parquetVersions("data/parquet"); // [1, 2, 3]
 * ```
 */
export function parquetVersions(dir: string): number[] {
  try {
    return readdirSync(join(dir, "table=versions"))
      .map((name) => /^version=([1-9]\d*)$/.exec(name))
      .filter((m) => m !== null && existsSync(join(dir, "table=versions", m[0], "data.parquet")))
      .map((m) => Number(m![1]))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}
