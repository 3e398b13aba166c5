/**
 * What a new version (a load's or a restore's) is compared with and numbered after. The live
 * snapshot is the previous version when it is there. When it is not (deleted by hand, lost with a
 * disk), runs.jsonl still remembers the versions published before: the new version is compared with
 * the kept copy of the last one and carries its history, or, with none kept, says it could not be
 * compared (`history_unavailable`). Before, a missing live file made the next load compare with
 * nothing and report "No changes since version N" with an empty history.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { readRuns } from "../runs/mod.ts";
import { keptSnapshotPath, keptVersions } from "./keep_versions.ts";

/** The snapshot a new version is compared with, or why there is none. */
export interface PreviousSnapshot {
  /** The file to compare with and carry the history of (the live one, else a kept one); null: none. */
  path: string | null;
  /** Why a version published before cannot be compared with (no live file, not kept); null when it can or there was none. */
  missing: string | null;
  /**
   * The lowest number the new version may take: one past the highest any run in runs.jsonl or any
   * kept snapshot ever had. The previous snapshot's own history may ask for a higher one.
   */
  nextVersionId: number;
  /**
   * The kept copy of `version` in the data dir (snapshots/), null when it is not kept: the bytes
   * that version was published with, which an analyst's session on the live file cannot change.
   */
  kept(version: number): string | null;
}

/**
 * Returns what the next version of `dataDir`, whose live snapshot is `live`, is compared with and
 * numbered after. Call with the load lock held.
 *
 * @example
 * ```ts
 * previousSnapshot("data", "data/relationships.duckdb");
 * // live file gone, version 4 kept: { path: "data/snapshots/relationships-v4.duckdb", missing: null, nextVersionId: 5 }
 * ```
 */
export function previousSnapshot(dataDir: string, live: string): PreviousSnapshot {
  const nextVersionId = highestVersion(dataDir) + 1;
  const keptCopy = (version: number): string | null => {
    const path = keptSnapshotPath(dataDir, version);
    return existsSync(path) ? path : null;
  };
  if (existsSync(live)) return { path: live, missing: null, nextVersionId, kept: keptCopy };
  const last = nextVersionId - 1;
  if (last === 0) return { path: null, missing: null, nextVersionId, kept: keptCopy };
  const kept = keptCopy(last);
  if (kept !== null) return { path: kept, missing: null, nextVersionId, kept: keptCopy };
  return {
    path: null,
    missing: `The live snapshot '${live}' is missing and version ${last} is not kept in '${dirname(keptSnapshotPath(dataDir, last))}', so it cannot be compared with`,
    nextVersionId,
    kept: keptCopy,
  };
}

/**
 * The highest version number runs.jsonl (any relationships run: a skip names the version it found)
 * or the kept snapshots know of; 0 for none. The whole log is read: a number must never be given
 * twice, and a hand-edited live file cannot say which numbers were given after it.
 */
function highestVersion(dataDir: string): number {
  let highest = 0;
  for (const run of readRuns(dataDir)) if (run.kind === "relationships" && typeof run.version_id === "number") highest = Math.max(highest, run.version_id);
  for (const k of keptVersions(dataDir)) highest = Math.max(highest, k.version);
  return highest;
}
