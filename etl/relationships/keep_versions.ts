/**
 * The published snapshots kept for `npm run etl -- --restore VERSION`: after each publication the
 * live file is hard-linked as `<data dir>/snapshots/relationships-v<N>.duckdb` (no copy: a
 * published snapshot is never written again, and the link keeps its bytes alive when the next
 * version is renamed over the live name), and versions outside KEEP_VERSIONS are deleted. Call
 * only while holding the load lock: the lock is what keeps the live name on version N meanwhile.
 */
import { copyFileSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
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
    linkOrCopy(options.live, target);
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
 * A hard link where the filesystem has them; else a copy under a temp name renamed into place,
 * so a kept file is never seen half-written. A version kept already (a crash after the link) is
 * the same bytes and stays.
 */
function linkOrCopy(from: string, to: string): void {
  try {
    linkSync(from, to);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw error;
  }
  const temp = `${to}.${process.pid}.tmp`;
  try {
    copyFileSync(from, temp);
    renameSync(temp, to);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
