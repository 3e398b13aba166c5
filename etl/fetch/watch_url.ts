/**
 * Noticing that a URL workbook changed, for the schedule (`--watch`, `npm start`): every interval a
 * conditional GET with the validators of the last download, once a load has vouched for it (until
 * then, or after its load failed, the GET is unconditional). A 304 costs nothing more; a 200 is
 * streamed through a hash (nothing stored) and compared with the last download, so a server that
 * sends no validators still triggers a load only when the bytes differ. Polls never overlap: the
 * next is due an interval after the last one ended, however long that one took. The load itself then
 * downloads the file (fetch_workbook.ts): the watcher never writes the data dir.
 */
import { getOnce, getOptions } from "./_http_get.ts";
import { fetchDir, readState } from "./_fetch_state.ts";
import { isUrl } from "../settings/mod.js";
import type { DownloadOptions } from "./fetch_workbook.ts";

/** A running watcher. */
export interface UrlWatcher {
  stop(): void;
  /** Resolves once the poll in progress, if any, has finished. */
  idle(): Promise<void>;
}

/** Options of `watchUrl()`. */
export interface WatchUrlOptions extends Pick<DownloadOptions, "authHeader" | "maxBytes" | "idleTimeoutMs" | "totalTimeoutMs"> {
  /** Whose `fetched/state.json` holds the last download's validators and hash. */
  dataDir: string;
  intervalMs: number;
  /** Called when the server has other bytes than the last download (or there was none). */
  onChanged: () => void;
  /** Called when a poll fails (server down, 404...); polling goes on. */
  onError?: (error: unknown) => void;
  /** The timers polls are due by; tests pass a fake clock. Default: the real ones. */
  timers?: Timers;
}

/** What the watcher needs of a clock (etl/schedule's `Clock` has it). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers: they keep the process alive, which `--watch` relies on. */
const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Polls `url` every `intervalMs` and calls `onChanged()` when it holds a new workbook.
 *
 * @example
 * ```ts
 * const watcher = watchUrl(url, { dataDir: "data", intervalMs: 600_000, onChanged: () => scheduler.trigger("file-changed") });
 * watcher.stop();
 * ```
 */
export function watchUrl(url: string, options: WatchUrlOptions): UrlWatcher {
  // stop() ends a poll in progress too: one held by a server that hangs kept `npm run etl -- --watch`
  // (and npm start) alive after their stop, for as long as the poll's timeouts (30 s, 30 min).
  const stopping = new AbortController();
  const stopped = () => stopping.signal.aborted;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      // Inside the try: fetchDir() makes the folder, and a data dir that cannot hold it (read-only,
      // full, a file in its place) is a failed poll like a server that is down.
      const state = readState(fetchDir(options.dataDir), url);
      const got = await getOnce(url, { ...getOptions(options, state ?? undefined), signal: stopping.signal });
      if (!stopped() && got.status === "ok" && got.sha256 !== state?.sha256) options.onChanged();
    } catch (error) {
      if (!stopped()) options.onError?.(error);
    }
  };
  // One poll at a time, each due an interval after the last one ended (not on a fixed beat): a
  // server that hangs for longer than the interval gets no second request meanwhile, and no ticks
  // pile up behind the hanging one to burst out, each a load, when it answers.
  const timers = options.timers ?? realTimers;
  let timer: unknown;
  const next = () => {
    timer = timers.setTimeout(() => {
      if (stopped()) return;
      polling = poll()
        // Nothing may reject here: an unhandled rejection ends the process (the API under npm start).
        .catch((error: unknown) => {
          try {
            if (!stopped()) options.onError?.(error);
          } catch {
            // An onError that throws has nowhere left to report to; polling goes on.
          }
        })
        .finally(() => {
          if (!stopped()) next();
        });
    }, options.intervalMs);
  };
  next();
  return {
    stop() {
      timers.clearTimeout(timer);
      stopping.abort();
    },
    idle: () => polling,
  };
}

/**
 * Returns the schedule's `watchWorkbook` for `workbook`: polling it every `pollMs` when it is a URL;
 * undefined for a path (the schedule watches files itself) or when polling is off.
 *
 * @example
 * ```ts
 * startScheduler({ workbook, dataDir, runLoad, watchWorkbook: urlWorkbookWatcher({ workbook, dataDir, pollMs: 600_000 }) });
 * ```
 */
export function urlWorkbookWatcher(
  options: Omit<WatchUrlOptions, "intervalMs" | "onChanged"> & { workbook: string; pollMs: number | null },
): ((onChanged: () => void) => UrlWatcher) | undefined {
  const { workbook, pollMs, ...watch } = options;
  if (!isUrl(workbook) || pollMs === null) return undefined;
  return (onChanged) => watchUrl(workbook, { ...watch, intervalMs: pollMs, onChanged });
}
