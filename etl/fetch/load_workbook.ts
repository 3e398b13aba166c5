/**
 * The relationship load for a workbook given as a path or as a URL. A URL is fetched first (see
 * fetch_workbook.ts) and its local copy loaded as any file; a download that fails is recorded as
 * a failed relationships run, so it shows in /runs, raises an alert, and leaves the published
 * version alone: nothing was loaded.
 */
import { loadRelationships, type LoadOptions, type LoadResult } from "../relationships/mod.ts";
import { appendRun, newRunId, type RunRecord } from "../runs/mod.ts";
import { isUrl } from "../settings/mod.js";
import { copyName } from "./_fetch_state.ts";
import { FetchError, shownUrl } from "./fetch_error.ts";
import { fetchWorkbook, type DownloadOptions } from "./fetch_workbook.ts";

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
  let path: string;
  try {
    path = (await fetchWorkbook(options.workbook, { ...download, dataDir: options.dataDir })).path;
  } catch (error) {
    // Anything else (the disk is full, the data dir is read-only) is a failed run too: like
    // loadRelationships(), this never throws because a file could not be had.
    const failure =
      error instanceof FetchError
        ? { code: error.code, message: error.message }
        : { code: "download-failed", message: `Cannot store the download: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}` };
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
      error: { code: failure.code, message: `Cannot download the workbook: ${failure.message}; nothing was loaded and the previous version stays published` },
      version_id: null,
    };
    appendRun(options.dataDir, run);
    return { run, changePreview: [], durationMs: performance.now() - t0 };
  }
  return loadRelationships({ ...load, workbook: path, shownAs: `${shownUrl(options.workbook)} (downloaded to ${path})` });
}
