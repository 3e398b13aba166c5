/**
 * `npm run etl -- --restore VERSION`: publishes a kept earlier version again, as a run of its own.
 * It is a load whose input is the kept snapshot instead of a workbook, in the same phases: lock
 * (the load lock, so it never races a load), build (a new snapshot file holding the kept version's
 * data as the next version number, with the whole history carried forward and `restored_from`
 * saying what it is), publish (the same atomic rename), keep and export, record. Numbering it as a
 * new version rather than putting the old file back keeps versions and history append-only: the
 * next load compares against what is served, and the bad version stays in the history, marked.
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { KeepVersions } from "../settings/mod.js";
import { firstLine } from "../text/mod.js";
import { keptSnapshotPath, keptVersions } from "./keep_versions.ts";
import { afterPublish } from "./after_publish.ts";
import { readSnapshot, SnapshotCopyError, snapshotVersion } from "./attach_snapshot.ts";
import { lock, LoadError, publishedVersion, RelationshipLoad, type LoadResult } from "./load_relationships.ts";
import { previousSnapshot } from "./previous_version.ts";
import { publishSnapshot } from "./publish.ts";
import { copySnapshot } from "./write_snapshot.ts";

/** Options of `restoreVersion()`. */
export interface RestoreOptions {
  dataDir: string;
  /** The version to publish again; it must be kept in `<data dir>/snapshots/`. */
  version: number;
  /** As for a load: where the new version is also written as Parquet; null or absent: nowhere. */
  parquetDir?: string | null;
  /** As for a load: which snapshots stay kept afterwards (and in the message when one is missing). */
  keepVersions?: KeepVersions;
  /** As for a load: how long to wait for another load holding the lock before skipping (`--wait`); default 0. */
  lockWaitMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

/**
 * Publishes kept version `options.version` again as a new version and returns the recorded run
 * (kind relationships, `restored_from` set). Never throws: a version that is not kept is a failed
 * run, a busy lock a skipped one, like a load's.
 *
 * @example
 * ```ts
 * const { run } = await restoreVersion({ dataDir: "data", version: 3 });
 * run.version_id; // 6: version 3's data, published as version 6
 * ```
 */
export async function restoreVersion(options: RestoreOptions): Promise<LoadResult> {
  const source = keptSnapshotPath(options.dataDir, options.version);
  const load = new RelationshipLoad({ workbook: source, dataDir: options.dataDir, now: options.now });
  load.run.restored_from = options.version;
  let release: (() => void) | null = null;
  try {
    release = await lock(options.dataDir, options.lockWaitMs ?? 0);
    // Before the kept files: the served data needs no kept copy (and its source may be pruned).
    const published = await publishedVersion(load.live);
    if (published !== null && (published.version_id === options.version || published.restored_from === options.version)) {
      return load.recordAlreadyServed(published, options.version);
    }
    if (!existsSync(source)) throw notKept(options);
    await checkKept(source, options);
    const db = await load.newSnapshot();
    const { summary, source: copied, counts } = await copySnapshot({
      db, sourcePath: source, previous: previousSnapshot(options.dataDir, load.live), runId: load.run.id, loadedAt: load.started,
    });
    // The run names the workbook the restored data came from, and the kept file it was read from.
    load.file = { name: copied.fileName, path: source, size: copied.size, sha256: copied.sha256 };
    publishSnapshot(load.temp, load.live);
    return load.recordPublished(summary, counts, await afterPublish(options, load.live, summary.versionId));
  } catch (error) {
    return load.recordFailure(error);
  } finally {
    if (load.run.status !== "succeeded") await load.dropSnapshot();
    release?.();
  }
}

/**
 * Refuses a kept file that is not version `options.version`'s snapshot (damaged, truncated, another
 * database put there, another version's file copied over it) before anything is built: unchecked,
 * the first was a failed run coded `internal` whose message named neither the file nor a way out,
 * and the last published another version's data as this one.
 */
async function checkKept(source: string, options: RestoreOptions): Promise<void> {
  let found: number | undefined;
  try {
    found = await readSnapshot(source, "src", (db) => snapshotVersion(db, "src"));
  } catch (error) {
    if (error instanceof SnapshotCopyError) throw error;
    throw unusable(options, source, `is damaged or is not a relationships snapshot (DuckDB: ${firstLine(error)})`);
  }
  if (found === undefined) throw unusable(options, source, "holds no snapshot_info row, so no version");
  if (found !== options.version) throw unusable(options, source, `holds version ${found}, not version ${options.version}`);
}

function unusable(options: RestoreOptions, source: string, what: string): LoadError {
  const others = keptVersions(options.dataDir).map((k) => k.version).filter((v) => v !== options.version);
  return new LoadError(
    "kept-snapshot-unusable",
    `Cannot restore version ${options.version}: its kept file '${source}' ${what}; nothing was published. ` +
      `Put that file back from a backup, or restore another kept version (${others.length > 0 ? others.join(", ") : "none other is kept"})`,
  );
}

function notKept(options: RestoreOptions): LoadError {
  const kept = keptVersions(options.dataDir).map((k) => k.version);
  const rule = options.keepVersions
    ? options.keepVersions.days > 0
      ? `KEEP_VERSIONS keeps the versions of the last ${options.keepVersions.days} days and at least the newest ${options.keepVersions.newest}`
      : `KEEP_VERSIONS keeps the newest ${options.keepVersions.newest}`
    : "versions are kept only when KEEP_VERSIONS is set";
  return new LoadError(
    "version-not-kept",
    `Cannot restore version ${options.version}: it is not kept in '${dirname(keptSnapshotPath(options.dataDir, options.version))}' ` +
      `(kept: ${kept.length > 0 ? kept.join(", ") : "none"}; ${rule}); nothing was published`,
  );
}
