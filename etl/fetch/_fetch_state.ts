/**
 * What the data dir remembers about a URL workbook, in `<data dir>/fetched/`: `state.json` (which
 * copy is the last download, and its validators once a load has vouched for it) and the copies,
 * one folder per content (`<sha256 prefix>/<name from the URL>`). Each state.json names its copy and is replaced
 * atomically, so two fetches racing (the schedule and a person's `npm run etl`) can only leave a
 * consistent pair; the URL itself is stored as a hash, since its query may hold a token.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../files/mod.ts";

/** The folder under the data dir. */
const FETCH_DIR = "fetched";
/** Copies and partial downloads older than this that no state points at are removed. */
const KEEP_MS = 24 * 60 * 60 * 1000;

interface StateFile {
  url_sha256: string;
  etag?: string;
  last_modified?: string;
  /** The copy, relative to the fetch folder. */
  file: string;
  sha256: string;
  size: number;
  fetched_at: string;
}

/** The validators and copy of a URL, as read back. */
export interface FetchState {
  etag?: string;
  lastModified?: string;
  /** Absolute path of the copy. */
  path: string;
  sha256: string;
  size: number;
}

/** Returns the fetch folder of `dataDir`, created. */
export function fetchDir(dataDir: string): string {
  const dir = join(dataDir, FETCH_DIR);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Returns the remembered state of `url`, or null (another URL, none yet, or its copy is gone). */
export function readState(dir: string, url: string): FetchState | null {
  const state = readStateFile(dir, url);
  if (state === null) return null;
  return { etag: state.etag, lastModified: state.last_modified, path: join(dir, state.file), sha256: state.sha256, size: state.size };
}

function readStateFile(dir: string, url: string): StateFile | null {
  try {
    const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as StateFile;
    if (state.url_sha256 !== urlKey(url)) return null;
    if (statSync(join(dir, state.file)).size !== state.size) return null;
    return state;
  } catch {
    return null;
  }
}

/**
 * Returns the local copy of `url` that state.json names (the last download), or null; creates
 * nothing, so a data dir that never fetched stays as it is.
 *
 * @example
 * ```ts
 * downloadedCopy("data", "https://files.example.org/relaciones.xlsx"); // "data/fetched/3f2a.../relaciones.xlsx"
 * ```
 */
export function downloadedCopy(dataDir: string, url: string): string | null {
  return readState(join(dataDir, FETCH_DIR), url)?.path ?? null;
}

/**
 * Records `copy.file` (inside `dir`) as the last download of `url`, atomically, without
 * validators: a complete download may still be no workbook (a file cut short under the full
 * file's Last-Modified or ETag), and validators kept for it would make the file that follows
 * under them a 304, never downloaded. setValidators() adds them once a load has vouched for it.
 */
export function writeState(dir: string, url: string, copy: { file: string; sha256: string; size: number }): void {
  const state: StateFile = {
    url_sha256: urlKey(url),
    file: copy.file,
    sha256: copy.sha256,
    size: copy.size,
    fetched_at: new Date().toISOString(),
  };
  writeFileAtomic(join(dir, "state.json"), JSON.stringify(state) + "\n");
}

/**
 * Sets the validators of the last download of `url` (none: removes them), if it is still the copy
 * with `sha256`: another fetch may have stored a newer one meanwhile, whose validators these are not.
 */
export function setValidators(dir: string, url: string, sha256: string, validators: { etag?: string; lastModified?: string }): void {
  const state = readStateFile(dir, url);
  if (state === null || state.sha256 !== sha256) return;
  if (state.etag === validators.etag && state.last_modified === validators.lastModified) return;
  const next: StateFile = { ...state, etag: validators.etag, last_modified: validators.lastModified };
  writeFileAtomic(join(dir, "state.json"), JSON.stringify(next) + "\n");
}

/**
 * Removes copies other than `keep` (a folder name) and partial downloads, once older than a day: a
 * load that read state.json a moment ago may still be reading an older copy.
 */
export function removeOldCopies(dir: string, keep: string | null, now = Date.now()): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === keep || entry.name === "state.json") continue;
    const path = join(dir, entry.name);
    try {
      if (now - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another fetch meanwhile.
    }
  }
}

/**
 * Returns the file name for a copy of `url`: the last path segment, decoded and made safe, or
 * `workbook.xlsx`. The run record shows this name.
 */
export function copyName(url: string): string {
  let last = new URL(url).pathname.split("/").at(-1) ?? "";
  try {
    last = decodeURIComponent(last);
  } catch {
    // Keep it as sent.
  }
  const safe = last.replace(/[^\p{L}\p{N}._ ()-]/gu, "_").replace(/^\.+/, "").slice(0, 120).trim();
  return safe === "" ? "workbook.xlsx" : safe;
}

function urlKey(url: string): string {
  return createHash("sha256").update(url).digest("hex");
}
