/**
 * The relationship load for a workbook given as a path or as a URL. A URL is fetched first (see
 * fetch_workbook.ts) and its local copy loaded as any file; a download that fails is recorded as
 * a failed relationships run, so it shows in /runs, raises an alert, and leaves the published
 * version alone: nothing was loaded.
 */
import { loadRelationships, type LoadOptions, type LoadResult } from "../relationships/mod.ts";
import { appendRun, newRunId, type RunRecord } from "../runs/mod.ts";
import { isUrl } from "../settings/mod.ts";
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
  try {
    const fetched = await fetchWorkbook(options.workbook, { ...download, dataDir: options.dataDir });
    return await loadRelationships({ ...load, workbook: fetched.path });
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
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
      error: { code: error.code, message: `Cannot download the workbook: ${error.message}; nothing was loaded and the previous version stays published` },
      version_id: null,
    };
    appendRun(options.dataDir, run);
    return { run, changePreview: [], durationMs: performance.now() - t0 };
  }
}
