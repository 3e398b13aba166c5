/**
 * The relationship pipeline: workbook -> checks -> immutable DuckDB snapshot, with history.
 *
 * @example
 * ```ts
 * import { loadRelationships } from "./etl/relationships/mod.ts";
 * const { run } = await loadRelationships({ workbook: "data/relaciones.xlsx", dataDir: "data" });
 * ```
 */
export {
  findSheet,
  LIST_SHEET,
  loadRelationships,
  LoadError,
  MATRIX_SHEET,
  publishedVersion,
  type LoadOptions,
  type LoadResult,
} from "./load_relationships.ts";
export { restoreVersion, type RestoreOptions } from "./restore_version.ts";
export { parquetPath, parquetVersions } from "./export_parquet.ts";
export { publishSnapshot, SNAPSHOT_FILE, snapshotPath, tempSnapshotPath } from "./publish.ts";
export { CHECKS, type CheckName } from "./checks.ts";
export { SCHEMA_VERSION, type ChangeCounts, type ChangeRow } from "./write_snapshot.ts";
export { LockBusyError } from "../files/mod.ts";
export { cellRef, rangeRef } from "./cell_ref.ts";
