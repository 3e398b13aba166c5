/**
 * A load killed between publishing its version and recording it (kill -9, a power cut) leaves a
 * live version that runs.jsonl does not know, that was not kept for `--restore` and has no Parquet
 * data: its run, its kept snapshot and its export came after the rename. The next load, holding
 * the lock, finishes that work from the live snapshot itself, which holds everything the run
 * would have said: it keeps and exports the version and records its run under the run id the
 * snapshot names, with the snapshot's counts, changes and findings, and a warning saying so.
 */
import { statSync } from "node:fs";
import { appendRun, findRun, type Finding, type RunRecord } from "../runs/mod.ts";
import type { KeepVersions } from "../settings/mod.js";
import { afterPublish } from "./after_publish.ts";
import { readSnapshot, SnapshotCopyError } from "./attach_snapshot.ts";
import { readFindings } from "./write_snapshot.ts";

/** What the live snapshot says about the version it holds and the run that made it. */
interface LiveVersion {
  version_id: number;
  run_id: string;
  loaded_at: string;
  file_name: string;
  sha256: string;
  size: number;
  actors: number;
  pairs: number;
  restored_from: number | null;
}

/**
 * Records the live version's run when runs.jsonl has no succeeded run of it, after keeping and
 * exporting it as its load would have; returns that run, or null when there was nothing to do.
 * Call with the load lock held.
 *
 * @example
 * ```ts
 * const recovered = await recoverUnrecorded({ dataDir: "data", keepVersions }, "data/relationships.duckdb");
 * recovered?.findings.at(-1)?.check; // "run_recovered"
 * ```
 */
export async function recoverUnrecorded(
  options: { dataDir: string; parquetDir?: string | null; keepVersions?: KeepVersions },
  live: string,
): Promise<RunRecord | null> {
  let mtime: Date;
  try {
    mtime = statSync(live).mtime;
  } catch {
    return null;
  }
  const known = (version: number) => findRun(options.dataDir, (r) => r.kind === "relationships" && r.status === "succeeded" && r.version_id === version) !== undefined;
  let version: LiveVersion | undefined;
  const changes: Record<string, number> = {};
  let findings: Finding[] = [];
  try {
    // Through readSnapshot(): a file an analyst holds read-write is read from a private copy, not
    // taken for "not ours" (which left the unrecorded version unkept, unexported and unrecorded).
    version = await readSnapshot(live, "live", async (db) => {
      const row = await db.one<LiveVersion>(
        `SELECT i.version_id, i.run_id, strftime(v.loaded_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS loaded_at, i.file_name, i.sha256, i.size::DOUBLE AS size,
                v.actors, v.pairs, v.restored_from
         FROM live.snapshot_info i JOIN live.versions v USING (version_id) LIMIT 1`,
      );
      if (row === undefined || known(row.version_id)) return undefined;
      // Counted as a load counts them (write_snapshot.ts countChanges): actors and pairs, not rows;
      // an actor with two fields changed, or a pair with both directions, is one.
      for (const key of ["actors_added", "actors_removed", "actors_changed", "pairs_added", "pairs_removed", "pairs_changed"]) changes[key] = 0;
      for (const count of await db.all<{ key: string; n: number }>(
        `SELECT entity || 's_' || change AS key, count(DISTINCT coalesce(CAST(numeric_id AS VARCHAR), person_a || '-' || person_b))::INTEGER AS n
         FROM live.changes WHERE version_id = $1 GROUP BY 1`,
        [row.version_id],
      )) {
        changes[count.key] = count.n;
      }
      findings = await readFindings(db, "live");
      return row;
    });
  } catch (error) {
    // Ours, but held by another process and not copied: the load must fail, not go on without it.
    if (error instanceof SnapshotCopyError) throw error;
    // Not a snapshot of ours (a file put there by hand that does not open): the load reports it.
    return null;
  }
  if (version === undefined) return null;
  const extras = await afterPublish(options, live, version.version_id);
  const run: RunRecord = {
    id: version.run_id,
    kind: "relationships",
    status: "succeeded",
    started_at: version.loaded_at,
    // When the snapshot was last written: as a recorded load's, inside its run (see loggedVersion).
    finished_at: mtime.toISOString(),
    file: { name: version.file_name, path: version.file_name, size: Number(version.size), sha256: version.sha256 },
    counts: { actors: version.actors, pairs: version.pairs },
    findings: [
      ...findings,
      {
        check: "run_recovered",
        severity: "warning",
        message: `Version ${version.version_id} was published by a load that ended before recording it (killed, or the machine stopped); the next load recorded it from the snapshot, kept and exported it`,
        cells: [],
      },
    ],
    changes,
    error: null,
    version_id: version.version_id,
    ...(version.restored_from === null ? {} : { restored_from: version.restored_from }),
    ...extras,
  };
  appendRun(options.dataDir, run);
  return run;
}
