/**
 * Reading a published snapshot that someone else holds open. Analysts open `relationships.duckdb`
 * with the DuckDB CLI or a driver, whose default is read-write: that process then holds DuckDB's
 * exclusive lock, and DuckDB refuses even a READ_ONLY attach by a load ("Could not set lock on
 * file"). Failing then would make the next load start a new history (`history_unavailable`) and
 * the Parquet export fail, for an analyst who only ran a SELECT. A published snapshot is never
 * written again (it is replaced by a rename), so its bytes are its data: a private copy reads the same.
 */
import { copyFileSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { Database, isDuckDbLocked, quoteLiteral } from "../db/mod.ts";
import { firstLine } from "../text/mod.js";

/**
 * The private copy of a snapshot another process holds could not be made (the disk is full, the
 * folder refuses it). Not "no readable snapshot": taken for that, a load started a new history and
 * published again a workbook a restore had withdrawn. Whoever meets it fails and publishes nothing.
 */
export class SnapshotCopyError extends Error {
  override readonly name = "SnapshotCopyError";
  readonly code = "snapshot-copy-failed";
  constructor(path: string, cause: unknown) {
    const reason = firstLine(cause).replace(/, copyfile '.*$/, "");
    super(
      `Cannot read the published snapshot '${path}': it is held open by another process (a DuckDB session opened read-write) ` +
        `and a private copy could not be made in '${dirname(path)}' (${reason}); nothing was loaded and the published version stays published. ` +
        `Free space there or close that session, then load again`,
    );
  }
}

/**
 * Attaches the snapshot file `path` READ_ONLY as `alias` in `db`; when another process holds the
 * file locked, attaches a private copy instead (a hidden `.relationships-read-*.duckdb` beside it,
 * in the data dir or in `snapshots/`, where `removeStaleTemps()` clears it after a crash). Every
 * caller holds the load lock, so no copy in use is cleared. Returns the function that detaches it and
 * removes the copy. A copy that cannot be made throws SnapshotCopyError; other errors (a corrupt
 * file) are thrown as DuckDB said them.
 *
 * @example
 * ```ts
 * const detach = await attachSnapshot(db, "data/relationships.duckdb", "prev");
 * try { await db.all("SELECT * FROM prev.versions"); } finally { await detach(); }
 * ```
 */
export async function attachSnapshot(db: Database, path: string, alias: string): Promise<() => Promise<void>> {
  try {
    await db.run(`ATTACH ${quoteLiteral(path)} AS ${alias} (READ_ONLY)`);
    return async () => {
      await db.run(`DETACH ${alias}`);
    };
  } catch (error) {
    if (!isDuckDbLocked(error)) throw error;
  }
  const copy = join(dirname(path), `.relationships-read-${process.pid}-${randomBytes(4).toString("hex")}.duckdb`);
  try {
    try {
      copyFileSync(path, copy);
    } catch (error) {
      throw new SnapshotCopyError(path, error);
    }
    await db.run(`ATTACH ${quoteLiteral(copy)} AS ${alias} (READ_ONLY)`);
  } catch (error) {
    rmSync(copy, { force: true });
    throw error;
  }
  return async () => {
    try {
      await db.run(`DETACH ${alias}`);
    } finally {
      rmSync(copy, { force: true });
    }
  };
}

/**
 * Runs `fn` with the snapshot file `path` attached as `alias` (attachSnapshot()), and detaches it
 * whatever `fn` does, so a private copy is never left behind by a read that failed.
 *
 * @example
 * ```ts
 * const n = await withSnapshot(db, "data/relationships.duckdb", "s", () => db.one("SELECT count(*) AS n FROM s.actors"));
 * ```
 */
export async function withSnapshot<T>(db: Database, path: string, alias: string, fn: () => Promise<T>): Promise<T> {
  const detach = await attachSnapshot(db, path, alias);
  try {
    return await fn();
  } finally {
    await detach();
  }
}

/**
 * Runs `fn` with the snapshot file `path` attached as `alias` to a database of its own (in memory),
 * through withSnapshot(): for a read that has no database open yet, so that a file an analyst
 * holds read-write is read from a private copy rather than taken for unreadable. Call with the
 * load lock held, as attachSnapshot() says.
 *
 * @example
 * ```ts
 * const n = await readSnapshot("data/relationships.duckdb", "live", (db) => db.one("SELECT count(*) AS n FROM live.actors"));
 * ```
 */
export async function readSnapshot<T>(path: string, alias: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(":memory:", { settings: { threads: "1" } });
  try {
    return await withSnapshot(db, path, alias, () => fn(db));
  } finally {
    db.close();
  }
}

/** The version a snapshot attached as `alias` says it holds: its one `snapshot_info` row's. */
const snapshotVersionSql = (alias: string) => `SELECT version_id FROM ${alias}.snapshot_info LIMIT 1`;

/**
 * Returns the version the snapshot attached as `alias` in `db` holds (its `snapshot_info` row), or
 * undefined when that table has no row; what a missing row means is the caller's to say. A file
 * without the table (damaged, another database) throws as DuckDB said it.
 *
 * @example
 * ```ts
 * const version = await readSnapshot("data/snapshots/relationships-v3.duckdb", "src", (db) => snapshotVersion(db, "src")); // 3
 * ```
 */
export async function snapshotVersion(db: Database, alias: string): Promise<number | undefined> {
  const info = await db.one<{ version_id: number }>(snapshotVersionSql(alias));
  return info === undefined ? undefined : Number(info.version_id);
}
