/**
 * `api.json`: how a running API tells `npm run etl` where it listens (see contract.ts).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../files/mod.ts";
import { API_INFO_FILE, type ApiInfo } from "./contract.ts";

/** This process's id as an API: written into api.json, answered by GET /healthz (ApiInfo.api_id). */
export const API_ID = randomUUID();

/**
 * Writes `<dataDir>/api.json` for this process (atomically: a reader never sees half of it) and
 * returns its path.
 *
 * @example
 * ```ts
 * const path = writeApiInfo("data", "http://127.0.0.1:8000");
 * ```
 */
export function writeApiInfo(dataDir: string, url: string): string {
  const path = join(dataDir, API_INFO_FILE);
  const info: ApiInfo = { pid: process.pid, url, started_at: new Date().toISOString(), api_id: API_ID };
  writeFileAtomic(path, JSON.stringify(info) + "\n");
  return path;
}

/**
 * Removes `path` if this process wrote it: a second API on another port must not lose its file
 * because this one stopped.
 *
 * @example
 * ```ts
 * removeApiInfo(path);
 * ```
 */
export function removeApiInfo(path: string): void {
  try {
    const current = JSON.parse(readFileSync(path, "utf8")) as Partial<ApiInfo>;
    if (current.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}

/**
 * Returns the running API announced in `<dataDir>/api.json`, or null when there is none: no
 * file, a dead pid (a crashed API leaves the file behind), no answer from GET /healthz, or one
 * from another process than the file's (its `api_id` not the file's: a crashed API's pid and
 * address taken by others since).
 *
 * @example
 * ```ts
 * const api = await runningApi("data"); // { pid: 4242, url: "http://127.0.0.1:8000", ... } or null
 * ```
 */
export async function runningApi(dataDir: string): Promise<ApiInfo | null> {
  let info: ApiInfo;
  try {
    info = JSON.parse(readFileSync(join(dataDir, API_INFO_FILE), "utf8")) as ApiInfo;
  } catch {
    return null;
  }
  if (typeof info?.url !== "string" || !Number.isInteger(info.pid)) return null;
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it may well be the API.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  try {
    const response = await fetch(new URL("/healthz", info.url), { signal: AbortSignal.timeout(2000) });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    if (info.api_id === undefined) {
      await response.body?.cancel();
      return info;
    }
    const body = (await response.json()) as { api_id?: unknown } | null;
    return body?.api_id === info.api_id ? info : null;
  } catch {
    return null;
  }
}
