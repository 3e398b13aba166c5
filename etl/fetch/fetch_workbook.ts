/**
 * Downloading a URL workbook into the data dir: a conditional GET (an unchanged file costs one
 * 304), streamed to a temp file under a size cap and timeouts, retried with backoff when the
 * failure may pass, and only a complete file becomes the copy the load reads. Its validators are
 * sent again only once a load has vouched for the copy (settleValidators()): a copy that failed to
 * load is asked for again unconditionally, so a good file under the same validators is not a 304.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { replaceFile } from "../files/mod.ts";
import { getOnce, getOptions } from "./_http_get.ts";
import { copyName, fetchDir, readState, removeOldCopies, setValidators, writeState } from "./_fetch_state.ts";
import { FetchError } from "./fetch_error.ts";

/** How a workbook is downloaded (the WORKBOOK_* settings, and bounds tests shorten). */
export interface DownloadOptions {
  /** Sent with every request to the workbook's origin (WORKBOOK_AUTH_HEADER). */
  authHeader?: { name: string; value: string };
  /** Default 1 GiB (WORKBOOK_MAX_MB). */
  maxBytes?: number;
  /** Longest wait for the headers and between two chunks; default 30 s. */
  idleTimeoutMs?: number;
  /** Longest one attempt may take; default 30 min (a large file on a slow link). */
  totalTimeoutMs?: number;
  /** Attempts at most; default 3. */
  attempts?: number;
  /** Wait before the second attempt, doubled before each further one; default 1 s. */
  backoffMs?: number;
}

/** What `fetchWorkbook()` needs besides the download settings. */
export interface FetchOptions extends DownloadOptions {
  dataDir: string;
  /** Sends no validators (`--force`). */
  unconditional?: boolean;
  /**
   * Stops the download when aborted (SIGINT, SIGTERM): the partial file is removed and the signal's
   * reason thrown, with no retry.
   */
  signal?: AbortSignal;
}

/** A workbook ready to load: freshly downloaded, or the copy the server says is current (304). */
export interface FetchResult {
  status: "downloaded" | "not-modified";
  /** The local copy to load. */
  path: string;
  size: number;
  sha256: string;
  attempts: number;
  /** The answer's validators, kept for the next fetch by settleValidators() once the copy loaded. */
  validators: { etag?: string; lastModified?: string };
}

/**
 * Fetches `url` into `<dataDir>/fetched/` and returns the local copy to load. Throws FetchError
 * (with the attempts made in its message) when no complete copy could be had, or the file
 * system's error, at once, when the data dir cannot store it (ENOSPC, EDQUOT, EIO...), or the
 * signal's reason once `signal` is aborted; the previous copy and whatever is published stay as
 * they were, and no partial file is left. `unconditional` (`--force`) sends no validators.
 *
 * @example
 * ```ts
 * const { path, status } = await fetchWorkbook("https://files.example.org/relaciones.xlsx", { dataDir: "data" });
 * status; // "downloaded", or "not-modified" when the server answered 304
 * ```
 */
export async function fetchWorkbook(url: string, options: FetchOptions): Promise<FetchResult> {
  const dir = fetchDir(options.dataDir);
  const attempts = Math.max(1, options.attempts ?? 3);
  for (let attempt = 1; ; attempt++) {
    const state = readState(dir, url);
    const temp = join(dir, `.part-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      // None for a copy no load has vouched for yet (see settleValidators()), nor with --force.
      const vouched = state !== null && (state.etag !== undefined || state.lastModified !== undefined);
      const validators = vouched && !options.unconditional ? { etag: state.etag, lastModified: state.lastModified } : undefined;
      const got = await getOnce(url, { ...getOptions(options, validators), signal: options.signal }, temp);
      if (got.status === "not-modified") {
        if (state === null || validators === undefined) throw new FetchError("http-status", "The server answered 304 Not Modified to a request without validators", false, 304);
        return { status: "not-modified", path: state.path, size: state.size, sha256: state.sha256, attempts: attempt, validators };
      }
      const folder = got.sha256.slice(0, 16);
      const file = join(folder, copyName(url));
      const path = join(dir, file);
      mkdirSync(join(dir, folder), { recursive: true });
      // Same content, same name: a copy already there is this one.
      if (existsSync(path)) rmSync(temp, { force: true });
      else replaceFile(temp, path);
      writeState(dir, url, { file, sha256: got.sha256, size: got.size });
      removeOldCopies(dir, folder);
      return { status: "downloaded", path, size: got.size, sha256: got.sha256, attempts: attempt, validators: { etag: got.etag, lastModified: got.lastModified } };
    } catch (error) {
      rmSync(temp, { force: true });
      if (!(error instanceof FetchError)) throw error;
      if (!error.retry || attempt >= attempts) {
        if (attempt === 1) throw error;
        throw new FetchError(error.code, `${error.message} (${attempt} attempts)`, false, error.httpStatus);
      }
      // A stop during the wait is the stop's reason, as during a GET (sleep() rejects with its own AbortError).
      await sleep((options.backoffMs ?? 1000) * 2 ** (attempt - 1), undefined, { signal: options.signal }).catch((e: unknown) => {
        throw options.signal?.aborted ? options.signal.reason : e;
      });
    }
  }
}

/**
 * Records what the load of a fetched copy showed. A copy that loaded (or was recognised as bytes
 * loaded before) keeps the validators it came with, so the next fetch may be a 304; one that failed
 * to load loses them, so the next fetch downloads the file whatever its validators say (a copy
 * cut short under the full file's Last-Modified or ETag would otherwise be loaded forever).
 *
 * @example
 * ```ts
 * const fetched = await fetchWorkbook(url, { dataDir: "data" });
 * settleValidators(url, "data", fetched, (await loadRelationships({ workbook: fetched.path, dataDir: "data" })).run.status === "succeeded");
 * ```
 */
export function settleValidators(url: string, dataDir: string, fetched: FetchResult, loaded: boolean): void {
  setValidators(fetchDir(dataDir), url, fetched.sha256, loaded ? fetched.validators : {});
}
