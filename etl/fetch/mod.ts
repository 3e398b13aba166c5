/**
 * Fetching the workbook from where it is published: `WORKBOOK=https://...` is downloaded with a
 * conditional GET into `<data dir>/fetched/` (size cap, timeouts, retries) and loaded as a file;
 * the schedule polls the URL for changes.
 *
 * @example
 * ```ts
 * import { loadWorkbook, watchUrl } from "../fetch/mod.ts";
 * const { run } = await loadWorkbook({ workbook: "https://files.example.org/relaciones.xlsx", dataDir: "data" });
 * ```
 */
export { downloadedCopy } from "./_fetch_state.ts";
export { FetchError, shownUrl, type FetchErrorCode } from "./fetch_error.ts";
export { fetchWorkbook, type DownloadOptions, type FetchResult } from "./fetch_workbook.ts";
export { loadWorkbook } from "./load_workbook.ts";
export { urlWorkbookWatcher, watchUrl, type UrlWatcher, type WatchUrlOptions } from "./watch_url.ts";
