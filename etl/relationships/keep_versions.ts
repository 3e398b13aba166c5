/**
 * The published snapshots kept for `npm run etl -- --restore VERSION`: after each publication the
 * live file is copied to `<data dir>/snapshots/relationships-v<N>.duckdb`, and versions outside
 * KEEP_VERSIONS are deleted. A copy, not a hard link: the live file is the one analysts open, and
 * the DuckDB CLI opens read-write by default, so an analyst's UPDATE or CREATE TABLE on it reached
 * the kept version through the link, and `--restore` published the edit as that version's data.
 * The copy is a reflink where the file system has them (btrfs, XFS: no bytes, no time), else one
 * more file of the live file's size (the older kept versions cost the same as before: the live
 * name had moved on from them). Call only while holding the load lock: the lock is what keeps the
 * live name on version N meanwhile.
 */
import { constants, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { replaceFile } from "../files/mod.ts";
import type { RunKept } from "../runs/mod.ts";
import type { KeepVersions } from "../settings/mod.js";
import { firstLine } from "../text/mod.js";

/** The folder of kept snapshots inside the data dir. */
export const SNAPSHOTS_DIR = "snapshots";

const KEPT_PATTERN = /^relationships-v([1-9]\d*)\.duckdb$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Returns where version `version` is kept in `dataDir`.
 *
 * @example
 * ```ts
 * keptSnapshotPath("data", 3); // "data/snapshots/relationships-v3.duckdb"
 * ```
 */
export function keptSnapshotPath(dataDir: string, version: number): string {
  return join(dataDir, SNAPSHOTS_DIR, `relationships-v${version}.duckdb`);
}

/**
 * Returns the kept versions of `dataDir` with when each was published (the file's mtime: it was
 * written once, by the load that published it), oldest version first.
 *
 * @example
 * ```ts
 * keptVersions("data").map((k) => k.version); // [3, 4, 5]
 * ```
 */
export function keptVersions(dataDir: string): { version: number; publishedAt: number }[] {
  let names: string[];
  try {
    names = readdirSync(join(dataDir, SNAPSHOTS_DIR));
  } catch {
    return [];
  }
  const kept: { version: number; publishedAt: number }[] = [];
  for (const name of names) {
    const match = KEPT_PATTERN.exec(name);
    if (match === null) continue;
    try {
      kept.push({ version: Number(match[1]), publishedAt: statSync(join(dataDir, SNAPSHOTS_DIR, name)).mtimeMs });
    } catch {
      // Pruned by hand meanwhile.
    }
  }
  return kept.sort((a, b) => a.version - b.version);
}

/**
 * Returns the versions `keep` lets stay, from `kept`: the newest `keep.newest`, and every one
 * published within `keep.days` days of `now`.
 *
 * @example
 * ```ts
 * versionsToKeep([{ version: 1, publishedAt: 0 }, { version: 2, publishedAt: 9e12 }], { newest: 1, days: 0 }, 9e12); // Set { 2 }
 * ```
 */
export function versionsToKeep(kept: readonly { version: number; publishedAt: number }[], keep: KeepVersions, now: number): Set<number> {
  const newestFirst = [...kept].sort((a, b) => b.version - a.version);
  const stay = new Set(newestFirst.slice(0, keep.newest).map((k) => k.version));
  if (keep.days > 0) for (const k of kept) if (now - k.publishedAt <= keep.days * DAY_MS) stay.add(k.version);
  return stay;
}

/**
 * Keeps the live snapshot `live` (version `version`) for `--restore` and deletes the kept versions
 * `keep` no longer covers. Never throws: a version that could not be kept (a full disk) is said in
 * `error`, and the load that published it has still succeeded.
 *
 * @example
 * ```ts
 * keepSnapshot({ dataDir: "data", live: "data/relationships.duckdb", version: 5, keep: { newest: 7, days: 7 } });
 * // { versions: [1, 2, 3, 4, 5], pruned: [] }
 * ```
 */
export function keepSnapshot(options: { dataDir: string; live: string; version: number; keep: KeepVersions; now?: number }): RunKept {
  const now = options.now ?? Date.now();
  let error: RunKept["error"];
  const target = keptSnapshotPath(options.dataDir, options.version);
  try {
    mkdirSync(join(options.dataDir, SNAPSHOTS_DIR), { recursive: true });
    copyKept(options.live, target);
  } catch (e) {
    error = { code: "keep-failed", message: `Cannot keep version ${options.version} as '${target}' for --restore: ${firstLine(e)}` };
  }
  const kept = keptVersions(options.dataDir);
  const stay = versionsToKeep(kept, options.keep, now);
  const pruned: number[] = [];
  for (const k of kept) {
    if (stay.has(k.version)) continue;
    try {
      rmSync(keptSnapshotPath(options.dataDir, k.version), { force: true });
      pruned.push(k.version);
    } catch (e) {
      error ??= { code: "prune-failed", message: `Cannot delete kept version ${k.version}: ${firstLine(e)}` };
    }
  }
  const versions = kept.map((k) => k.version).filter((v) => !pruned.includes(v));
  return error === undefined ? { versions, pruned } : { versions, pruned, error };
}

/**
 * A copy under a hidden temp name, made durable and renamed into place (replaceFile), so a kept file is
 * never seen half-written. A version kept already (a crash after the rename) is whole and stays.
 * Copied right after the rename that published it, under the load lock: an analyst would have to
 * open the new file and checkpoint a write into it within that moment (DuckDB writes to its WAL
 * first) for the copy to hold it.
 */
function copyKept(from: string, to: string): void {
  if (existsSync(to)) return;
  // Hidden, in the pattern removeStaleTemps() clears: a copy cut off by a crash does not stay.
  const temp = join(dirname(to), `.relationships-keep-${process.pid}.duckdb`);
  try {
    copyFileSync(from, temp, constants.COPYFILE_FICLONE);
    replaceFile(temp, to);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
