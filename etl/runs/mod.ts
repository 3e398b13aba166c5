/**
 * The run record (what every ETL run leaves behind) and its append-only log `runs.jsonl`.
 *
 * @example
 * ```ts
 * import { appendRun, newRunId, readRuns } from "../runs/mod.ts";
 * appendRun("data", { id: newRunId(), kind: "contacts", status: "succeeded", ... });
 * readRuns("data").at(-1)?.status; // "succeeded"
 * ```
 */
export {
  FAILED_BEFORE,
  leftDataCurrent,
  LoadStopped,
  lockedOut,
  stoppedBySignal,
  newRunId,
  type Finding,
  type RunAlert,
  type RunAmendment,
  type RunFile,
  type RunKept,
  type RunKind,
  type RunParquet,
  type RunRecord,
  type RunStatus,
  type Severity,
  RUN_KINDS,
  RUN_STATUSES,
  SEVERITIES,
} from "./run_record.ts";
export { findingSchema, runMembers, runSchema } from "./run_schema.ts";
export { failedBefore, failedVersion, FAILED_VERSION_HOLD_MS } from "./failed_hold.ts";
export { amendRun, appendRun, collectRuns, findRun, lastRun, MAX_RUN_LINE_BYTES, readRuns, RUN_LOG_BLOCK_BYTES, RunLog, runLogPath, type RunLogReading } from "./run_log.ts";
