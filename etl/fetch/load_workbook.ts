/**
 * The relationship load for a workbook given as a path or as a URL. A URL is fetched first (see
 * fetch_workbook.ts) and its local copy loaded as any file; a download that fails is recorded as
 * a failed relationships run, so it shows in /runs, raises an alert, and leaves the published
 * version alone: nothing was loaded. The copy's validators are kept only when its load succeeded
 * or recognised it (see settleValidators()).
 */
import { loadRelationships, type LoadOptions, type LoadResult } from "../relationships/mod.ts";
import { appendRun, LoadStopped, newRunId, type RunRecord } from "../runs/mod.ts";
import { isUrl } from "../settings/mod.js";
import { copyName } from "./_fetch_state.ts";
import { FetchError, shownUrl } from "./fetch_error.ts";
import { fetchWorkbook, settleValidators, type DownloadOptions, type FetchResult } from "./fetch_workbook.ts";

/**
 * Loads `options.workbook` (a path, or an http(s) URL fetched with `download`'s settings) and
 * returns the recorded run, like `loadRelationships()`. Never throws for a download that fails.
 *
 * @example
 * ```ts
 * const { run } = await loadWorkbook({ workbook: "https://files.example.org/relaciones.xlsx", dataDir: "data", download: { authHeader } });
 * run.status; // "succeeded" | "skipped" | "failed"
 * ```
 */
export async function loadWorkbook(options: LoadOptions & { download?: DownloadOptions }): Promise<LoadResult> {
  const { download, ...load } = options;
  if (!isUrl(options.workbook)) return loadRelationships(load);
  const t0 = performance.now();
  const started = new Date();
  let fetched: FetchResult;
  try {
    // --force reloads the file as the server has it now: asking conditionally could only bring
    // back the copy already here, which may be the one that needs replacing.
    fetched = await fetchWorkbook(options.workbook, { ...download, dataDir: options.dataDir, unconditional: load.force === true, signal: options.signal });
  } catch (error) {
    // Anything else (the disk is full, the data dir is read-only) is a failed run too: like
    // loadRelationships(), this never throws because a file could not be had. A stop is recorded
    // as the load's own stops are (code "stopped", not alerted, the file not counted as loaded).
    const nothing = "nothing was loaded and the previous version stays published";
    const failure =
      error instanceof LoadStopped
        ? { code: error.code, message: `${error.message} during the workbook's download; ${nothing}` }
        : error instanceof FetchError
          ? { code: error.code, message: `Cannot download the workbook: ${error.message}; ${nothing}` }
          : { code: "download-failed", message: `Cannot download the workbook: Cannot store the download: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}; ${nothing}` };
    const run: RunRecord = {
      id: newRunId(started),
      kind: "relationships",
      status: "failed",
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      // The URL without its query (it may hold a token); there is no local file to describe.
      file: { name: copyName(options.workbook), path: shownUrl(options.workbook), size: 0, sha256: "" },
      counts: {},
      findings: [],
      changes: {},
      error: failure,
      version_id: null,
    };
    appendRun(options.dataDir, run);
    return { run, changePreview: [], durationMs: performance.now() - t0 };
  }
  const { path } = fetched;
  const result = await loadRelationships({ ...load, workbook: path, shownAs: `${shownUrl(options.workbook)} (downloaded to ${path})` });
  const vouched = vouchesForCopy(result.run);
  try {
    if (vouched !== null) settleValidators(options.workbook, options.dataDir, fetched, vouched);
  } catch {
    // The run is recorded; a state.json that cannot be rewritten (a full disk) stays as it was,
    // and this, like loadRelationships(), does not throw.
  }
  return result;
}

/**
 * Whether a run shows its copy to be a good workbook: published, or identical to a version loaded
 * before (unchanged, withdrawn); false when the load failed; null when it says nothing about the
 * copy (another load held the lock), which then stays as it was.
 */
function vouchesForCopy(run: RunRecord): boolean | null {
  if (run.status === "succeeded") return true;
  if (run.status === "failed") return false;
  return run.error?.code === "unchanged" || run.error?.code === "withdrawn" ? true : null;
}
