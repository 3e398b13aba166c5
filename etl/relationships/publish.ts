/**
 * Atomic publication of a snapshot file (see design/system/publication.md). A load builds a hidden
 * temp file beside the live one, so the final rename() is a same-directory, same-filesystem atomic
 * swap: readers that opened the old file keep their inode; new opens see the new file whole.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { replaceFile } from "../files/mod.ts";

/** The live snapshot's file name inside the data dir. */
export const SNAPSHOT_FILE = "relationships.duckdb";

const TEMP_PATTERN = /^\.relationships-.+\.duckdb(\.wal|\.tmp)?$/;

/**
 * Returns the path of the live snapshot in `dataDir`.
 *
 * @example
 * ```ts
 * snapshotPath("data"); // "data/relationships.duckdb"
 * ```
 */
export function snapshotPath(dataDir: string): string {
  return join(dataDir, SNAPSHOT_FILE);
}

/**
 * Returns the hidden temp path a run builds its snapshot in.
 *
 * @example
 * ```ts
 * tempSnapshotPath("data", "20261129T100000000Z-ab12"); // "data/.relationships-20261129T100000000Z-ab12.duckdb"
 * ```
 */
export function tempSnapshotPath(dataDir: string, runId: string): string {
  return join(dataDir, `.relationships-${runId}.duckdb`);
}

/**
 * Deletes temp snapshots left by loads that died (kill -9, power loss). Call only while holding
 * the load lock, otherwise it could delete the file a concurrent load is building. Returns the
 * names removed.
 *
 * @example
 * ```ts
 * removeStaleTemps("data"); // [".relationships-20261128T000000000Z-9f3c.duckdb"]
 * ```
 */
export function removeStaleTemps(dataDir: string): string[] {
  // snapshots/ too: a kept snapshot someone holds locked is read through a copy beside it
  // (attach_snapshot.ts), which a crash leaves there.
  return [dataDir, join(dataDir, "snapshots")].flatMap((dir) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    const removed = names.filter((name) => TEMP_PATTERN.test(name));
    // `.tmp` is DuckDB's spill directory for a database file, hence recursive.
    for (const name of removed) rmSync(join(dir, name), { force: true, recursive: true });
    return removed;
  });
}

/**
 * Makes `tempPath` the live snapshot, durably and atomically (`replaceFile`: fsync, rename over the
 * live name, fsync the directory). Readers that opened the old file keep reading it.
 *
 * @example
 * ```ts
 * publishSnapshot(tempSnapshotPath(dir, runId), snapshotPath(dir));
 * ```
 */
export function publishSnapshot(tempPath: string, livePath: string): void {
  replaceFile(tempPath, livePath);
}
