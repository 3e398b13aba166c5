/** The keep and export phases of a publication, shared by a load, a restore and a recovery. */
import type { RunKept, RunParquet } from "../runs/mod.ts";
import type { KeepVersions } from "../settings/mod.js";
import { exportParquet } from "./export_parquet.ts";
import { keepSnapshot } from "./keep_versions.ts";

/**
 * What a publication leaves besides the live snapshot: the snapshot kept for `--restore` (and old
 * ones pruned), and the Parquet copy. Neither can fail the load: the version is published already,
 * and a failure is said in the run record.
 *
 * @example
 * ```ts
 * const { kept, parquet } = await afterPublish({ dataDir: "data", parquetDir: "data/parquet", keepVersions }, "data/relationships.duckdb", 3);
 * ```
 */
export async function afterPublish(
  options: { dataDir: string; parquetDir?: string | null; keepVersions?: KeepVersions },
  live: string,
  versionId: number,
): Promise<{ kept?: RunKept; parquet?: RunParquet }> {
  const kept = options.keepVersions ? keepSnapshot({ dataDir: options.dataDir, live, version: versionId, keep: options.keepVersions }) : undefined;
  const parquet = options.parquetDir ? await exportParquet({ dataDir: options.dataDir, dir: options.parquetDir, live, version: versionId }) : undefined;
  return { kept, parquet };
}
