/**
 * The hold on a file a load failed on for its bytes: for an hour, a load of the same bytes (the same
 * SHA-256) is `skipped` with code `failed-before` naming that run, by whoever starts it, unless
 * `--force`. npm start's schedule and an `npm run etl -- --watch` on one data dir both react to each
 * change of an input: a broken workbook or contacts CSV gave two failed runs and two alerts for one
 * change. One definition for both inputs; each says which of its failures its bytes are to blame for.
 */
import { findRun } from "./run_log.ts";
import { FAILED_BEFORE, type RunKind, type RunRecord } from "./run_record.ts";

/**
 * How long a failure on a file's bytes keeps loads of the same bytes away. Two loads reacting to
 * one change (npm start's schedule and a --watch) come within minutes of each other; a day later the
 * same bytes are tried again, so the daily load still fails (and alerts) once a day while the file
 * stays broken, and a newer version of this code, whose rules may take the file, gets to try it.
 */
export const FAILED_VERSION_HOLD_MS = 60 * 60_000;

/**
 * The run that failed on its file's bytes (its error's code in `bytesFailed`) within the last
 * FAILED_VERSION_HOLD_MS, when it is the last load of `kind` that judged a file (skips aside; a run
 * with no hash judged none: stopped, crashed, a file changed while read, one that could not be read).
 * Read it under the load's lock: two loads of one change then record one failure, whichever way
 * they interleave.
 *
 * @example
 * ```ts
 * failedVersion("data", "contacts", new Set(["missing-column"]))?.file?.sha256; // "4567f6e6..."
 * ```
 */
export function failedVersion(dataDir: string, kind: RunKind, bytesFailed: ReadonlySet<string>, now = Date.now()): RunRecord | null {
  const judged = findRun(dataDir, (r) => r.kind === kind && r.status !== "skipped" && !!r.file?.sha256);
  if (judged?.status !== "failed" || !bytesFailed.has(judged.error?.code ?? "")) return null;
  const age = now - Date.parse(judged.finished_at);
  return age >= 0 && age < FAILED_VERSION_HOLD_MS ? judged : null;
}

/**
 * The error of a run skipped because its file (`what`: "The workbook", "The contacts file 'c.csv'")
 * has the bytes `failed` failed on.
 *
 * @example
 * ```ts
 * failedBefore("The workbook", run).code; // "failed-before"
 * ```
 */
export function failedBefore(what: string, failed: RunRecord): { code: typeof FAILED_BEFORE; message: string } {
  return {
    code: FAILED_BEFORE,
    message: `${what} is identical to the one run ${failed.id} failed on (${failed.error?.message ?? "failed"}); not loaded again until the file changes or an hour has passed since that run (use --force to load it now)`,
  };
}
